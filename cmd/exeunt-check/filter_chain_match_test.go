package main

import (
	"strings"
	"testing"
)

// A listener whose filter chains differ: Envoy gives each connection one chain by its
// filter_chain_match (server name, destination port, source...), which exeunt-check does
// not decide. A chain without Exeunt's filter beside one with it is reported, with the
// connections it takes: an error where it is set up for a client's host (by server name
// or a virtual host domain) and forwards a path the client owns, a warning otherwise.
// exeunt-check ignored filter_chain_match: such chains to a cluster no filtered route
// used passed silently.
func TestFilterChainsThatDifferAreReported(t *testing.T) {
	const legacyCluster = `  clusters:
  - name: legacy
    type: STATIC
    connect_timeout: 2s
    load_assignment:
      cluster_name: legacy
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8090 } } }
`
	sideChain := func(match, domains, routes string) string {
		return `
    - filter_chain_match: ` + match + `
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: side
          route_config:
            virtual_hosts:
            - name: side
              domains: ` + domains + `
              routes:
` + routes + `
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`
	}
	const toLegacy = "              - match: { prefix: \"/\" }\n                route: { cluster: legacy }"
	for _, c := range []struct {
		name  string
		chain string
		code  int
		want  []string
	}{
		{"a chain for the client's server name without the filter", sideChain(`{ server_names: ["localhost"], transport_protocol: tls }`, `["*"]`, toLegacy), 1, []string{
			`listener "main", filter_chains[1] (filter_chain_match: server_names ["localhost"], transport_protocol "tls"), virtual host "side", routes[0] (match prefix "/"): its filter chain has no Exeunt filter, while listener "main", filter_chains[0] of the same listener runs it, and this chain takes client "app1"'s host localhost:10000 by name (its filter_chain_match's server name "localhost"): on a connection Envoy gives this chain, /app1/, which the client owns (clients[0].path_prefixes[0]), reaches cluster legacy without a session; add Exeunt's filter to this chain, or take the client's host out of it`}},
		{"a chain by destination port with a virtual host for the client's host", sideChain(`{ destination_port: 10443 }`, `["localhost:10000"]`, toLegacy), 1, []string{
			`listener "main", filter_chains[1] (filter_chain_match: destination_port 10443), virtual host "side", routes[0] (match prefix "/"): its filter chain has no Exeunt filter, while listener "main", filter_chains[0] of the same listener runs it, and this chain takes client "app2"'s host localhost:10000 by name (its virtual host's domain "localhost:10000")`}},
		{"a chain by destination port for any host", sideChain(`{ destination_port: 10443 }`, `["*"]`, toLegacy), 0, []string{
			`warning: listener "main", filter_chains[1] (filter_chain_match: destination_port 10443): it has no Exeunt filter, while listener "main", filter_chains[0] of the same listener runs it: Envoy gives each connection one filter chain`,
			"make sure no client's traffic can select this chain, or add Exeunt's filter to it", "ok (1 plugin configuration, 1 warning)"}},
		{"a default_filter_chain for any host", strings.Replace(sideChain("", `["*"]`, toLegacy), "    - filter_chain_match: \n", "    default_filter_chain:\n", 1), 0, []string{
			`warning: listener "main", default_filter_chain (the connections no filter chain matches): it has no Exeunt filter`}},
		{"a tcp_proxy chain to a client's cluster: the error, not also the warning", `
    - filter_chain_match: { destination_port: 10444 }
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: raw, cluster: app1 }
`, 1, []string{`listener "main", filter_chains[1] (filter_chain_match: destination_port 10444): a tcp_proxy sends whole connections to cluster "app1"`}},
		{"a chain that only redirects", sideChain(`{ destination_port: 10080 }`, `["*"]`, "              - match: { prefix: \"/\" }\n                redirect: { https_redirect: true }"), 0, []string{
			"envoy.yaml: ok (1 plugin configuration)\n"}},
	} {
		yaml := edit(t, repoFile(t, "envoy.yaml"), "\n  clusters:\n", c.chain+legacyCluster)
		code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
		if code != c.code {
			t.Errorf("%s: exit %d, want %d; output:\n%s", c.name, code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
		if c.code == 1 && strings.Contains(out, "warning: ") {
			t.Errorf("%s: a chain already in an error is not also a warning:\n%s", c.name, out)
		}
	}
}
