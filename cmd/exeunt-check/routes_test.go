package main

import (
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Variants of the shipped envoy.yaml whose routes expose a protected client without a
// session (errors: exit 1), or may (warnings: exit 0, said in the verdict). exeunt-check
// said "ok" to every one of them before it followed the routes.
func TestRoutesThatExposeAClientAreFound(t *testing.T) {
	var listenerWith func(routes, filters string) string
	const (
		app1Route   = "              - match: { prefix: \"/app1/\" }\n                route: { cluster: app1 }\n"
		publicApp1  = "              - match: { prefix: \"/public/app1/\" }\n                route: { cluster: app1 }\n"
		publicApp2  = "              - match: { prefix: \"/public/app2/\" }\n                route: { cluster: app2 }\n"
		catchAll    = "              - match: { prefix: \"/\" }\n                route: { cluster: app1 }\n"
		disable     = "                typed_per_filter_config:\n                  envoy.filters.http.wasm:\n                    \"@type\": type.googleapis.com/envoy.config.route.v3.FilterConfig\n                    disabled: true\n"
		vhostDomain = "              domains: [\"*\"]\n"
		clusters    = "\n  clusters:\n"
	)
	// A second listener (or filter chain) without Exeunt's filter.
	plainListener := func(routes string) string { return listenerWith(routes, "") }
	_ = plainListener
	listenerWith = func(routes, filters string) string {
		return `
  - name: internal
    address:
      socket_address: { address: 127.0.0.1, port_value: 10001 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: internal
          route_config:
            virtual_hosts:
            - name: internal
              domains: ["*"]
              routes:
` + routes + `
          http_filters:
` + filters + `          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`
	}
	for _, tc := range []struct {
		name     string
		from, to string
		code     int
		want     []string // in the output
	}{
		{"the shipped envoy.yaml", "", "", 0, []string{"envoy.yaml: ok (1 plugin configuration)\n"}},
		{"the filter disabled on a client's prefix", app1Route, app1Route + disable, 1, []string{
			`listener "main", filter_chains[0], virtual host "demo", routes[1] (match prefix "/app1/"): Exeunt's filter is disabled on it (typed_per_filter_config), so /app1/ on host localhost:10000, which client "app1" owns (clients[0].path_prefixes[0]), reaches cluster app1 without a session`}},
		{"the filter disabled on a whole virtual host", vhostDomain, vhostDomain + strings.ReplaceAll(disable, "                ", "              "), 1, []string{
			`routes[1] (match prefix "/app1/"): Exeunt's filter is disabled on it`, `which client "app2" owns`}},
		{"a filter-free catch-all takes the bare /app1 the earlier routes leave", catchAll, catchAll + disable, 1, []string{
			`routes[6] (match prefix "/"): Exeunt's filter is disabled on it (typed_per_filter_config), so /app1 on host localhost:10000, which client "app1" owns`}},
		{"prefix_rewrite from a public prefix onto a protected one", publicApp1,
			"              - match: { prefix: \"/public/app1/\" }\n                route: { cluster: app1, prefix_rewrite: \"/app1/\" }\n", 1, []string{
				`routes[2] (match prefix "/public/app1/"): rewrites /public/app1/`, `which Exeunt passes without a session`, `to /app1/`, `which client "app1" owns (clients[0].path_prefixes[0]): Envoy's router rewrites after the filter has decided`}},
		{"regex_rewrite from a public prefix onto a protected one", publicApp2,
			"              - match: { prefix: \"/public/app2/\" }\n                route:\n                  cluster: app2\n                  regex_rewrite: { pattern: { regex: \"^/public/app2/(.*)$\" }, substitution: \"/app2/\\\\1\" }\n", 1, []string{
				`routes[4] (match prefix "/public/app2/"): rewrites /public/app2/`, `to /app2/`, `which client "app2" owns`}},
		{"path_rewrite from a public landing page onto a protected path", publicApp1,
			"              - match: { path: \"/public/app1/signed-out\" }\n                route: { cluster: app1, path_rewrite: \"/app1/admin\" }\n" + publicApp1, 1, []string{
				`routes[2] (match path "/public/app1/signed-out"): rewrites /public/app1/signed-out, which Exeunt passes without a session (clients[0].post_logout_redirect_uris[0]), to /app1/admin, which client "app1" owns`}},
		{"a second listener without the filter to a client's cluster", clusters, plainListener("              - match: { prefix: \"/\" }\n                route: { cluster: app2 }") + clusters, 1, []string{
			`listener "internal", filter_chains[0], virtual host "internal", routes[0] (match prefix "/"): its filter chain has no Exeunt filter, and it sends /app2/ to cluster "app2", which serves client "app2"'s protected paths`}},
		{"a second listener without the filter, for another host name", clusters, strings.Replace(plainListener("              - match: { prefix: \"/app1/\" }\n                route: { cluster: app1 }"), `domains: ["*"]`, `domains: ["internal.example"]`, 1) + clusters, 1, []string{
			`listener "internal", filter_chains[0], virtual host "internal", routes[0] (match prefix "/app1/"): its filter chain has no Exeunt filter, and it sends /app1/ to cluster "app1", which serves client "app1"'s protected paths`}},
		{"a second listener with its routes from RDS", clusters, strings.Replace(plainListener(""), `          route_config:
            virtual_hosts:
            - name: internal
              domains: ["*"]
              routes:

`, "          rds: { route_config_name: internal, config_source: { ads: {} } }\n", 1) + clusters, 0, []string{
			`warning: listener "internal", filter_chains[0]: the routes come from RDS or scoped routes, which exeunt-check cannot see`}},
		{"a second listener without the filter, a path the client does not own", clusters, plainListener("              - match: { path: \"/healthz\" }\n                route: { cluster: app2 }") + clusters, 0, []string{
			`listener "internal", filter_chains[0], virtual host "internal", routes[0] (match path "/healthz"): its filter chain has no Exeunt filter; it exposes no protected path, but nothing strips what the filter would: add "cookie", "x-exeunt-sub"`,
			"ok (1 plugin configuration, 1 warning)"}},
		{"Exeunt's filter behind an ExtensionWithMatcher", clusters, listenerWith("              - match: { prefix: \"/\" }\n                route: { cluster: app2 }", `          - name: exeunt-matched
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher
              extension_config:
                name: envoy.filters.http.wasm
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                  config:
                    root_id: exeunt
                    vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: build/exeunt.wasm } } }
                    allow_on_headers_stop_iteration: true
              xds_matcher:
                matcher_tree:
                  input:
                    name: request-headers
                    typed_config: { "@type": type.googleapis.com/envoy.type.matcher.v3.HttpRequestHeaderMatchInput, header_name: x-skip }
                  exact_match_map:
                    map:
                      "yes": { action: { name: skip, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter } } }
`) + clusters, 1, []string{`listener "internal", filter_chains[0]: Exeunt's filter "exeunt-matched" is wrapped in an ExtensionWithMatcher`}},
		{"a second filter chain without the filter", clusters, `
    - filter_chain_match: { source_prefix_ranges: [{ address_prefix: 10.0.0.0, prefix_len: 8 }] }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: side
          route_config:
            virtual_hosts:
            - name: side
              domains: ["*"]
              routes:
              - match: { safe_regex: { regex: "/app[12]/.*" } }
                route: { cluster: app1 }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
` + clusters, 1, []string{`listener "main", filter_chains[1] (filter_chain_match: source_prefix_ranges [10.0.0.0/8]), virtual host "side", routes[0] (match safe_regex "/app[12]/.*"): its filter chain has no Exeunt filter, and it sends /app1/ to cluster "app1", which serves client "app1"'s protected paths`}},
		{"a second listener whose Exeunt filter is in pass-through mode", clusters, listenerWith("              - match: { prefix: \"/app2/\" }\n                route: { cluster: app2 }", `          - name: exeunt-pass-through
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: exeunt
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: build/exeunt.wasm } } }
                allow_on_headers_stop_iteration: true
`) + clusters, 1, []string{`listener "internal", filter_chains[0], virtual host "internal", routes[0] (match prefix "/app2/"): Exeunt's filter on its filter chain is in pass-through mode (it signs nobody in), and it sends /app2/ to cluster "app2", which serves client "app2"'s protected paths`}},
		{"a broken configuration in a later filter chain", clusters, `
    - filter_chain_match: { source_prefix_ranges: [{ address_prefix: 10.0.0.0, prefix_len: 8 }] }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: side
          route_config:
            virtual_hosts:
            - name: side
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: app1 }
          http_filters:
          - name: exeunt-side
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                root_id: exeunt
                vm_config: { runtime: envoy.wasm.runtime.v8, code: { local: { filename: build/exeunt.wasm } } }
                allow_on_headers_stop_iteration: true
                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: '{"issuer": "http://localhost:10000"}' }
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
` + clusters, 1, []string{`static_resources.listeners[0](main).filter_chains[1].filters[0](envoy.filters.network.http_connection_manager).typed_config.http_filters[0](exeunt-side): exeunt configuration: field "providers": is required`}},
		{"a tcp_proxy to a client's cluster", clusters, `
  - name: raw
    address:
      socket_address: { address: 127.0.0.1, port_value: 10002 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: raw
          cluster: app1
` + clusters, 1, []string{`listener "raw", filter_chains[0]: a tcp_proxy sends whole connections to cluster "app1", which serves client "app1"'s protected paths`}},
		{"a filter-free route on a declared public prefix that strips nothing", publicApp1, publicApp1 + disable, 0, []string{
			`routes[2] (match prefix "/public/app1/"): Exeunt's filter is disabled on it (typed_per_filter_config); it exposes no protected path, but nothing strips what the filter would`,
			"ok (1 plugin configuration, 1 warning)"}},
		{"a filter-free route on a declared public prefix that strips what the filter would", publicApp1, publicApp1 +
			"                request_headers_to_remove: [\"cookie\", \"x-exeunt-sub\", \"x-exeunt-email\", \"x-exeunt-email-verified\", \"x-exeunt-name\", \"x-exeunt-idp\", \"x-exeunt-sid\", \"x-exeunt-assertion\", \"x-exeunt-session-state\", \"x-original-url\", \"x-rewrite-url\"]\n" +
			"                response_headers_to_remove: [\"set-cookie\"]\n" + disable, 0, []string{"envoy.yaml: ok (1 plugin configuration)\n"}},
		{"a regex route that disables the filter and meets no probe path", app1Route,
			"              - match: { safe_regex: { regex: \"/app1-admin/.*\" } }\n                route: { cluster: app1 }\n" + disable + app1Route, 0, []string{
				`warning: listener "main", filter_chains[0], virtual host "demo", routes[1] (match safe_regex "/app1-admin/.*"): Exeunt's filter is disabled on it (typed_per_filter_config), and its regex matches none of the paths exeunt-check tries`,
				`it reaches a client's app (cluster "app1" serves the protected paths of client "app1", "app2"): make sure the regex takes no path a client owns`,
				"ok (1 plugin configuration, 1 warning)"}},
		{"a regex route without the filter that meets no probe path", clusters, plainListener("              - match: { safe_regex: { regex: \"/[a-z]+1/admin/.*\" } }\n                route: { cluster: app1 }") + clusters, 0, []string{
			`warning: listener "internal", filter_chains[0], virtual host "internal", routes[0] (match safe_regex "/[a-z]+1/admin/.*"): its filter chain has no Exeunt filter, and its regex matches none of the paths exeunt-check tries`,
			"ok (1 plugin configuration, 1 warning)"}},
		{"no path normalisation", "          normalize_path: true\n", "", 0, []string{
			`warning: listener "main", filter_chains[0]: the HTTP connection manager lacks normalize_path: true:`,
			"ok (1 plugin configuration, 1 warning)"}},
		{"escaped slashes kept", "path_with_escaped_slashes_action: REJECT_REQUEST", "path_with_escaped_slashes_action: UNESCAPE_AND_FORWARD", 0, []string{
			`lacks path_with_escaped_slashes_action: REJECT_REQUEST (or UNESCAPE_AND_REDIRECT; it is UNESCAPE_AND_FORWARD)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := repoFile(t, "envoy.yaml")
			if tc.from != "" {
				if !strings.Contains(yaml, tc.from) {
					t.Fatalf("envoy.yaml no longer holds %q: update the test", tc.from)
				}
				yaml = strings.Replace(yaml, tc.from, tc.to, 1)
			}
			code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
			t.Log(out)
			if code != tc.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// case_sensitive: false does not apply to a safe_regex match (Envoy ignores it there), so
// the regex is matched against the path as sent, not a lower-cased copy.
func TestARegexMatchIgnoresCaseSensitive(t *testing.T) {
	r := &envoyconfig.RoutingRoute{MatchKind: "safe_regex", MatchValue: "/App1/.*", CaseInsensitive: true}
	if !matches(r, "/App1/x", false) || matches(r, "/app1/x", false) {
		t.Error("a safe_regex route with case_sensitive: false must match case-sensitively, as Envoy does")
	}
}
