package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// TestServeRefusesEveryBypassOfIssue11 runs the shipped envoy.yaml in `hostsim serve`
// with build/exeunt.wasm, the real provider (its cluster and issuer pointed at
// oidcpeer) and one stand-in app behind both app clusters, and sends each request that
// reached App One signed out before deny by default (issue 11), byte for byte over a
// raw connection. Each must be sent to sign in or refused: never the app's page.
func TestServeRefusesEveryBypassOfIssue11(t *testing.T) {
	wasmFile(t, "exeunt.wasm")
	peer := oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID: "exeunt", Secret: "demo-secret-not-for-production", RedirectURIs: []string{"http://localhost:10000/signin-oidc"}}}})
	var reached atomic.Int64
	var seen atomic.Value // the last request's headers
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		seen.Store(r.Header.Clone())
		if r.URL.Query().Has("plant") {
			// An app (or whoever controls one) trying to plant a session in the browser.
			w.Header().Add("Set-Cookie", "__Host-exeunt=planted; Path=/; Secure; HttpOnly")
			w.Header().Add("Set-Cookie", "=__Host-exeunt=nameless; Path=/; Secure") // sent back as __Host-exeunt=nameless
			w.Header().Add("Set-Cookie", "app=1; Path=/")
		}
		fmt.Fprintf(w, "APP PAGE %s", r.URL.Path)
	}))
	defer app.Close()

	// The demo provider's issuer, in the plugin configuration, becomes the peer's.
	s, logw := serveShippedYAML(t, map[string]string{"http://127.0.0.1:9080": peer.Issuer}, func(doc map[string]any) {
		pointClusters(t, doc, map[string]string{"demo_idp": peer.Addr, "app1": app.Listener.Addr().String(), "app2": app.Listener.Addr().String()})
	})
	addr := s.ListenerAddr("main")

	// The public part of an app still works signed out (it is declared public), so the
	// stand-in app is reachable: the refusals below are the filter's.
	if res, body := rawRequest(t, addr, "GET", "/public/app1/", "localhost:10000"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("the declared public path: %d %q\nlog:\n%s", res.StatusCode, body, logw)
	}
	reached.Store(0)

	const signIn, refused, codec403 = "sign-in", "refused", "codec 403"
	hosts := []struct{ host, want string }{
		{"127.0.0.1:10000", refused},
		{"localhost", refused},
		{"localhost.:10000", refused},
		{"localhost:010000", refused},
		{"[::1]:10000", refused},
		{"evil.example", refused},
	}
	paths := []struct{ method, path, want string }{
		{"GET", "/app1", signIn},
		{"GET", "/app1?x=1", signIn},
		{"HEAD", "/app1", signIn},
		{"HEAD", "/app1/", signIn},
		{"GET", "/app1%2F", signIn},
		{"GET", "/app1%2Fsecret", signIn},
		{"GET", "/%61pp1/", signIn},
		{"GET", "/ap%70%31/", signIn},
		{"GET", "/APP1/", refused},
		{"GET", "//app1/", signIn},
		{"GET", "/./app1/", signIn},
		{"GET", "/x/../app1/", signIn},
		{"GET", "/app1;x/", signIn},
		{"GET", "/public/app1/../../app1/", signIn},
		{"GET", "/public/app1/%2e%2e/%2e%2e/app1/", signIn},
		{"GET", "/app1/..%2f", signIn},
		{"GET", "/app1%5c", signIn},
		{"GET", "/app1%5Csecret", signIn},
		{"GET", "/public/app1/..;/..;/app1/", signIn},
		{"GET", "/public/app1/.%2e/.%2e/app1/", signIn},
		{"GET", `/public/app1\..\..\app1/`, signIn},
		{"GET", "/favicon.ico/../app1/", signIn},
		{"GET", "/favicon.ico/..;/app1/", signIn},
		{"GET", "/favicon.ico;/../app1/", signIn},
		// Fullwidth full stops: ".." to an app that normalises Unicode (NFKC).
		{"GET", "/public/app1/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/app1/", refused},
		// Absolute-form request lines: Envoy routes on the URL's host, not the Host header.
		{"GET", "http://localhost:10000/app1/", signIn},
		{"GET", "http://localhost:10000/app1", signIn},
		{"GET", "http://localhost:10000/public/app1/../../app1/", signIn},
		{"GET", "http://evil.example/app1/", refused},
		// https in the clear: the codec of an edge Envoy (envoy.yaml's use_remote_address,
		// no trusted hops) refuses it, 403, before the filter (hostsim/serve/scheme.go).
		{"GET", "https://localhost:10000/app1/", codec403},
	}
	type probe struct{ method, path, host, want string }
	var probes []probe
	for _, h := range hosts {
		probes = append(probes, probe{"GET", "/app1/", h.host, h.want}, probe{"HEAD", "/app1/", h.host, h.want})
	}
	for _, p := range paths {
		host := "localhost:10000"
		if strings.HasPrefix(p.path, "http") {
			host = "evil.example" // the absolute URL's host wins
		}
		probes = append(probes, probe{p.method, p.path, host, p.want})
	}
	for _, p := range probes {
		res, body := rawRequest(t, addr, p.method, p.path, p.host)
		what := fmt.Sprintf("%s %s (Host: %s)", p.method, p.path, p.host)
		if strings.Contains(body, "APP PAGE") || reached.Load() != 0 {
			t.Fatalf("%s reached the app: %d %q", what, res.StatusCode, body)
		}
		switch {
		case p.want == codec403:
			if res.StatusCode != 403 {
				t.Errorf("%s: %d, want the codec's 403 (https in the clear on an edge Envoy)", what, res.StatusCode)
			}
		case res.StatusCode == 400:
			// Envoy's path and header checks may reject a request before the filter sees
			// it; that is a refusal too, and still not the app.
		case p.want == signIn:
			loc, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != 302 || loc == nil || !strings.HasPrefix(loc.String(), peer.Issuer+"/auth?") {
				t.Errorf("%s: %d to %q, want a redirect to sign in at %s", what, res.StatusCode, res.Header.Get("Location"), peer.Issuer)
			}
		default:
			if res.StatusCode != 404 || (p.method == "GET" && !strings.Contains(body, "No application is configured at this address.")) {
				t.Errorf("%s: %d %.200q, want the 404 refusal page", what, res.StatusCode, body)
			}
		}
	}

	// Request lines and headers Envoy's connection manager refuses before any filter runs:
	// never the app, never a 2xx.
	for _, tt := range []struct{ request, why string }{
		{"GET /app1/ HTTP/1.0\r\nHost: localhost:10000\r\n\r\n", "HTTP/1.0 (Envoy: 426 without accept_http_10)"},
		{"GET /app1/ HTTP/1.0\r\n\r\n", "HTTP/1.0 without a Host"},
		{"OPTIONS * HTTP/1.1\r\nHost: localhost:10000\r\nConnection: close\r\n\r\n", "OPTIONS * (Envoy: 404)"},
		{"GET /app1/ HTTP/1.1\r\nHost: evil.example\r\nHost: localhost:10000\r\nConnection: close\r\n\r\n", "two Host headers"},
		{"GET /app1/ HTTP/1.1\r\nHost: localhost:10000\r\nHost: evil.example\r\nConnection: close\r\n\r\n", "two Host headers, the owned one first"},
		{"GET /app1/ HTTP/1.1\r\nHost: u@localhost:10000\r\nConnection: close\r\n\r\n", "user info in Host"},
		{"GET /app1/ HTTP/1.1\r\nConnection: close\r\n\r\n", "no Host"},
		{"GET /app1/ HTTP/1.1\r\nHost: localhost:10000\r\nX_Exeunt_Sub: alice\r\nConnection: close\r\n\r\n", "an identity header spelt with underscores"},
	} {
		res, body := rawExchange(t, addr, tt.request)
		if res.StatusCode < 300 || strings.Contains(body, "APP PAGE") || reached.Load() != 0 {
			t.Errorf("%s: %d %.100q, want a refusal before the app", tt.why, res.StatusCode, body)
		}
	}

	// "/" is redirected to App One's protected prefix by Envoy's router, without the filter
	// and without reaching the app.
	if res, body := rawRequest(t, addr, "GET", "/", "localhost:10000"); res.StatusCode != 302 ||
		res.Header.Get("Location") != "http://localhost:10000/app1/" || strings.Contains(body, "APP PAGE") || reached.Load() != 0 {
		t.Errorf("GET /: %d to %q, want Envoy's redirect to http://localhost:10000/app1/", res.StatusCode, res.Header.Get("Location"))
	}

	// A declared public path and the filter-free public route: forged identity headers and
	// Exeunt's cookies never reach the app, and the app cannot set Exeunt's cookies.
	forged := "X-Exeunt-Sub: mallory\r\nX-Exeunt-Assertion: forged\r\nX-Exeunt-Sid: forged\r\n" +
		"Cookie: __Host-exeunt=stolen; __Host-exeunt.1=chunk; __Host-exeunt-flow-abc=f; __Host-exeunt-logout=l; __Host-exeunt =spaced; app=kept\r\n"
	for _, path := range []string{"/public/app1/page?plant=1", "/favicon.ico?plant=1"} {
		res, body := rawExchange(t, addr, "GET "+path+" HTTP/1.1\r\nHost: localhost:10000\r\n"+forged+"Connection: close\r\n\r\n")
		if !strings.HasPrefix(body, "APP PAGE") {
			t.Errorf("GET %s: %d %q, want the app", path, res.StatusCode, body)
			continue
		}
		h, _ := seen.Load().(http.Header)
		for name := range h {
			if strings.HasPrefix(strings.ToLower(name), "x-exeunt-") {
				t.Errorf("GET %s: the app received %s: %q", path, name, h.Values(name))
			}
		}
		if c := strings.Join(h.Values("Cookie"), "; "); strings.Contains(c, "exeunt") ||
			strings.HasPrefix(path, "/public/") && c != "app=kept" {
			t.Errorf("GET %s: the app received the cookies %q, want only app=kept (none on the filter-free route)", path, c)
		}
		for _, sc := range res.Header.Values("Set-Cookie") {
			if strings.Contains(sc, "__Host-exeunt") {
				t.Errorf("GET %s: the app set %q in the browser", path, sc)
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logw)
	}
}

