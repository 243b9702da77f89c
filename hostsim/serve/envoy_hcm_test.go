package serve

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The connection manager's behaviours, through real HTTP to hostsim serve with the fixture
// filter (which answers /properties itself and marks every response it saw with
// X-Seen-Status) in front of an upstream that echoes "app METHOD URI".

// TestServePathOptions: normalize_path, merge_slashes and each path_with_escaped_slashes_action
// as Envoy applies them: the filter and the upstream see the normalised path; a rejected or
// redirected request never reaches the filter.
func TestServePathOptions(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	serveWith := func(hcm string) string {
		s, _ := start(t, config{wasm: fixture, app: app.addr(), hcm: hcm, admin: true}, Options{})
		return "http://" + s.ListenerAddr("main")
	}
	type check struct {
		path   string
		status int
		body   string // the upstream's echo, or "" for no body
		loc    string // Location for a 307
	}
	cases := []struct {
		name   string
		hcm    string
		checks []check
	}{
		{"no options: Envoy changes nothing", "", []check{
			{"/a/../b", 200, "app GET /a/../b", ""},
			{"//app1/%2Fx", 200, "app GET //app1/%2Fx", ""},
			{"/%61pp1/", 200, "app GET /%61pp1/", ""},
		}},
		{"normalize_path and merge_slashes (KEEP_UNCHANGED by default)",
			"          normalize_path: true\n          merge_slashes: true\n", []check{
				{"/a/../b?q=/../x", 200, "app GET /b?q=/../x", ""},
				{"//app1//./x/", 200, "app GET /app1/x/", ""},
				{"/%61pp1/", 200, "app GET /app1/", ""},
				{`/x/..\app1/`, 200, "app GET /app1/", ""},
				{"/app1%2Fsecret", 200, "app GET /app1%2Fsecret", ""},
				{"/xyz/..;foo=bar/abc", 200, "app GET /abc", ""},
				{"/a%00", 400, "", ""},
			}},
		{"REJECT_REQUEST", "          normalize_path: true\n          path_with_escaped_slashes_action: REJECT_REQUEST\n", []check{
			{"/app1%2Fsecret", 400, "", ""},
			{"/abc%5c../", 400, "", ""},
			{"/app1/x?next=%2F", 200, "app GET /app1/x?next=%2F", ""},
		}},
		{"UNESCAPE_AND_REDIRECT", "          normalize_path: true\n          path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT\n", []check{
			{"/app1%2Fsecret?x=1", 307, "", "/app1/secret?x=1"},
			{"/abc%2f../", 307, "", "/"},
			{"/app1/ok", 200, "app GET /app1/ok", ""},
		}},
		{"UNESCAPE_AND_FORWARD", "          normalize_path: true\n          merge_slashes: true\n          path_with_escaped_slashes_action: UNESCAPE_AND_FORWARD\n", []check{
			{"/app1%2Fsecret", 200, "app GET /app1/secret", ""},
			{"/app1%2F%2Fsecret", 200, "app GET /app1/secret", ""},
			{"/x%5C..%5Capp1/", 200, "app GET /app1/", ""},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := serveWith(tc.hcm)
			for _, c := range tc.checks {
				before := app.count()
				res := rawGet(t, base, c.path)
				if res.status != c.status || c.body != "" && res.body != c.body {
					t.Errorf("GET %s: %d %q, want %d %q", c.path, res.status, res.body, c.status, c.body)
				}
				if c.loc != "" && res.header.Get("Location") != c.loc {
					t.Errorf("GET %s: Location %q, want %q", c.path, res.header.Get("Location"), c.loc)
				}
				if c.status != 200 {
					if res.header.Get("X-Seen-Status") != "" {
						t.Errorf("GET %s: the filter saw a request Envoy answers before the filter chain", c.path)
					}
					if app.count() != before {
						t.Errorf("GET %s: the upstream received it", c.path)
					}
				}
			}
		})
	}
	// An absolute URI in the request line is its path to the router; "*" is Envoy's 404.
	base0 := serveWith("")
	if res := rawGet(t, base0, "http://localhost/abs/path?q=1"); res.status != 200 || res.body != "app GET /abs/path?q=1" {
		t.Errorf("absolute URI: %d %q", res.status, res.body)
	}
	if res := rawGet(t, base0, "*"); res.status != 404 || res.header.Get("X-Seen-Status") != "" {
		t.Errorf("GET *: %d, filter saw %q; want Envoy's 404 before the filter", res.status, res.header.Get("X-Seen-Status"))
	}
	// The filter reads the normalised path too (its request.path property).
	base := serveWith("          normalize_path: true\n          merge_slashes: true\n          path_with_escaped_slashes_action: UNESCAPE_AND_FORWARD\n")
	res := rawGet(t, base, "//x/..%2F%70roperties?names=request.path")
	var props map[string]any
	if err := json.Unmarshal([]byte(res.body), &props); err != nil || props["request.path"] != "/properties?names=request.path" {
		t.Errorf("the filter saw request.path %v (%d %q), want /properties?names=request.path", props["request.path"], res.status, res.body)
	}
}

