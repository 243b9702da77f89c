package core

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Sign-out inside core: the test plays the browser, the provider and the clients'
// back-channel listeners. The same flows against real components run in e2e/.

func signoutConfigMap() map[string]any {
	cfg := signinConfigMap()
	cfg["clients"] = []any{
		map[string]any{"client_id": "app1", "name": "App One", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app1/"},
			"post_logout_redirect_uris": []string{"https://exeunt.test/app1/signed-out", "https://exeunt.test/app1/bye?from=exeunt"},
			"frontchannel_logout_uri":   "https://exeunt.test/app1/fc?keep=1",
			"backchannel_logout_uri":    "http://app1.internal/bcl", "backchannel_cluster": "app1"},
		map[string]any{"client_id": "app2", "name": "App Two", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app2/"},
			"frontchannel_logout_uri": "https://exeunt.test/app2/fc",
			"backchannel_logout_uri":  "http://app2.internal/logout", "backchannel_cluster": "app2"},
		map[string]any{"client_id": "app3", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app3/"},
			"backchannel_logout_uri": "http://app3.internal/logout", "backchannel_cluster": "app3"},
	}
	return cfg
}

// recordingMetrics is a Metrics that keeps the counters. With t set, a counter that
// counters.go does not list fails the test: what the engine emits matches the list.
type recordingMetrics struct {
	t  testing.TB
	mu sync.Mutex
	m  map[string]uint64
}

func (r *recordingMetrics) Add(name string, delta uint64) {
	if r.t != nil && !isCounterName(name) {
		r.t.Errorf("the engine counted %q, which counters.go does not list", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]uint64{}
	}
	r.m[name] += delta
}

