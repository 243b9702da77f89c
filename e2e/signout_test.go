package e2e

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// Sign-out through build/exeunt.wasm in hostsim against a real OpenID Provider
// (oidc-provider v9): app-initiated logout, the provider's own confirmation, back to
// /signout-callback-oidc, the logged-out page; the clients' back-channel listeners
// check each logout token claim by claim.

// bclListener is a client's back-channel logout endpoint.
type bclListener struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []string
	fail   int // answer 503 to this many first requests
	answer int // the status of an answer that is not a failure (0: 200)
	got    chan string
}

func newBCLListener(t testing.TB, fail int) *bclListener {
	l := &bclListener{t: t, fail: fail, got: make(chan string, 16)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != "POST" || r.Header.Get("content-type") != "application/x-www-form-urlencoded" ||
			len(r.Form) != 1 || len(r.PostForm["logout_token"]) != 1 {
			t.Errorf("back-channel request %s %s %q: not a form POST of the single field logout_token", r.Method, r.URL, r.Header.Get("content-type"))
		}
		l.mu.Lock()
		l.tokens = append(l.tokens, r.PostForm.Get("logout_token"))
		n := len(l.tokens)
		l.mu.Unlock()
		if n <= l.fail {
			w.WriteHeader(503)
			return
		}
		l.got <- r.PostForm.Get("logout_token")
		w.WriteHeader(cmp.Or(l.answer, 200))
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *bclListener) addr() string { return strings.TrimPrefix(l.srv.URL, "http://") }

func (l *bclListener) attempts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tokens...)
}

// wait returns the first token the listener accepted, or fails after d.
func (l *bclListener) wait(d time.Duration) string {
	l.t.Helper()
	select {
	case tok := <-l.got:
		return tok
	case <-time.After(d):
		l.t.Fatalf("no logout token accepted within %s (attempts: %d)", d, len(l.attempts()))
		return ""
	}
}

// signoutClients are app1 and app2 with registered return addresses, front-channel
// pages and back-channel listeners (clusters "app1" and "app2").
func signoutClients() []any {
	return []any{
		map[string]any{"client_id": "app1", "name": "App One", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app1/"},
			"post_logout_redirect_uris": []string{"https://exeunt.test/app1/signed-out"},
			"frontchannel_logout_uri":   "https://exeunt.test/app1/fc",
			"backchannel_logout_uri":    "http://app1.internal/bcl", "backchannel_cluster": "app1"},
		map[string]any{"client_id": "app2", "name": "App Two", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app2/"},
			"post_logout_redirect_uris": []string{"https://exeunt.test/app2/signed-out"},
			"frontchannel_logout_uri":   "https://exeunt.test/app2/fc?tenant=t1",
			"backchannel_logout_uri":    "http://app2.internal/logout", "backchannel_cluster": "app2"},
	}
}

// send sends a browser request for an https://exeunt.test URL through the filter, with
// the browser's cookies, and keeps the cookies the answer sets.
func (e *signinEnv) send(method, rawURL string, body []byte, extra ...hostsim.Pair) *hostsim.Response {
	e.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		e.t.Fatal(err)
	}
	headers := append([]hostsim.Pair{{Name: "accept", Value: "text/html"}}, extra...)
	var cs []string
	for k, v := range e.jar {
		cs = append(cs, k+"="+v)
	}
	if len(cs) > 0 {
		headers = append(headers, hostsim.Pair{Name: "cookie", Value: strings.Join(cs, "; ")})
	}
	resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: method, Scheme: u.Scheme, Authority: u.Host,
		Path: u.RequestURI(), Header: headers, Body: body}, e.apps)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, sc := range resp.HeaderValues("set-cookie") {
		nv, attrs, _ := strings.Cut(sc, ";")
		name, value, _ := strings.Cut(nv, "=")
		if strings.Contains(attrs, "Max-Age=0") {
			delete(e.jar, name)
		} else {
			e.jar[name] = value
		}
	}
	return resp
}

// signedInApps signs in at app1, visits app2, and returns app1's assertion and the sid.
func (e *signinEnv) signedInApps() (assertion, sid string) {
	e.t.Helper()
	e.signIn("https://exeunt.test/app1/")
	for _, app := range []string{"app1", "app2"} {
		if r := e.get("https://exeunt.test/" + app + "/"); r.Status != 200 {
			e.t.Fatalf("%s: %d", app, r.Status)
		}
	}
	h := e.apps.seen["app1"]
	return h.Get("x-exeunt-assertion"), h.Get("x-exeunt-sid")
}

// signedIn tells whether the browser's session still opens an app.
func (e *signinEnv) signedIn() bool {
	return e.get("https://exeunt.test/app1/").Status == 200
}

