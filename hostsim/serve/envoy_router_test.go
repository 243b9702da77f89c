package serve

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawExchange writes a request exactly as given (request line, headers, blank line) to a
// listener and reads the answer.
func rawExchange(t *testing.T, base, request string) result {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, string(b)}
}

// TestServeRequestLinesEnvoyRefuses: an HTTP/1.0 request (to Envoy's codec, any version but
// 1.1, such as HTTP/1.2) is answered 426 unless
// http_protocol_options.accept_http_10 (then a Host is still required, or
// default_host_for_http_10 supplies it); "OPTIONS *" is a 404 (not a relative path). Neither
// reaches the filter or the upstream.
func TestServeRequestLinesEnvoyRefuses(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	s, _ := start(t, config{wasm: fixture, app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		request string
		status  int
	}{
		{"GET /page HTTP/1.0\r\nHost: localhost\r\n\r\n", 426},
		{"GET /page HTTP/1.0\r\n\r\n", 426},
		// Any version other than 1.1 is HTTP/1.0 to the codec (checkProtocolVersion).
		{"GET /page HTTP/1.2\r\nHost: localhost\r\nConnection: close\r\n\r\n", 426},
		{"GET /page HTTP/1.9\r\nHost: localhost\r\nConnection: close\r\n\r\n", 426},
		{"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 404},
	} {
		res := rawExchange(t, base, tt.request)
		if res.status != tt.status || res.header.Get("X-Seen-Status") != "" || res.header.Get("X-Upstream") != "" {
			t.Errorf("%q: %d %v, want %d from the connection manager", tt.request, res.status, res.header, tt.status)
		}
	}
	if app.count() != 0 {
		t.Fatalf("the upstream received %d requests", app.count())
	}

	s2, _ := start(t, config{wasm: fixture, app: app.addr(),
		hcm: "          http_protocol_options: {accept_http_10: true}\n"}, Options{})
	base2 := "http://" + s2.ListenerAddr("main")
	if res := rawExchange(t, base2, "GET /page HTTP/1.0\r\nHost: localhost\r\n\r\n"); res.status != 200 {
		t.Errorf("accept_http_10: %d, want 200", res.status)
	}
	if res := rawExchange(t, base2, "GET /page HTTP/1.0\r\n\r\n"); res.status != 400 {
		t.Errorf("accept_http_10 without a Host: %d, want 400", res.status)
	}
	s3, _ := start(t, config{wasm: fixture, app: app.addr(),
		hcm: "          http_protocol_options: {accept_http_10: true, default_host_for_http_10: default.test}\n"}, Options{})
	if res := rawExchange(t, "http://"+s3.ListenerAddr("main"), "GET /page HTTP/1.0\r\n\r\n"); res.status != 200 {
		t.Errorf("default_host_for_http_10: %d, want 200", res.status)
	} else if seen, _ := app.last(t); seen.Host != "default.test" {
		t.Errorf("default_host_for_http_10: the upstream saw Host %q", seen.Host)
	}
}

// TestServeRouteRedirectAndDirectResponse: routes the router answers itself. A redirect route
// answers 301 (or its response_code) with Location from Envoy's newUri (the request's scheme
// and Host unless the redirect sets them, the query kept unless strip_query); a
// direct_response route answers its status and body. Neither reaches an upstream, and a later
// route is never tried for their paths. The wasm filter runs first unless the route disables
// it.
func TestServeRouteRedirectAndDirectResponse(t *testing.T) {
	app := upstream(t, "app")
	c := config{
		wasm: wasmPath(t, "fixture.wasm"), app: app.addr(),
		routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {path: "/"}
                redirect: {path_redirect: "/app1/"}
                typed_per_filter_config:
                  envoy.filters.http.wasm:
                    "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    disabled: true
              - match: {prefix: "/found"}
                redirect: {path_redirect: "/there?x=1", response_code: FOUND}
              - match: {prefix: "/secure"}
                redirect: {https_redirect: true, strip_query: true}
              - match: {prefix: "/elsewhere"}
                redirect: {host_redirect: "other.test", port_redirect: 8443, scheme_redirect: "https"}
              - match: {prefix: "/blocked"}
                direct_response: {status: 403, body: {inline_string: "no"}}
              - match: {prefix: "/"}
                route: {cluster: app}
`,
	}
	s, _ := start(t, c, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		path, host string
		status     int
		location   string
		filter     bool
	}{
		{"/", "localhost:10000", 301, "http://localhost:10000/app1/", false},
		{"/?a=b", "localhost:10000", 301, "http://localhost:10000/app1/?a=b", false},
		{"/found/x?q=1", "localhost", 302, "http://localhost/there?x=1", true},
		{"/secure/x?q=1", "localhost:80", 301, "https://localhost/secure/x", true},
		{"/elsewhere/x", "localhost:10000", 301, "https://other.test:8443/elsewhere/x", true},
		{"/blocked/x", "localhost", 403, "", true},
	} {
		res := send(t, "GET", base+tt.path, tt.host, "")
		ran := res.header.Get("X-Seen-Status") != ""
		if res.status != tt.status || res.header.Get("Location") != tt.location || ran != tt.filter || res.header.Get("X-Upstream") != "" {
			t.Errorf("%s (Host %s): %d to %q, filter ran %v; want %d to %q, %v", tt.path, tt.host,
				res.status, res.header.Get("Location"), ran, tt.status, tt.location, tt.filter)
		}
		if tt.status == 403 && res.body != "no" {
			t.Errorf("direct_response body %q", res.body)
		}
	}
	if app.count() != 0 {
		t.Fatalf("the upstream received %d requests", app.count())
	}
	if res := get(t, base+"/page"); res.status != 200 || res.header.Get("X-Upstream") != "app" {
		t.Errorf("/page: %d, want the upstream", res.status)
	}
}

// TestServeRouteResponseHeadersToRemove: response_headers_to_remove on a route, its virtual
// host and the route configuration: the router removes them from the upstream's answer.
func TestServeRouteResponseHeadersToRemove(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "__Host-exeunt=planted; Path=/; Secure")
		w.Header().Set("X-Vh", "1")
		w.Header().Set("X-Rc", "1")
		w.Header().Set("X-Kept", "1")
	}))
	defer app.Close()
	s, _ := start(t, config{app: app.Listener.Addr().String(), routeConfig: `            response_headers_to_remove: ["x-rc"]
            virtual_hosts:
            - name: all
              domains: ["*"]
              response_headers_to_remove: ["x-vh"]
              routes:
              - match: {path: "/favicon.ico"}
                route: {cluster: app}
                response_headers_to_remove: ["set-cookie"]
              - match: {prefix: "/"}
                route: {cluster: app}
`}, Options{})
	base := "http://" + s.ListenerAddr("main")
	res := get(t, base+"/favicon.ico")
	if res.header.Get("Set-Cookie") != "" || res.header.Get("X-Vh") != "" || res.header.Get("X-Rc") != "" || res.header.Get("X-Kept") != "1" {
		t.Errorf("/favicon.ico answered with %v; want set-cookie, x-vh and x-rc removed", res.header)
	}
	res = get(t, base+"/other")
	if res.header.Get("Set-Cookie") == "" || res.header.Get("X-Vh") != "" || res.header.Get("X-Rc") != "" {
		t.Errorf("/other answered with %v; want set-cookie kept, x-vh and x-rc removed", res.header)
	}
}