func (r *recordingMetrics) get(name string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

// listeners plays the clients' back-channel endpoints: answer decides each status.
type listeners struct {
	t      testing.TB
	answer func(cluster string, attempt int) int
	tokens map[string][]string // cluster -> logout tokens received, in order
}

func (l *listeners) serve(c *Call) CallResult {
	form, _ := url.ParseQuery(string(c.Body))
	if c.Method != "POST" || headerValue(c.Headers, "content-type") != "application/x-www-form-urlencoded" ||
		len(form) != 1 || len(form["logout_token"]) != 1 {
		l.t.Errorf("back-channel call %s %s: not a form POST of the single field logout_token: %q", c.Method, c.Path, c.Body)
	}
	l.tokens[c.Cluster] = append(l.tokens[c.Cluster], form.Get("logout_token"))
	status := 200
	if l.answer != nil {
		status = l.answer(c.Cluster, len(l.tokens[c.Cluster]))
	}
	return CallResult{Status: status}
}

type signoutEnv struct {
	*browser
	metrics *recordingMetrics
	apps    *listeners
}

func newSignoutEnv(t testing.TB, change func(cfg map[string]any)) *signoutEnv {
	m := signoutConfigMap()
	if change != nil {
		change(m)
	}
	e := mustEngine(t, configFrom(t, m))
	rec := &recordingMetrics{t: t}
	e.UseMetrics(rec)
	b := &browser{t: t, e: e, idp: newFakeIdP(t), jar: map[string]string{}, now: time.Now()}
	return &signoutEnv{browser: b, metrics: rec, apps: &listeners{t: t, tokens: map[string][]string{}}}
}

// signedIn signs in at app1, visits app2 and returns app1's assertion.
func (s *signoutEnv) signedIn() (assertion, sid string) {
	s.t.Helper()
	s.signIn("https://exeunt.test/app1/")
	d := s.request("GET", "https://exeunt.test/app1/")
	s.request("GET", "https://exeunt.test/app2/")
	return headerValue(d.SetHeaders, "x-exeunt-assertion"), headerValue(d.SetHeaders, "x-exeunt-sid")
}

// tick runs the engine's background work until nothing is due now, answering the
// provider's and the clients' calls.
func (s *signoutEnv) tick() {
	for i := 0; i < 10; i++ {
		calls := s.e.OnTick(s.now)
		if len(calls) == 0 {
			return
		}
		for _, c := range calls {
			s.follow(c)
		}
	}
}

func (s *signoutEnv) follow(c *Call) {
	r, store := storeAnswer(s.t, c)
	switch {
	case store:
	case c.Cluster == "idp":
		r = s.idp.answer(c)
	default:
		r = s.apps.serve(c)
	}
	r.At = s.now
	// As the glue does for a background call: its Then's Call and Background are made.
	d := c.Then(r)
	if d.Call != nil {
		s.follow(d.Call)
	}
	for _, b := range d.Background {
		s.follow(b)
	}
}

func (s *signoutEnv) signedInStill() bool {
	return s.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues()
}

func endSessionURL(params url.Values) string {
	return "https://exeunt.test/connect/endsession?" + params.Encode()
}

func TestRPInitiatedLogoutThroughTheProviderAndBack(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	oldCookies := s.cookieHeader()

	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/bye?from=exeunt"}, "state": {"st-42"}}))
	to, err := url.Parse(location(t, d))
	if err != nil || to.Host != "idp.test" || to.Path != "/logout" {
		t.Fatalf("not sent to the provider's end session endpoint: %v", to)
	}
	q := to.Query()
	if q.Get("post_logout_redirect_uri") != "https://exeunt.test/signout-callback-oidc" || q.Get("client_id") != "exeunt" ||
		q.Get("id_token_hint") == "" || q.Get("state") == "" {
		t.Fatalf("provider logout request = %v", q)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the session cookie survived the sign-out")
	}
	if s.jar[s.e.cfg.Cookie.Name+"-logout"] != q.Get("state") {
		t.Fatalf("logout cookie %q, want the logoutId %q", s.jar[s.e.cfg.Cookie.Name+"-logout"], q.Get("state"))
	}
	if got := s.metrics.get("exeunt.logout.rp_initiated"); got != 1 {
		t.Fatalf("exeunt.logout.rp_initiated = %d", got)
	}
	// The edge session ended before the browser left: the old cookie, replayed, is
	// worthless, on this VM and on another.
	other := mustEngine(t, s.e.cfg)
	other.useStore(s.e.store)
	if _, _, err := other.openSession(parseCookies([]Header{{Name: "cookie", Value: oldCookies}}), s.now); err != errRevoked {
		t.Fatalf("the old cookie on another VM: %v, want revoked", err)
	}

	// Back from the provider, with state.
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(q.Get("state")))
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("logged-out page: %+v", page.Response)
	}
	body := string(page.Response.Body)
	for _, want := range []string{
		`https://exeunt.test/app1/bye?from=exeunt&amp;state=st-42`,
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + sid,
		`https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&amp;sid=` + sid,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("logged-out page lacks %s:\n%s", want, body)
		}
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name+"-logout"]; ok {
		t.Error("the logout cookie survived the callback")
	}

	// Back-channel: app1 and app2 were visited; app3 was not and hears nothing.
	s.tick()
	if len(s.apps.tokens["app3"]) != 0 {
		t.Fatal("a client the session never visited was notified")
	}
	for client, cluster := range map[string]string{"app1": "app1", "app2": "app2"} {
		toks := s.apps.tokens[cluster]
		if len(toks) != 1 {
			t.Fatalf("%s received %d logout tokens, want 1", client, len(toks))
		}
		checkLogoutToken(t, s.browser, toks[0], client, sid)
		if got := s.metrics.get("exeunt.client." + client + ".backchannel.sent"); got != 1 {
			t.Fatalf("%s sent = %d", client, got)
		}
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 {
		t.Fatal("a delivered token was sent again")
	}
}

// checkLogoutToken validates a logout token claim by claim, as a client would with
// Exeunt's JWKS.
func checkLogoutToken(t *testing.T, b *browser, tok, aud, sid string) map[string]any {
	t.Helper()
	var set jose.JSONWebKeySet
	json.Unmarshal(b.request("GET", "https://exeunt.test/.well-known/jwks.json").Response.Body, &set)
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "logout+jwt" {
		t.Fatalf("typ = %v", typ)
	}
	var c map[string]any
	if err := parsed.Claims(set.Keys[0].Key, &c); err != nil {
		t.Fatalf("logout token does not verify: %v", err)
	}
	iat, exp := int64(c["iat"].(float64)), int64(c["exp"].(float64))
	events, _ := c["events"].(map[string]any)
	ev, _ := events["http://schemas.openid.net/event/backchannel-logout"].(map[string]any)
	if c["iss"] != "https://exeunt.test" || c["aud"] != aud || c["sid"] != sid || c["sub"] != "alice" ||
		len(events) != 1 || ev == nil || len(ev) != 0 || c["jti"] == "" || exp <= iat || exp-iat > 120 {
		t.Fatalf("logout token claims = %v", c)
	}
	if _, ok := c["nonce"]; ok {
		t.Fatal("logout token carries a nonce")
	}
	return c
}