// checkLogoutToken validates a token as a client would, with Exeunt's JWKS.
func (e *signinEnv) checkLogoutToken(tok, aud, sid string) string {
	e.t.Helper()
	var set jose.JSONWebKeySet
	json.Unmarshal(e.get("https://exeunt.test/.well-known/jwks.json").Body, &set)
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		e.t.Fatalf("logout token: %v", err)
	}
	if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "logout+jwt" {
		e.t.Fatalf("logout token typ = %v", typ)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		e.t.Fatal("logout token kid not in Exeunt's JWKS")
	}
	var c map[string]any
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		e.t.Fatalf("logout token signature: %v", err)
	}
	var std jwt.Claims
	parsed.Claims(keys[0].Key, &std)
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: "https://exeunt.test", AnyAudience: jwt.Audience{aud}, Subject: "alice", Time: time.Now()}, 5*time.Second); err != nil {
		e.t.Fatalf("logout token claims: %v (%v)", err, c)
	}
	events, _ := c["events"].(map[string]any)
	ev, isObj := events["http://schemas.openid.net/event/backchannel-logout"].(map[string]any)
	if c["sid"] != sid || len(events) != 1 || !isObj || len(ev) != 0 || std.ID == "" || std.Expiry.Time().Sub(std.IssuedAt.Time()) > 2*time.Minute {
		e.t.Fatalf("logout token claims = %v", c)
	}
	if _, ok := c["nonce"]; ok {
		e.t.Fatal("logout token has a nonce")
	}
	return std.ID
}

var hrefRE = regexp.MustCompile(`(?:href|src)="([^"]+)"`)

// links lists the href and src attributes of a page, unescaped.
func links(body []byte) []string {
	var out []string
	for _, m := range hrefRE.FindAllSubmatch(body, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

func hasLink(body []byte, want string) bool {
	for _, l := range links(body) {
		if l == want {
			return true
		}
	}
	return false
}

func TestAppInitiatedSignOutThroughTheProviderAndBack(t *testing.T) {
	app1, app2 := newBCLListener(t, 0), newBCLListener(t, 2)
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: app2.addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	hint, sid := e.signedInApps()

	// 1. The app sends the browser to Exeunt's end session endpoint.
	start := time.Now()
	resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"app-state-1"}}.Encode())
	toProvider, _ := url.Parse(redirectOf(t, resp))
	if !e.peer.OnProvider(toProvider) || toProvider.Query().Get("post_logout_redirect_uri") != "https://exeunt.test/signout-callback-oidc" {
		t.Fatalf("not sent to the provider's end session endpoint: %s", toProvider)
	}
	// The edge session is over before the browser even reaches the provider.
	if e.signedIn() {
		t.Fatal("still signed in at the edge after the logout request")
	}

	// 2. The provider asks the user to confirm, signs out, and sends the browser back.
	back, err := e.peer.ConfirmLogout(e.idpJar, toProvider.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != "exeunt.test" || back.Path != "/signout-callback-oidc" || back.Query().Get("state") == "" {
		t.Fatalf("the provider sent the browser to %s", back)
	}

	// 3. The logged-out page: the way back to app1 with its state, an iframe per client.
	page := e.get(back.String())
	if page.Status != 200 || page.HeaderValue("cache-control") != "no-store" {
		t.Fatalf("logged-out page: %d %s", page.Status, page.Body)
	}
	for _, want := range []string{
		"https://exeunt.test/app1/signed-out?state=app-state-1",
		"https://exeunt.test/app1/fc?iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
		"https://exeunt.test/app2/fc?tenant=t1&iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
	} {
		if !hasLink(page.Body, want) {
			t.Errorf("the logged-out page lacks %s; it links %q", want, links(page.Body))
		}
	}

	// 4. Back-channel: app1 at once; app2 fails twice (503) and gets its token on the
	// third attempt, each attempt with a fresh token.
	e.checkLogoutToken(app1.wait(10*time.Second), "app1", sid)
	e.checkLogoutToken(app2.wait(20*time.Second), "app2", sid)
	t.Logf("all notifications delivered %s after the logout request", time.Since(start).Round(time.Millisecond))
	attempts := app2.attempts()
	if len(attempts) != 3 {
		t.Fatalf("app2 saw %d attempts, want 3", len(attempts))
	}
	jtis := map[string]bool{}
	for _, tok := range attempts {
		jtis[e.checkLogoutToken(tok, "app2", sid)] = true
	}
	if len(jtis) != 3 {
		t.Fatal("retries must carry fresh tokens (new jti)")
	}
	e.waitMetric("exeunt.client.app2.backchannel.retried", 2)
	e.waitMetric("exeunt.client.app2.backchannel.sent", 1)
	e.waitMetric("exeunt.logout.rp_initiated", 1)
}

