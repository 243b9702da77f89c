package main

import (
	"strings"
	"testing"
)

// A file that holds a wasm filter is never "no plugin configuration", even among other
// files: an Istio EnvoyFilter whose wasm filter has another root_id, or one written in
// protobuf JSON's lowerCamelCase (typedConfig, rootId, ...: Envoy reads both spellings),
// was reported "skipped" and the run exited 0, leaving Exeunt's configuration unchecked.
func TestAWasmFilterIsNeverSkipped(t *testing.T) {
	ef := repoFile(t, "examples/istio/envoyfilter.yaml")
	policy := "../../examples/envoy-gateway/envoyextensionpolicy.yaml"
	for _, c := range []struct{ name, from, to, want string }{
		{"another root_id", "root_id: exeunt", "root_id: exeunt-sso",
			`EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config with root_id "exeunt-sso"`},
		{"another rootId", "root_id: exeunt", "rootId: exeunt-sso",
			`EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config with root_id "exeunt-sso"`},
		{"no root_id", "root_id: exeunt", "",
			`EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config with root_id ""`},
		{"typedConfig: its configuration is checked", "typed_config:", "typedConfig:",
			`EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typedConfig.config.configuration: exeunt configuration: field "healthpath": unknown field`},
		{"failOpen: checked", "fail_open: false", "failOpen: true",
			`EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config.fail_open: must be false`},
		{"both spellings of one field", "root_id: exeunt", "root_id: exeunt\n            rootId: exeunt",
			`spec.configPatches[1].patch.value.typed_config.config: both root_id and rootId are given`},
		{"a TypedStruct around the wasm filter", "\"@type\": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\n          config:",
			"\"@type\": type.googleapis.com/udpa.type.v1.TypedStruct\n          type_url: type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm\n          value:",
			`spec.configPatches[1].patch.value.typed_config: a wasm filter in a TypedStruct`},
	} {
		if !strings.Contains(ef, c.from) {
			t.Fatalf("%s: the example no longer has %q: update the test", c.name, c.from)
		}
		doc := strings.Replace(ef, c.from, c.to, 1)
		if strings.HasPrefix(c.name, "typedConfig") {
			doc = strings.Replace(doc, `"issuer": "https://auth.example.test",`, `"issuer": "https://auth.example.test", "healthpath": "/h",`, 1)
		}
		code, out := runCheck(t, "", policy, writeTemp(t, "envoyfilter.yaml", doc))
		if code != 1 || strings.Contains(out, "skipped") || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
		}
	}
	// The camelCase example as shipped, whole, passes: both spellings are read alike.
	camel := ef
	for _, r := range [][2]string{{"typed_config:", "typedConfig:"}, {"root_id:", "rootId:"},
		{"allow_on_headers_stop_iteration:", "allowOnHeadersStopIteration:"}, {"fail_open:", "failOpen:"}} {
		camel = strings.Replace(camel, r[0], r[1], 1)
	}
	if code, out := runCheck(t, "", policy, writeTemp(t, "envoyfilter.yaml", camel)); code != 0 || !strings.Contains(out, "envoyfilter.yaml: ok (1 plugin configuration)") {
		t.Errorf("the example in camelCase: exit %d, output:\n%s", code, out)
	}
	// A wasm filter in a kind exeunt-check does not read (an EnvoyPatchPolicy adding one)
	// is not skipped either.
	patch := `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyPatchPolicy
metadata: {name: wasm, namespace: default}
spec:
  jsonPatches:
  - type: type.googleapis.com/envoy.config.listener.v3.Listener
    operation:
      op: add
      value:
        name: envoy.filters.http.wasm
        typedConfig:
          "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
          config: {rootId: exeunt}
`
	code, out := runCheck(t, "", policy, writeTemp(t, "patch.yaml", patch))
	if code != 1 || strings.Contains(out, "skipped") || !strings.Contains(out, "EnvoyPatchPolicy default/wasm spec.jsonPatches[0].operation.value.typedConfig: a wasm filter") {
		t.Errorf("an EnvoyPatchPolicy adding a wasm filter: exit %d, output:\n%s", code, out)
	}
}