func TestSignoutCallbackWhenTheProviderDropsState(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"abc"}}))
	location(t, d)
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc")
	if page.Response == nil || page.Response.Status != 200 || !strings.Contains(string(page.Response.Body), "https://exeunt.test/app1/signed-out?state=abc") {
		t.Fatalf("without state, the cookie must restore the context: %+v", page.Response)
	}
}

func TestSignoutCallbackRefusesABadContext(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	// The logoutId cookie stands in for a bad state (spec_musts_test.go): here the
	// browser has none, so nothing matches.
	logoutID := s.jar[s.e.cfg.Cookie.Name+"-logout"]
	delete(s.jar, s.e.cfg.Cookie.Name+"-logout")
	for name, target := range map[string]string{
		"garbage state":  "https://exeunt.test/signout-callback-oidc?state=nonsense",
		"altered state":  "https://exeunt.test/signout-callback-oidc?state=" + url.QueryEscape(tamper(logoutID)),
		"unknown stored": "https://exeunt.test/signout-callback-oidc?state=sAAAAAAAAAAAAAAAAAAAAAA",
	} {
		d := s.request("GET", target)
		if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" {
			t.Errorf("%s: want the error page and no redirect, got %+v", name, d.Response)
		}
	}
	if d := s.request("GET", "https://exeunt.test/signout-callback-oidc"); d.Response.Status != 400 {
		t.Fatalf("no state and no cookie: %d", d.Response.Status)
	}
}

