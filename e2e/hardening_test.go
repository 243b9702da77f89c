package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// Issue 11's hardening through build/exeunt.wasm in hostsim, where it depends on the glue:
// what an app receives and what it may set (request and response headers), and a failing
// token endpoint of a real provider.

// cookieApp is an upstream that records the Cookie headers it receives and answers with
// the Set-Cookie headers it is given.
type cookieApp struct {
	mu      sync.Mutex
	cookies []string
	set     []string
}

func (a *cookieApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cookies = r.Header.Values("Cookie")
	for _, sc := range a.set {
		w.Header().Add("Set-Cookie", sc)
	}
	w.Write([]byte("app"))
}

// sendTo is send with another upstream. The request asks for a page (Accept: text/html)
// unless headers say otherwise (they replace it).
func (e *signinEnv) sendTo(upstream http.Handler, rawURL string, headers ...hostsim.Pair) *hostsim.Response {
	e.t.Helper()
	u, _ := url.Parse(rawURL)
	var cs []string
	for k, v := range e.jar {
		cs = append(cs, k+"="+v)
	}
	slices.Sort(cs) // app cookies ("a...") first, then Exeunt's ("__Host-...") and "z..."
	if len(headers) == 0 {
		headers = []hostsim.Pair{{Name: "accept", Value: "text/html"}}
	}
	headers = append(headers, hostsim.Pair{Name: "cookie", Value: strings.Join(cs, "; ")})
	resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: "GET", Scheme: u.Scheme, Authority: u.Host,
		Path: u.RequestURI(), Header: headers}, upstream)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func TestExeuntCookiesNeitherReachAppsNorComeFromThem(t *testing.T) {
	// /public/ is public, so that a request reaches the app without needing a session
	// (a path nobody owns is refused before any app sees it).
	e := newEnv(t, envOptions{config: map[string]any{"public_path_prefixes": []string{"/public/"}}})
	e.signIn("https://exeunt.test/app1/")
	app := &cookieApp{set: []string{
		"__Host-exeunt=planted; Path=/; Secure; HttpOnly; SameSite=Lax",
		"app1pref=green; Path=/app1/",
		"__Host-exeunt-logout=planted-too; Path=/; Secure",
		"__Host-exeunt.1=chunk; Path=/; Secure",
	}}
	// The first visit records app1 in the session: Exeunt re-seals its cookie in the
	// app's response, after the app's own Set-Cookies were filtered. Ours stays.
	resp := e.sendTo(app, "https://exeunt.test/app1/")
	got := resp.HeaderValues("set-cookie")
	if len(got) != 2 || got[0] != "app1pref=green; Path=/app1/" || !strings.HasPrefix(got[1], "__Host-exeunt=eyJ") {
		t.Fatalf("first visit: the browser received Set-Cookie %q", got)
	}
	e.jar["__Host-exeunt"], _, _ = strings.Cut(strings.TrimPrefix(got[1], "__Host-exeunt="), ";")
	e.jar["app1pref"] = "blue"
	e.jar["zz"] = "1"
	resp = e.sendTo(app, "https://exeunt.test/app1/page")
	if resp.Status != 200 {
		t.Fatalf("signed-in request: %d %s", resp.Status, resp.Body)
	}
	// In: the app's own cookies, in order; none of Exeunt's (the session is in the jar).
	if _, ok := e.jar["__Host-exeunt"]; !ok {
		t.Fatal("the browser has no session cookie")
	}
	if got := strings.Join(app.cookies, " | "); got != "app1pref=blue; zz=1" {
		t.Fatalf("the app received Cookie %q", got)
	}
	// Out: the app's Set-Cookie for its own cookie passes; those for Exeunt's are gone.
	if got := resp.HeaderValues("set-cookie"); len(got) != 1 || got[0] != "app1pref=green; Path=/app1/" || !e.signedIn() {
		t.Fatalf("the browser received Set-Cookie %q", got)
	}
	e.waitMetric("exeunt.response.own_cookie_dropped", 6)
	logged := 0
	for _, l := range e.host.Logs() {
		if strings.Contains(l.Message, "dropped a Set-Cookie for Exeunt's cookie") {
			logged++
			if strings.Contains(l.Message, "planted") || strings.Contains(l.Message, "chunk") {
				t.Fatalf("the log quotes a cookie's value: %s", l.Message)
			}
		}
	}
	if logged != 6 {
		t.Fatalf("%d log lines for 6 dropped Set-Cookies", logged)
	}

	// A public path is not the filter's to protect, but the cookies are still Exeunt's:
	// removed there too, and a response cannot plant them.
	app.mu.Lock()
	app.cookies = nil // what it received last time must not pass for this request's
	app.mu.Unlock()
	resp = e.sendTo(app, "https://exeunt.test/public/x")
	if got := strings.Join(app.cookies, " | "); got != "app1pref=blue; zz=1" || len(resp.HeaderValues("set-cookie")) != 1 {
		t.Fatalf("public path: app got %q, browser got %q", got, resp.HeaderValues("set-cookie"))
	}
}

