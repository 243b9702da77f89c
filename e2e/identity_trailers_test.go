package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// trailerApp is an upstream that records the request trailers each app received.
type trailerApp struct {
	mu   sync.Mutex
	seen map[string]http.Header
}

func (a *trailerApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body) // a request's trailers are known once its body is read
	a.mu.Lock()
	defer a.mu.Unlock()
	app := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	a.seen[app] = r.Trailer.Clone()
}

// Identity headers sent as request trailers reach no app: Envoy forwards a request's
// trailers to the upstream, and a server or framework that merges trailers into the
// headers would read them as Exeunt's. Signed out on a public path, and signed in on an
// app's path, every spelling of them is gone from the trailers; other trailers stay.
// The request is HTTP/2, whose trailers Envoy always hands to the filters: the shipped
// envoy.yaml leaves http_protocol_options.enable_trailers off, so over HTTP/1 its codec
// drops them before any filter (hostsim serve does too:
// TestHTTP1RequestTrailersReachTheFilterOnlyWithEnableTrailers); with the option on, an
// HTTP/1 request's trailers arrive as these do.
func TestIdentityHeadersSentAsTrailersNeverReachAnApp(t *testing.T) {
	e := newEnv(t, envOptions{config: map[string]any{"public_path_prefixes": []string{"/public/"}}})
	app := &trailerApp{seen: map[string]http.Header{}}
	trailers := []hostsim.Pair{
		{Name: "x-exeunt-sub", Value: "mallory"},
		{Name: "x_exeunt_assertion", Value: "forged"},
		{Name: "x-exeunt-email", Value: "mallory@example.test"},
		{Name: "x-original-url", Value: "/app1/admin"},
		{Name: "x-checksum", Value: "kept"},
	}
	send := func(path string) {
		t.Helper()
		var cs []string
		for k, v := range e.jar {
			cs = append(cs, k+"="+v)
		}
		headers := []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "content-type", Value: "text/plain"}}
		if len(cs) > 0 {
			headers = append(headers, hostsim.Pair{Name: "cookie", Value: strings.Join(cs, "; ")})
		}
		resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: "POST", Scheme: "https", Authority: "exeunt.test",
			Path: path, Header: headers, Body: []byte("data"), Trailer: trailers, Protocol: "HTTP/2"}, app)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 {
			t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
		}
	}
	check := func(name string) {
		t.Helper()
		app.mu.Lock()
		got := app.seen[name]
		app.mu.Unlock()
		for n := range got {
			if l := strings.ReplaceAll(strings.ToLower(n), "_", "-"); strings.HasPrefix(l, "x-exeunt-") || l == "x-original-url" {
				t.Errorf("%s received the trailer %s: %q", name, n, got[n])
			}
		}
		if got.Get("x-checksum") != "kept" {
			t.Errorf("%s received the trailers %v, want x-checksum kept", name, got)
		}
	}

	send("/public/form")
	check("public")

	e.signIn("https://exeunt.test/app1/")
	send("/app1/form")
	check("app1")
}