func tamper(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestEndSessionRefusesBadRequestsAndChangesNothing(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	// A hint for app1 signed by someone else: an ES256 key that is not ours, same kid.
	parsed, _ := jwt.ParseSigned(hint, []jose.SignatureAlgorithm{jose.ES256})
	var claims map[string]any
	parsed.UnsafeClaimsWithoutVerification(&claims)
	app2Hint := headerValue(s.request("GET", "https://exeunt.test/app2/").SetHeaders, "x-exeunt-assertion")
	parts := strings.Split(hint, ".")
	noneHeader := b64(`{"alg":"none","typ":"JWT","kid":"k1"}`)
	cases := []struct {
		name   string
		params url.Values
		status int
	}{
		{"unregistered post_logout_redirect_uri", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.test/"}}, 400},
		{"case-changed URI", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://EXEUNT.test/app1/signed-out"}}, 400},
		{"prefix of a URI", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out/more"}}, 400},
		{"URI with extra query", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out?x=1"}}, 400},
		{"URI of another client", url.Values{"id_token_hint": {app2Hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}, 400},
		{"URI without a client", url.Values{"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}, 400},
		{"forged hint (payload changed)", url.Values{"id_token_hint": {parts[0] + "." + b64(`{"iss":"https://exeunt.test","aud":"app1","sub":"bob","sid":"x"}`) + "." + parts[2]}}, 400},
		{"hint with alg none", url.Values{"id_token_hint": {noneHeader + "." + parts[1] + "."}}, 400},
		{"garbage hint", url.Values{"id_token_hint": {"not-a-jwt"}}, 400},
		{"hint for another client", url.Values{"id_token_hint": {app2Hint}, "client_id": {"app1"}}, 400},
		{"unknown client_id", url.Values{"client_id": {"nobody"}}, 400},
		{"repeated parameter", url.Values{"id_token_hint": {hint, hint}}, 400},
	}
	for _, c := range cases {
		d := s.request("GET", endSessionURL(c.params))
		if d.Response == nil || d.Response.Status != c.status || headerValue(d.Response.Headers, "location") != "" {
			t.Errorf("%s: want %d and no redirect, got %+v", c.name, c.status, d.Response)
			continue
		}
		// RP-Initiated Logout item 8: an error page for the browser, not a bare status
		// or JSON, and no link back to the app with the request's data.
		if ct := headerValue(d.Response.Headers, "content-type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(d.Response.Body), "<h1>") ||
			len(specLinks(d.Response.Body)) != 0 {
			t.Errorf("%s: want an error page without links, got %q with links %q", c.name, ct, specLinks(d.Response.Body))
		}
		for _, h := range d.Response.Headers {
			if h.Name == "set-cookie" {
				t.Errorf("%s: a refused request set a cookie: %s", c.name, h.Value)
			}
		}
		if !s.signedInStill() {
			t.Fatalf("%s: the refused request signed the user out", c.name)
		}
	}
	if got := s.metrics.get("exeunt.logout.rp_initiated"); got != 0 {
		t.Fatalf("refused requests counted as logouts: %d", got)
	}
	if got := s.metrics.get("exeunt.logout.rejected"); got != uint64(len(cases)) {
		t.Fatalf("exeunt.logout.rejected = %d, want %d", got, len(cases))
	}
	if s.e.OnTick(s.now); len(s.apps.tokens) != 0 {
		t.Fatal("a refused request notified clients")
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestEndSessionAcceptsAnExpiredHint(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	s.now = s.now.Add(30 * time.Minute) // the assertion (5 min) has expired; the session has not
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("an expired hint of the current session must sign out without a prompt: %s", to)
	}
}

func TestEndSessionPromptsWithoutProofAndConfirmsOnce(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	// A plain "sign out" link: no parameters at all.
	d := s.request("GET", "https://exeunt.test/connect/endsession")
	if d.Response == nil || d.Response.Status != 200 || !s.signedInStill() {
		t.Fatalf("no hint: want the prompt and still signed in, got %+v", d.Response)
	}
	logoutID, csrf := promptFields(t, d.Response)
	form := func(v url.Values) []byte { return []byte(v.Encode()) }
	post := func(body []byte) Decision {
		return s.send("POST", "https://exeunt.test/connect/endsession", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	}
	// A token that belongs to another context is refused.
	if d := post(form(url.Values{"logout_id": {logoutID}, "csrf": {tamper(csrf)}, "confirm": {"yes"}})); d.Response.Status != 400 || !s.signedInStill() {
		t.Fatalf("altered csrf: %+v", d.Response)
	}
	d = post(form(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}))
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") || s.signedInStill() {
		t.Fatalf("confirmed: want signed out and sent to the provider, got %s", to)
	}
	s.signIn("https://exeunt.test/app1/")
	if d := post(form(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}})); d.Response.Status != 400 || !s.signedInStill() {
		t.Fatalf("a replayed confirmation must be refused: %+v", d.Response)
	}
}

// promptFields reads the hidden fields of the prompt page.
func promptFields(t *testing.T, r *Response) (logoutID, csrf string) {
	t.Helper()
	body := string(r.Body)
	field := func(name string) string {
		i := strings.Index(body, `name="`+name+`"`)
		if i < 0 {
			t.Fatalf("prompt page has no %s field:\n%s", name, body)
		}
		rest := body[i:]
		j := strings.Index(rest, `value="`)
		rest = rest[j+len(`value="`):]
		return rest[:strings.Index(rest, `"`)]
	}
	return field("logout_id"), field("csrf")
}

func TestEndSessionPromptOfAnotherSessionIsRefused(t *testing.T) {
	// Mallory gets a prompt for her own session and plants the form on Alice's
	// browser: confirming it must not sign Alice out.
	mallory := newSignoutEnv(t, nil)
	mallory.signedIn()
	logoutID, csrf := promptFields(t, mallory.request("GET", "https://exeunt.test/connect/endsession").Response)
	alice := &browser{t: t, e: mallory.e, idp: mallory.idp, jar: map[string]string{}, now: mallory.now}
	alice.signIn("https://exeunt.test/app1/")
	d := alice.send("POST", "https://exeunt.test/connect/endsession", []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
		Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	if d.Response.Status != 400 || !alice.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatalf("a planted confirmation signed the wrong session out: %+v", d.Response)
	}
}

func TestEndSessionByPOSTAndWhenAlreadySignedOut(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	body := []byte(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s1"}}.Encode())
	d := s.send("POST", "https://exeunt.test/connect/endsession", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("POST: %s", to)
	}
	// Again, now signed out: not an error; the way back is still offered.
	d = s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s2"}}))
	if d.Response == nil || d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), "https://exeunt.test/app1/signed-out?state=s2") {
		t.Fatalf("already signed out: %+v", d.Response)
	}
	if got := s.metrics.get("exeunt.logout.rp_initiated"); got != 1 {
		t.Fatalf("logouts = %d, want 1", got)
	}
	// Other methods and a body that is not a form are refused.
	if d := s.request("PUT", "https://exeunt.test/connect/endsession"); d.Response.Status != 405 {
		t.Fatalf("PUT: %d", d.Response.Status)
	}
	if d := s.send("POST", "https://exeunt.test/connect/endsession", []byte(`{}`), Header{Name: "content-type", Value: "application/json"}); d.Response.Status != 415 {
		t.Fatalf("JSON body: %d", d.Response.Status)
	}
	if d := s.send("POST", "https://exeunt.test/connect/endsession", make([]byte, MaxRequestBody+1), Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}); d.Response.Status != 413 {
		t.Fatalf("oversized body: %d", d.Response.Status)
	}
}

func TestBackchannelRetriesUntilDeliveredWithFreshTokens(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.apps.answer = func(cluster string, attempt int) int {
		switch {
		case cluster == "app1" && attempt <= 2:
			return 503
		case cluster == "app2":
			return 400 // final: never retried
		}
		return 200
	}
	hint, sid := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	if s.e.TickPeriod() != urgentTick {
		t.Fatalf("tick period after a sign-out with deliveries = %v", s.e.TickPeriod())
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 || len(s.apps.tokens["app2"]) != 1 {
		t.Fatalf("first attempts: %v", s.apps.tokens)
	}
	s.now = s.now.Add(500 * time.Millisecond)
	if s.tick(); len(s.apps.tokens["app1"]) != 1 {
		t.Fatal("retried before the backoff")
	}
	s.now = s.now.Add(600 * time.Millisecond) // 1.1 s: the first retry is due
	s.tick()
	s.now = s.now.Add(2100 * time.Millisecond) // then 2 s more
	s.tick()
	toks := s.apps.tokens["app1"]
	if len(toks) != 3 {
		t.Fatalf("app1 attempts = %d, want 3", len(toks))
	}
	jtis := map[any]bool{}
	for _, tok := range toks {
		jtis[checkLogoutToken(t, s.browser, tok, "app1", sid)["jti"]] = true
	}
	if len(jtis) != 3 {
		t.Fatal("each attempt must carry a fresh jti")
	}
	if len(s.apps.tokens["app2"]) != 1 {
		t.Fatalf("a 4xx was retried: %d attempts", len(s.apps.tokens["app2"]))
	}
	m := s.metrics
	if m.get("exeunt.client.app1.backchannel.retried") != 2 || m.get("exeunt.client.app1.backchannel.sent") != 1 ||
		m.get("exeunt.client.app2.backchannel.failed") != 1 {
		t.Fatalf("metrics = %v", m.m)
	}
	s.now = s.now.Add(time.Hour)
	if s.tick(); len(s.apps.tokens["app1"]) != 3 {
		t.Fatal("a delivered notification was sent again")
	}
}

func TestBackchannelGivesUpAfterTheDeadline(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) { cfg["logout"] = map[string]any{"backchannel_deadline": "10s"} })
	s.apps.answer = func(string, int) int { return 0 } // never answers
	hint, _ := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	for i := 0; i < 30; i++ {
		s.tick()
		s.now = s.now.Add(time.Second)
	}
	// 1 + retries at +1, +2, +4 s; the next (+8 s) would pass the 10 s deadline.
	if n := len(s.apps.tokens["app1"]); n != 4 {
		t.Fatalf("attempts = %d, want 4", n)
	}
	if s.metrics.get("exeunt.client.app1.backchannel.failed") != 1 {
		t.Fatalf("metrics = %v", s.metrics.m)
	}
}

func TestBackchannelSurvivesTheVMThatStartedIt(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.apps.answer = func(string, int) int { return 200 }
	hint, _ := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	// The VM that queued the deliveries claims them and dies before any answer.
	if calls := s.e.OnTick(s.now); len(calls) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(calls))
	}
	other := mustEngine(t, s.e.cfg)
	other.useStore(s.e.store)
	s.e = other
	if s.tick(); len(s.apps.tokens["app1"]) != 0 {
		t.Fatal("another VM took over while the lease was still running")
	}
	s.now = s.now.Add(s.e.cfg.Logout.BackchannelTimeout + 3*time.Second)
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 || len(s.apps.tokens["app2"]) != 1 {
		t.Fatalf("after the lease ran out, another VM must deliver: %v", s.apps.tokens)
	}
}

func TestLogoutContextInTheStoreWhenTooLongOrConfigured(t *testing.T) {
	for _, storage := range []string{"auto", "store"} {
		s := newSignoutEnv(t, func(cfg map[string]any) {
			cfg["logout"] = map[string]any{"context_storage": storage, "max_url_length": 512}
		})
		hint, _ := s.signedIn()
		to, _ := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "state": {strings.Repeat("x", 300)},
			"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}))))
		id := to.Query().Get("state")
		if !strings.HasPrefix(id, storedIDPrefix) || len(id) > 40 {
			t.Fatalf("%s: logoutId %q is not a short stored id", storage, id)
		}
		page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+id)
		if page.Response.Status != 200 || !strings.Contains(string(page.Response.Body), "state="+strings.Repeat("x", 300)) {
			t.Fatalf("%s: the stored context did not come back: %+v", storage, page.Response)
		}
	}
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	to, _ := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))))
	if id := to.Query().Get("state"); strings.Count(id, ".") != 4 {
		t.Fatalf("by default the logoutId is the protected context, got %q", id)
	}
}

