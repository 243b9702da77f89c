package serve

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUnreachableClusterIsEnvoys503: a request routed to a cluster nobody
// listens on is answered as Envoy's router answers it; the filter's
// callout to it receives the same reply as its response.
func TestUnreachableClusterIsEnvoys503(t *testing.T) {
	app := upstream(t, "app")
	c := config{
		wasm:      wasmPath(t, "fixture.wasm"),
		app:       app.addr(),
		admin:     true,
		accessLog: true,
		routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/dead"}
                route: {cluster: dead}
              - match: {prefix: "/"}
                route: {cluster: app}
`,
		clusters: staticCluster("dead", "STATIC", deadAddr(t)),
	}
	s, log := start(t, c, Options{})
	base := "http://" + s.ListenerAddr("main")

	res := get(t, base+"/dead/page")
	const connectError = "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused"
	if res.status != 503 || res.body != connectError+"!"[:0] || res.header.Get("Content-Type") != "text/plain" {
		t.Errorf("routed to a dead cluster: %d %q %v", res.status, res.body, res.header)
	}
	if res.header.Get("X-Seen-Status") != "503" {
		t.Errorf("the filter did not see the router's 503")
	}
	if !strings.Contains(log.String(), `"GET /dead/page HTTP/1.1" 503 UF `) {
		t.Errorf("no access-log line with the UF flag:\n%s", log)
	}

	// The fixture's callout to the dead cluster answers with what it got.
	res = get(t, base+"/httpcall?cluster=dead")
	var got struct {
		Headers [][2]string `json:"headers"`
		Body    string      `json:"body"`
	}
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatalf("callout: %d %q", res.status, res.body)
	}
	if len(got.Headers) == 0 || got.Headers[0] != [2]string{":status", "503"} || got.Body != connectError {
		t.Errorf("the callout to a dead cluster returned %+v, want Envoy's 503", got)
	}
	// A callout to a live cluster reaches it.
	res = get(t, base+"/httpcall-continue?cluster=app")
	if r, _ := app.last(t); r.Header.Get("X-Call-Status") != "200" || r.URL.Path != "/httpcall-continue" {
		t.Errorf("callout through cluster app: the app saw x-call-status %q on %s", r.Header.Get("X-Call-Status"), r.URL)
	}

	stats := get(t, "http://"+s.AdminAddr()+"/stats").body
	for _, want := range []string{"cluster.dead.upstream_cx_connect_fail: 2\n", "http.ingress_http.downstream_rq_5xx: 1\n"} {
		if !strings.Contains(stats, want) {
			t.Errorf("/stats lacks %q:\n%s", want, stats)
		}
	}
}

// TestRouteTimeoutIsEnvoys504.
func TestRouteTimeoutIsEnvoys504(t *testing.T) {
	app := upstream(t, "app")
	c := config{app: app.addr(), routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app, timeout: 0.2s}
`}
	s, _ := start(t, c, Options{})
	res := get(t, "http://"+s.ListenerAddr("main")+"/slow?sleep=5s")
	if res.status != 504 || res.body != "upstream request timeout" {
		t.Errorf("%d %q, want 504 upstream request timeout", res.status, res.body)
	}
}

// TestNoEndpointsIsNoHealthyUpstream: a cluster with no endpoints.
func TestNoEndpointsIsNoHealthyUpstream(t *testing.T) {
	c := config{app: "127.0.0.1:1", clusters: `  - name: empty
    connect_timeout: 1s
`, routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: empty}
`}
	s, _ := start(t, c, Options{})
	res := get(t, "http://"+s.ListenerAddr("main")+"/")
	if res.status != 503 || res.body != "no healthy upstream" {
		t.Errorf("%d %q, want 503 no healthy upstream", res.status, res.body)
	}
}
