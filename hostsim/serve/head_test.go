package serve

import (
	"strconv"
	"strings"
	"testing"
)

// TestServeHEADLocalRepliesHaveContentLength: Envoy's local replies (Utility::sendLocalReply)
// set content-length to the body's length before encoding a HEAD's reply as headers only, so a
// HEAD gets the Content-Length its GET's body has, and no body; a reply without a body has no
// Content-Length on HEAD (the HTTP/1 codec adds "0" to no HEAD's reply). hostsim sent none.
func TestServeHEADLocalRepliesHaveContentLength(t *testing.T) {
	app := upstream(t, "app")
	c := config{
		wasm: wasmPath(t, "fixture.wasm"),
		app:  app.addr(),
		routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/dead"}
                route: {cluster: dead}
              - match: {prefix: "/big"}
                direct_response: {status: 200, body: {inline_string: "` + strings.Repeat("big page ", 400) + `"}}
              - match: {prefix: "/direct"}
                direct_response: {status: 403, body: {inline_string: "not here"}}
              - match: {prefix: "/"}
                route: {cluster: app}
`,
		clusters: staticCluster("dead", "STATIC", deadAddr(t)),
	}
	s, _ := start(t, c, Options{})
	base := "http://" + s.ListenerAddr("main")
	// The filter's local reply (the fixture's /local: 418 "teapot"), the router's for a dead
	// cluster (503) and its direct_response, short and long (3600 bytes: Go's server sets a
	// HEAD's Content-Length itself only from a body it still holds, under 2 KiB).
	for _, path := range []string{"/local", "/dead/page", "/direct", "/big"} {
		g := get(t, base+path)
		h := send(t, "HEAD", base+path, "", "")
		if g.body == "" {
			t.Fatalf("GET %s: no body", path)
		}
		if h.status != g.status || h.body != "" || h.header.Get("Content-Length") != strconv.Itoa(len(g.body)) {
			t.Errorf("HEAD %s: %d, body %q, Content-Length %q; want GET's %d and Content-Length %d, no body", path, h.status, h.body, h.header.Get("Content-Length"), g.status, len(g.body))
		}
	}
	// No route: Envoy's 404 has no body, so no Content-Length on HEAD.
	c.routeConfig = `            virtual_hosts:
            - name: all
              domains: ["app.test"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
`
	s, _ = start(t, c, Options{})
	h := send(t, "HEAD", "http://"+s.ListenerAddr("main")+"/page", "other.test", "")
	if _, has := h.header["Content-Length"]; h.status != 404 || has {
		t.Errorf("HEAD without a route: %d, Content-Length %q; want 404 without Content-Length", h.status, h.header.Get("Content-Length"))
	}
}
