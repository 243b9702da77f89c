package main

import (
	"strings"
	"testing"
)

// shippedChain is envoy.yaml's filter chain from its "filters:" on (the list item's other
// lines are comments), to be placed under another list item or default_filter_chain.
func shippedChain(t *testing.T, yaml string) string {
	t.Helper()
	i := strings.Index(yaml, "      filters:\n      - name: envoy.filters.network.http_connection_manager")
	j := strings.Index(yaml, "\n  clusters:")
	if i < 0 || j < i {
		t.Fatal("envoy.yaml no longer has one filter chain before its clusters: update the test")
	}
	return yaml[i : j+1]
}

// edit replaces from by to once in s, failing when s does not hold from.
func edit(t *testing.T, s, from, to string) string {
	t.Helper()
	if !strings.Contains(s, from) {
		t.Fatalf("no %q to replace: update the test", from)
	}
	return strings.Replace(s, from, to, 1)
}

// Every filter chain's Exeunt filter is judged, the default_filter_chain's too. The
// settings checks (fail_open, allow_on_headers_stop_iteration, disabled) read only the first
// chain of each listener, so a filter that fails open in a second chain passed, and a
// bootstrap whose only Exeunt filter sat in a later chain was "no plugin configuration",
// skipped among other files.
func TestEveryFilterChainsFilterIsChecked(t *testing.T) {
	yaml := repoFile(t, "envoy.yaml")
	chain := shippedChain(t, yaml)
	const noFilterChain = `    - filter_chain_match: { destination_port: 10443 }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: other
          route_config:
            virtual_hosts:
            - name: other
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                direct_response: { status: 404 }
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`
	for _, c := range []struct{ name, yaml, want string }{
		{"a second filter chain's filter fails open",
			edit(t, yaml, "\n  clusters:", "\n    - filter_chain_match: { server_names: [\"side.example\"] }\n"+
				edit(t, chain, "fail_open: false", "fail_open: true")+"  clusters:"),
			`static_resources.listeners[0](main).filter_chains[1].filters[0](envoy.filters.network.http_connection_manager).typed_config.http_filters[0](envoy.filters.http.wasm).typed_config.config.fail_open: must be false for Exeunt`},
		{"the default_filter_chain's filter cannot read bodies",
			edit(t, yaml, "\n  clusters:", "\n    default_filter_chain:\n"+
				edit(t, chain, "allow_on_headers_stop_iteration: true", "allow_on_headers_stop_iteration: false")+"  clusters:"),
			`static_resources.listeners[0](main).default_filter_chain.filters[0](envoy.filters.network.http_connection_manager).typed_config.http_filters[0](envoy.filters.http.wasm).typed_config.config.allow_on_headers_stop_iteration: must be true for Exeunt`},
		{"the only Exeunt filter is in the second chain, disabled",
			edit(t, edit(t, yaml, "    filter_chains:\n", "    filter_chains:\n"+noFilterChain),
				"                allow_on_headers_stop_iteration: true\n", "                allow_on_headers_stop_iteration: true\n            disabled: true\n"),
			`static_resources.listeners[0](main).filter_chains[1].filters[0](envoy.filters.network.http_connection_manager).typed_config.http_filters[0](envoy.filters.http.wasm).disabled: must not be true for Exeunt`},
	} {
		// With another file beside it: a file with no configuration found would be skipped.
		code, out := runCheck(t, "", "../../envoy.yaml", writeTemp(t, "envoy.yaml", c.yaml))
		if code != 1 || strings.Contains(out, "skipped") || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
		}
	}
}