func TestLogoutContextEndpoint(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	logoutID, _ := promptFields(t, s.request("GET", endSessionURL(url.Values{"client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"z"}})).Response)
	d := s.request("GET", "https://exeunt.test/exeunt/logout-context?logoutId="+url.QueryEscape(logoutID))
	var got map[string]any
	if d.Response == nil || d.Response.Status != 200 || json.Unmarshal(d.Response.Body, &got) != nil {
		t.Fatalf("logout context: %+v", d.Response)
	}
	if got["client_id"] != "app1" || got["client_name"] != "App One" || got["post_logout_redirect_uri"] != "https://exeunt.test/app1/signed-out" ||
		got["state"] != "z" || got["show_signout_prompt"] != true || got["signed_out"] != false {
		t.Fatalf("context = %v", got)
	}
	if _, leaks := got["sub"]; leaks {
		t.Fatal("the context endpoint must not say who the user is")
	}
	for _, bad := range []string{"", "?logoutId=nope", "?logoutId=" + url.QueryEscape(tamper(logoutID))} {
		if d := s.request("GET", "https://exeunt.test/exeunt/logout-context"+bad); d.Response.Status < 400 {
			t.Fatalf("%q: %d", bad, d.Response.Status)
		}
	}
}

func TestDiscoveryListsSignOut(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var doc map[string]any
	json.Unmarshal(s.request("GET", "https://exeunt.test/.well-known/openid-configuration").Response.Body, &doc)
	if doc["end_session_endpoint"] != "https://exeunt.test/connect/endsession" || doc["frontchannel_logout_supported"] != true ||
		doc["frontchannel_logout_session_supported"] != true || doc["backchannel_logout_supported"] != true || doc["backchannel_logout_session_supported"] != true {
		t.Fatalf("discovery = %v", doc)
	}
}

func TestLogoutLandingPagesPassSignedOut(t *testing.T) {
	s := newSignoutEnv(t, nil)
	for _, u := range []string{"https://exeunt.test/app1/fc?keep=1&iss=x&sid=y", "https://exeunt.test/app1/signed-out?state=z", "https://exeunt.test/app1/bye?from=exeunt"} {
		d := s.request("GET", u, Header{Name: "x-exeunt-sub", Value: "mallory"})
		if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-sub") || len(d.SetHeaders) != 0 {
			t.Fatalf("%s: a client's logout landing page must pass signed out, without identity: %+v", u, d)
		}
	}
	// Anything else of the client still needs a session.
	if d := s.request("GET", "https://exeunt.test/app1/signed-out/more"); d.Continues() {
		t.Fatal("a path below a landing page passed without a session")
	}
}