// rawGet sends a GET whose request target is exactly path, over a connection of its own
// (net/http's client would clean it, or send "//x" as an absolute URI).
func rawGet(t *testing.T, base, path string) result {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{res.StatusCode, res.Header, string(b)}
}

// TestServePerRouteFilterDisabled: typed_per_filter_config with an
// envoy.config.route.v3.FilterConfig, keyed by the filter's name in http_filters, on a route, a
// virtual host and the route configuration, the most specific winning; a disabled filter is
// not called at all.
func TestServePerRouteFilterDisabled(t *testing.T) {
	app := upstream(t, "app")
	const disabled = `
                  envoy.filters.http.wasm:
                    "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    disabled: true
`
	const enabled = `
                  envoy.filters.http.wasm:
                    "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    config: {}
`
	c := config{
		wasm: wasmPath(t, "fixture.wasm"), app: app.addr(),
		routeConfig: `            virtual_hosts:
            - name: public
              domains: ["public.test"]
              typed_per_filter_config:` + disabled + `              routes:
              - match: {prefix: "/local"}
                route: {cluster: app}
                typed_per_filter_config:` + enabled + `              - match: {prefix: "/"}
                route: {cluster: app}
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/static/"}
                route: {cluster: app}
                request_headers_to_remove: ["cookie", "x-exeunt-sub"]
                typed_per_filter_config:` + disabled + `              - match: {prefix: "/other-name/"}
                route: {cluster: app}
                typed_per_filter_config:
                  some.other.filter:
                    "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                    disabled: true
              - match: {prefix: "/"}
                route: {cluster: app}
`,
	}
	s, _ := start(t, c, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		host, path string
		filter     bool // the filter ran
		status     int
	}{
		{"", "/static/app.css", false, 200},
		// Without normalize_path Envoy routes on the path as written: this is the /static/
		// route, so the filter is skipped and the upstream may resolve it to /local. The
		// shipped envoy.yaml turns normalize_path on for this reason.
		{"", "/static/../local", false, 200},
		{"", "/local", true, 418},        // the fixture answers /local itself
		{"", "/other-name/x", true, 200}, // keyed by another filter's name: no effect
		{"public.test", "/page", false, 200},
		{"public.test", "/local", true, 418}, // the route enables what its virtual host disabled
	} {
		res := send(t, "GET", base+tt.path, tt.host, "")
		ran := res.header.Get("X-Seen-Status") != "" || res.status == 418
		if ran != tt.filter || res.status != tt.status {
			t.Errorf("%s%s: %d, filter ran %v; want %d, %v", tt.host, tt.path, res.status, ran, tt.status, tt.filter)
		}
	}
	// With normalize_path, the route is chosen on the normalised path: /static/../local is
	// /local, and the filter runs.
	c.hcm = "          normalize_path: true\n"
	s2, _ := start(t, c, Options{})
	if res := send(t, "GET", "http://"+s2.ListenerAddr("main")+"/static/../local", "", ""); res.status != 418 {
		t.Errorf("/static/../local with normalize_path: %d, want the filter's 418", res.status)
	}
	// The route's request_headers_to_remove: the router drops them on the way upstream.
	req, _ := http.NewRequest("GET", base+"/static/app.js", nil)
	req.Header.Set("Cookie", "session=secret")
	req.Header.Set("X-Exeunt-Sub", "forged")
	req.Header.Set("X-Kept", "yes")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	seen, _ := app.last(t)
	if seen.Header.Get("Cookie") != "" || seen.Header.Get("X-Exeunt-Sub") != "" || seen.Header.Get("X-Kept") != "yes" {
		t.Errorf("upstream saw %v; want cookie and x-exeunt-sub removed, x-kept kept", seen.Header)
	}
}

// TestServeNotSimulatedWarnsOnce: a setting Envoy accepts and hostsim does not simulate starts
// the server, with one warning naming each.
func TestServeNotSimulatedWarnsOnce(t *testing.T) {
	c := config{wasm: wasmPath(t, "fixture.wasm"), app: "127.0.0.1:1",
		hcm: "          server_name: exeunt\n          add_user_agent: true\n"}
	_, log := start(t, c, Options{})
	out := log.String()
	if n := strings.Count(out, "[warning]"); n != 1 {
		t.Fatalf("%d warnings, want one:\n%s", n, out)
	}
	for _, want := range []string{"2 setting(s)", "typed_config.server_name: not supported", "typed_config.add_user_agent: not supported"} {
		if !strings.Contains(out, want) {
			t.Errorf("the warning does not say %q:\n%s", want, out)
		}
	}
}
