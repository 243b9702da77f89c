package main

import (
	"strings"
	"testing"
)

// An HTTP filter with `disabled: true` runs only on the routes that turn it back on in
// their typed_per_filter_config (Envoy's HttpFilter.disabled): every other route, and
// every route added later, reaches its app without a session. exeunt-check passed such a
// bootstrap ("ok"), though it refuses a filter that fails open for the same reason.
func TestAnExeuntFilterDisabledByDefaultIsAProblem(t *testing.T) {
	yaml := repoFile(t, "envoy.yaml")
	const from = "          http_filters:\n          - name: envoy.filters.http.wasm\n"
	if !strings.Contains(yaml, from) {
		t.Fatal("envoy.yaml's http_filters no longer start with the wasm filter: update the test")
	}
	disabled := strings.Replace(yaml, from, from+"            disabled: true\n", 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", disabled))
	if code != 1 || !strings.Contains(out, "http_filters[0](envoy.filters.http.wasm).disabled: must not be true for Exeunt") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	// The same filter with disabled: false (Envoy's default) is fine.
	enabled := strings.Replace(yaml, from, from+"            disabled: false\n", 1)
	if code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", enabled)); code != 0 {
		t.Errorf("disabled: false: exit %d, output:\n%s", code, out)
	}
}
