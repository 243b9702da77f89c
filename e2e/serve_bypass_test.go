package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim/serve"
	"sigs.k8s.io/yaml"
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
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		fmt.Fprintf(w, "APP PAGE %s", r.URL.Path)
	}))
	defer app.Close()

	raw, err := os.ReadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The demo provider's issuer, in the plugin configuration, becomes the peer's.
	raw = []byte(strings.ReplaceAll(string(raw), "http://127.0.0.1:9080", peer.Issuer))
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	serveFreePorts(doc)
	pointClusters(t, doc, map[string]string{"demo_idp": peer.Addr, "app1": app.Listener.Addr().String(), "app2": app.Listener.Addr().String()})
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(cfg, out, 0o644); err != nil {
		t.Fatal(err)
	}
	logw := &serveLog{}
	s, err := serve.Start(context.Background(), serve.Options{ConfigPath: cfg, BaseDir: "..", VMs: 2, Log: logw})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := s.ListenerAddr("main")

	// The public part of an app still works signed out (it is declared public), so the
	// stand-in app is reachable: the refusals below are the filter's.
	if res, body := rawRequest(t, addr, "GET", "/public/app1/", "localhost:10000"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("the declared public path: %d %q\nlog:\n%s", res.StatusCode, body, logw)
	}
	reached.Store(0)

	const signIn, refused = "sign-in", "refused"
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
	}
	type probe struct{ method, path, host, want string }
	var probes []probe
	for _, h := range hosts {
		probes = append(probes, probe{"GET", "/app1/", h.host, h.want}, probe{"HEAD", "/app1/", h.host, h.want})
	}
	for _, p := range paths {
		probes = append(probes, probe{p.method, p.path, "localhost:10000", p.want})
	}
	for _, p := range probes {
		res, body := rawRequest(t, addr, p.method, p.path, p.host)
		what := fmt.Sprintf("%s %s (Host: %s)", p.method, p.path, p.host)
		if strings.Contains(body, "APP PAGE") || reached.Load() != 0 {
			t.Fatalf("%s reached the app: %d %q", what, res.StatusCode, body)
		}
		switch {
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
	if t.Failed() {
		t.Logf("log:\n%s", logw)
	}
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