// waitMetric waits for a counter of the filter to reach want (deliveries end after the
// request does). Envoy prefixes the guest's own metrics; match by suffix.
func (e *signinEnv) waitMetric(name string, want uint64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got uint64
		for n, m := range e.host.Metrics() {
			if n == name || strings.HasSuffix(n, "."+name) {
				got = uint64(m.Value)
			}
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("metric %s = %d, want %d (all: %v)", name, got, want, e.host.Metrics())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSignOutWhenTheProviderDropsState(t *testing.T) {
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	hint, _ := e.signedInApps()
	resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s-9"}}.Encode())
	// The provider is asked without our state: it comes back with none.
	toProvider, _ := url.Parse(redirectOf(t, resp))
	q := toProvider.Query()
	q.Del("state")
	toProvider.RawQuery = q.Encode()
	back, err := e.peer.ConfirmLogout(e.idpJar, toProvider.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.Query().Has("state") {
		t.Fatalf("the provider invented a state: %s", back)
	}
	page := e.get(back.String())
	if page.Status != 200 || !hasLink(page.Body, "https://exeunt.test/app1/signed-out?state=s-9") {
		t.Fatalf("without state, the cookie must restore the context: %d %q", page.Status, links(page.Body))
	}
}

func TestEndSessionRefusesBadRequests(t *testing.T) {
	e := newEnv(t, envOptions{clients: signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}}})
	hint, _ := e.signedInApps()
	app2Hint := e.apps.seen["app2"].Get("x-exeunt-assertion")
	parts := strings.Split(hint, ".")
	claims, _ := jose.ParseSigned(hint, []jose.SignatureAlgorithm{jose.ES256})
	payload := claims.UnsafePayloadWithoutVerification()
	forged := strings.Replace(string(payload), `"sub":"alice"`, `"sub":"bob"`, 1)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, params := range map[string]url.Values{
		"bad post_logout_redirect_uri": {"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out/"}},
		"forged hint":                  {"id_token_hint": {parts[0] + "." + b64(forged) + "." + parts[2]}},
		"hint for another client":      {"id_token_hint": {app2Hint}, "client_id": {"app1"}},
		"alg none":                     {"id_token_hint": {b64(`{"alg":"none","kid":"k1"}`) + "." + parts[1] + "."}},
	} {
		resp := e.get("https://exeunt.test/connect/endsession?" + params.Encode())
		if resp.Status != 400 || resp.HeaderValue("location") != "" || len(resp.HeaderValues("set-cookie")) != 0 {
			t.Errorf("%s: want 400, no redirect, no cookie; got %d %v", name, resp.Status, resp.Header)
		}
		if !e.signedIn() {
			t.Fatalf("%s signed the user out", name)
		}
	}
}

func TestSignOutByPOSTAndThePrompt(t *testing.T) {
	e := newEnv(t, envOptions{clients: signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}}})
	e.signedInApps()
	form := hostsim.Pair{Name: "content-type", Value: "application/x-www-form-urlencoded"}
	// No hint: the prompt, and nothing has changed yet.
	prompt := e.send("POST", "https://exeunt.test/connect/endsession", []byte("client_id=app1"), form)
	if prompt.Status != 200 || !e.signedIn() {
		t.Fatalf("prompt: %d", prompt.Status)
	}
	fields := map[string]string{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(prompt.Body), -1) {
		fields[m[1]] = html.UnescapeString(m[2])
	}
	if fields["logout_id"] == "" || fields["csrf"] == "" {
		t.Fatalf("prompt fields: %v in %s", fields, prompt.Body)
	}
	confirm := url.Values{"logout_id": {fields["logout_id"]}, "csrf": {fields["csrf"]}, "confirm": {"yes"}}.Encode()
	if r := e.send("POST", "https://exeunt.test/connect/endsession", []byte(confirm), form); r.Status != 302 || e.signedIn() {
		t.Fatalf("confirmed: %d, signed in %v", r.Status, e.signedIn())
	}
}

// bridgeHandler serves the filter over HTTP so that the provider can reach Exeunt (its
// back-channel POSTs, a browser loading its front-channel iframe): requests arrive as
// if addressed to https://exeunt.test.
func bridgeHandler(env **signinEnv) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := *env
		if e == nil {
			http.Error(w, "not ready", 503)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var headers []hostsim.Pair
		for k, vs := range r.Header {
			for _, v := range vs {
				headers = append(headers, hostsim.Pair{Name: strings.ToLower(k), Value: v})
			}
		}
		resp, err := e.host.Do(r.Context(), &hostsim.Request{Method: r.Method, Scheme: "https", Authority: "exeunt.test",
			Path: r.URL.RequestURI(), Header: headers, Body: body}, e.apps)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		for _, p := range resp.Header {
			w.Header().Add(p.Name, p.Value)
		}
		w.WriteHeader(resp.Status)
		w.Write(resp.Body)
	})
}