func TestAFailingTokenEndpointGets502(t *testing.T) {
	// The provider's cluster goes through a proxy whose token endpoint fails (as a
	// provider behind a load balancer does when its backend is down); everything else
	// is the real provider's.
	var target atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/token") {
			http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
			return
		}
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target.Load().(string)}).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	e := newEnv(t, envOptions{clusters: map[string]hostsim.Cluster{"idp": {Address: strings.TrimPrefix(proxy.URL, "http://")}}})
	target.Store(e.peer.Addr)
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/"))
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp := e.get(back.String(), hostsim.Pair{Name: "accept-language", Value: "fr"})
	if resp.Status != 502 || !strings.Contains(string(resp.Body), "ne peut pas terminer la connexion") {
		t.Fatalf("token endpoint failing: want 502 provider unavailable, got %d %s", resp.Status, resp.Body)
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set")
	}
}

func TestALogoutPostWithAHugeHintIsRefusedAndStoresNothing(t *testing.T) {
	// Before the limits, 300 such POSTs added about 40 MB to the store. Each is now a 400
	// page naming the parameter, read whole through the glue's body path.
	e := newEnv(t, envOptions{clients: signoutClients(), config: map[string]any{"logout": map[string]any{"context_storage": "store"}},
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}}})
	e.signedInApps()
	stored := func() int {
		n := 0
		for i := 0; i < 256; i++ {
			for _, prefix := range []string{"exeunt/logout/", "exeunt/logout-sid/"} {
				v, _, _ := e.host.SharedData(prefix + strconv.Itoa(i))
				n += len(v)
			}
		}
		return n
	}
	before := stored()
	body := []byte(url.Values{"client_id": {"app1"}, "logout_hint": {strings.Repeat("h", 60<<10)}}.Encode())
	for i := 0; i < 20; i++ {
		resp := e.send("POST", "https://exeunt.test/connect/endsession", body, hostsim.Pair{Name: "content-type", Value: "application/x-www-form-urlencoded"})
		if resp.Status != 400 || !strings.Contains(string(resp.Body), "logout_hint") {
			t.Fatalf("a 60 KB logout_hint: %d %s", resp.Status, resp.Body)
		}
	}
	if !e.signedIn() || stored() != before {
		t.Fatalf("refused requests changed something: signed in %v, logout contexts %d bytes, before %d", e.signedIn(), stored(), before)
	}
	// The same request within the limits is stored (the prompt's context): the check
	// above could see a write.
	ok := []byte(url.Values{"client_id": {"app1"}, "logout_hint": {"alice"}}.Encode())
	if resp := e.send("POST", "https://exeunt.test/connect/endsession", ok, hostsim.Pair{Name: "content-type", Value: "application/x-www-form-urlencoded"}); resp.Status != 200 || stored() == before {
		t.Fatalf("a valid logout request: %d, stored %d bytes (before %d)", resp.Status, stored(), before)
	}
	e.waitMetric("exeunt.request.param_too_long", 20)
}

// TestFrontchannelLinksNeverClaimASignOut: links to /signout-oidc followed at the top level
// (the Lax cookie goes along), through build/exeunt.wasm with the real provider: without iss
// and sid, or with the provider's iss and a sid that is not this browser's session, the page
// asks and never says "signed out", and the session lives on until the user confirms.
func TestFrontchannelLinksNeverClaimASignOut(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	for _, q := range []string{"", "?iss=" + url.QueryEscape(e.peer.Issuer) + "&sid=not-this-browsers"} {
		for _, method := range []string{"GET", "HEAD"} {
			resp := e.send(method, "https://exeunt.test/signout-oidc"+q, nil)
			if strings.Contains(strings.ToLower(string(resp.Body)), "signed out") || !e.signedIn() {
				t.Fatalf("%s /signout-oidc%s: %d %s; signed in %v", method, q, resp.Status, resp.Body, e.signedIn())
			}
			if method == "GET" && !strings.Contains(string(resp.Body), `name="logout_id"`) {
				t.Errorf("GET /signout-oidc%s: %d, want the prompt:\n%s", q, resp.Status, resp.Body)
			}
		}
	}
}