// rawExchange sends a request exactly as written (request line, headers, blank line) and
// reads the answer.
func rawExchange(t *testing.T, addr, request string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, request)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// pointClusters sends each named cluster of an envoy.yaml document to one address.
func pointClusters(t *testing.T, doc map[string]any, to map[string]string) {
	t.Helper()
	sr, _ := doc["static_resources"].(map[string]any)
	clusters, _ := sr["clusters"].([]any)
	done := 0
	for _, c := range clusters {
		c, _ := c.(map[string]any)
		addr, ok := to[fmt.Sprint(c["name"])]
		if !ok {
			continue
		}
		host, port, _ := net.SplitHostPort(addr)
		var portNum int
		fmt.Sscan(port, &portNum)
		la, _ := c["load_assignment"].(map[string]any)
		la["endpoints"] = []any{map[string]any{"lb_endpoints": []any{map[string]any{"endpoint": map[string]any{
			"address": map[string]any{"socket_address": map[string]any{"address": host, "port_value": portNum}}}}}}}
		done++
	}
	if done != len(to) {
		t.Fatalf("envoy.yaml has %d of the clusters %v", done, to)
	}
}

// rawRequest sends one HTTP/1.1 request exactly as written (no client-side cleaning of
// the path or the Host) and reads the answer.
func rawRequest(t *testing.T, addr, method, path, host string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: text/html\r\nConnection: close\r\n\r\n", method, path, host)
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s (Host: %s): %v", method, path, host, err)
	}
	defer res.Body.Close()
	var b strings.Builder
	bufio.NewReader(res.Body).WriteTo(&b)
	return res, b.String()
}
