package serve

import "testing"

// TestRoutingByDomainAndPath: virtual hosts by Host, routes by path and
// prefix, each to its cluster; no match is Envoy's 404.
func TestRoutingByDomainAndPath(t *testing.T) {
	app, api, admin := upstream(t, "app"), upstream(t, "api"), upstream(t, "admin")
	c := config{
		wasm: wasmPath(t, "fixture.wasm"),
		app:  app.addr(),
		routeConfig: `            virtual_hosts:
            - name: api
              domains: ["api.test", "*.api.test"]
              routes:
              - match: {path: "/admin"}
                route: {cluster: admin}
              - match: {prefix: "/"}
                route: {cluster: api}
            - name: apps
              domains: ["app.*"]
              routes:
              - match: {prefix: "/app/"}
                route: {cluster: app}
`,
		clusters: staticCluster("api", "STATIC", api.addr()) +
			// STRICT_DNS: a host name, resolved when connecting.
			staticCluster("admin", "STRICT_DNS", "localhost:"+portOf(admin.addr())),
	}
	s, _ := start(t, c, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct{ host, path, want string }{
		{"api.test", "/admin", "admin GET /admin"},
		{"api.test", "/admin/x", "api GET /admin/x"},
		{"v2.api.test", "/things?id=1", "api GET /things?id=1"},
		{"app.example", "/app/page", "app GET /app/page"},
	} {
		res := send(t, "GET", base+tt.path, tt.host, "")
		if res.status != 200 || res.body != tt.want {
			t.Errorf("%s%s: %d %q, want %q", tt.host, tt.path, res.status, res.body, tt.want)
		}
	}
	for _, tt := range []struct{ host, path string }{
		{"app.example", "/other"}, // the virtual host has no route for it
		{"nowhere.test", "/"},     // no virtual host
	} {
		res := send(t, "GET", base+tt.path, tt.host, "")
		if res.status != 404 || res.body != "" {
			t.Errorf("%s%s: %d %q, want Envoy's empty 404", tt.host, tt.path, res.status, res.body)
		}
		// The filter saw the router's 404 in its response callbacks.
		if res.header.Get("X-Seen-Status") != "404" {
			t.Errorf("%s%s: the filter did not see the 404", tt.host, tt.path)
		}
	}
}

func portOf(hostport string) string {
	for i := len(hostport) - 1; i >= 0; i-- {
		if hostport[i] == ':' {
			return hostport[i+1:]
		}
	}
	return hostport
}
