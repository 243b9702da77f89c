package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The sign-in flow end to end inside core: the test plays the browser (a cookie jar)
// and the provider (answering the engine's calls), so every rule is checked without
// I/O. The same flow against a real provider runs in e2e/.

func signinConfig(t testing.TB) *Config {
	t.Helper()
	return configFrom(t, signinConfigMap())
}

func configFrom(t testing.TB, cfg map[string]any) *Config {
	t.Helper()
	b, _ := json.Marshal(cfg)
	c, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signinConfigMap() map[string]any {
	secret := make([]byte, 32)
	rand.Read(secret)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	cfg := map[string]any{
		"issuer": "https://exeunt.test",
		"providers": []any{map[string]any{
			"scheme": "oidc", "issuer": "https://idp.test", "client_id": "exeunt", "client_secret": "s3cret", "cluster": "idp",
		}},
		"clients": []any{
			map[string]any{"client_id": "app1", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app1/"}},
			map[string]any{"client_id": "app2", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app2/"}},
		},
		"keys": map[string]any{
			"sealing": []any{map[string]any{"kid": "s1", "secret": base64.RawURLEncoding.EncodeToString(secret)}},
			"signing": []any{map[string]any{"kid": "k1", "private_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))}},
		},
		"api": map[string]any{"path_prefixes": []string{"/app1/api/"}},
	}
	return cfg
}

// fakeIdP answers the engine's calls as an OpenID Provider would.
type fakeIdP struct {
	t       testing.TB
	key     *rsa.PrivateKey
	issuer  string
	down    bool
	codes   map[string]fakeGrant
	mutate  func(claims map[string]any) // changes the next ID token's claims
	signAlg jose.SignatureAlgorithm
	calls   []string
	// tokenStatus, when not 0, is the token endpoint's answer (a failing provider), with
	// tokenBody as its body when given.
	tokenStatus int
	tokenBody   string
	// issParameter: the discovery document says the provider names itself in every
	// authorization response (RFC 9207 §3, authorization_response_iss_parameter_supported).
	issParameter bool
}

type fakeGrant struct{ nonce, challenge, redirect string }

func newFakeIdP(t testing.TB) *fakeIdP {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	return &fakeIdP{t: t, key: k, issuer: "https://idp.test", codes: map[string]fakeGrant{}, signAlg: jose.RS256}
}

func (f *fakeIdP) answer(c *Call) CallResult {
	f.calls = append(f.calls, c.Method+" "+c.Path)
	if f.down {
		return CallResult{}
	}
	if c.Cluster != "idp" || c.Authority != "idp.test" {
		f.t.Errorf("call to cluster %q authority %q", c.Cluster, c.Authority)
	}
	switch {
	case c.Path == "/.well-known/openid-configuration":
		meta := map[string]any{"issuer": f.issuer, "authorization_endpoint": "https://idp.test/authorize",
			"token_endpoint": "https://idp.test/token", "jwks_uri": "https://idp.test/jwks", "end_session_endpoint": "https://idp.test/logout"}
		if f.issParameter {
			meta["authorization_response_iss_parameter_supported"] = true
		}
		doc, _ := json.Marshal(meta)
		return CallResult{Status: 200, Body: doc}
	case c.Path == "/jwks":
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "rsa1", Algorithm: "RS256", Use: "sig"}}}
		b, _ := json.Marshal(set)
		return CallResult{Status: 200, Body: b}
	case c.Path == "/token" && f.tokenStatus != 0:
		if f.tokenBody != "" {
			return CallResult{Status: f.tokenStatus, Body: []byte(f.tokenBody)}
		}
		return CallResult{Status: f.tokenStatus, Body: []byte("<html>upstream connect error</html>")}
	case c.Path == "/token":
		form, _ := url.ParseQuery(string(c.Body))
		if got := headerValue(c.Headers, "authorization"); got != "Basic "+base64.StdEncoding.EncodeToString([]byte("exeunt:s3cret")) {
			f.t.Errorf("token request authorization = %q", got)
		}
		g, ok := f.codes[form.Get("code")]
		delete(f.codes, form.Get("code")) // codes are single-use
		sum := sha256.Sum256([]byte(form.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge || form.Get("redirect_uri") != g.redirect {
			return CallResult{Status: 400, Body: []byte(`{"error":"invalid_grant"}`)}
		}
		claims := map[string]any{"iss": f.issuer, "sub": "alice", "aud": "exeunt", "nonce": g.nonce, "sid": "idp-sid-1",
			"email": "alice@example.test", "name": "Alice", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		if f.mutate != nil {
			f.mutate(claims)
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: f.signAlg, Key: jose.JSONWebKey{Key: f.key, KeyID: "rsa1"}}, nil)
		tok, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			f.t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]any{"id_token": tok, "access_token": "at", "token_type": "Bearer"})
		return CallResult{Status: 200, Body: b}
	}
	return CallResult{Status: 404}
}

// authorize plays the user signing in at the provider: it reads the authorization
// request and returns the callback URL the provider would redirect to.
func (f *fakeIdP) authorize(t testing.TB, location string) string {
	u, err := url.Parse(location)
	if err != nil || u.Host != "idp.test" || u.Path != "/authorize" {
		t.Fatalf("not sent to the provider: %q", location)
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "exeunt", "redirect_uri": "https://exeunt.test/signin-oidc",
		"scope": "openid profile email", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Fatalf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 16 || len(q.Get("nonce")) < 16 || len(q.Get("code_challenge")) != 43 {
		t.Fatalf("weak state, nonce or challenge: %v", q)
	}
	code := "code-" + q.Get("state")[:6]
	f.codes[code] = fakeGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	return q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {f.issuer}}.Encode()
}

// browser is a cookie jar plus the engine and provider it talks to.
type browser struct {
	t   testing.TB
	e   *Engine
	idp *fakeIdP
	jar map[string]string
	now time.Time
	// beforeBody, when set, runs between the engine's headers and body phases.
	beforeBody func()
}

func newBrowser(t testing.TB) *browser {
	cfg := signinConfig(t)
	return &browser{t: t, e: mustEngine(t, cfg), idp: newFakeIdP(t), jar: map[string]string{}, now: time.Now()}
}

// request sends a request (an absolute https URL) and runs the engine's calls against
// the provider until a final decision.
func (b *browser) request(method, rawURL string, headers ...Header) Decision {
	return b.send(method, rawURL, nil, headers...)
}

// send is request with a body, which the engine reads when it asks to.
func (b *browser) send(method, rawURL string, body []byte, headers ...Header) Decision {
	u, err := url.Parse(rawURL)
	if err != nil {
		b.t.Fatal(err)
	}
	var cookies []string
	for k, v := range b.jar {
		cookies = append(cookies, k+"="+v)
	}
	hs := headers
	if headerValue(headers, "accept") == "" {
		hs = append([]Header{{Name: "accept", Value: "text/html"}}, headers...)
	}
	if len(cookies) > 0 {
		hs = append(hs, Header{Name: "cookie", Value: strings.Join(cookies, "; ")})
	}
	req := Request{Method: method, Path: u.RequestURI(), Authority: u.Host, Scheme: u.Scheme, Headers: hs}
	d := b.e.OnRequestHeaders(req, b.now)
	if d.ReadBody {
		if b.beforeBody != nil {
			b.beforeBody()
		}
		d = b.e.OnRequestBody(req, body, len(body) > MaxRequestBody, b.now)
	}
	for d.Call != nil || d.Wait != nil {
		if d.Wait != nil {
			d = pastWait(d.Wait)
			continue
		}
		if r, ok := storeAnswer(b.t, d.Call); ok {
			d = d.Call.Then(r)
			continue
		}
		d = d.Call.Then(b.idp.answer(d.Call))
	}
	storeBackground(b.t, d.Background)
	set := d.ResponseHeaders
	if d.Response != nil {
		set = d.Response.Headers
	}
	for _, h := range set {
		if h.Name != "set-cookie" {
			continue
		}
		nv, attrs, _ := strings.Cut(h.Value, ";")
		name, value, _ := strings.Cut(nv, "=")
		if strings.Contains(attrs, "Max-Age=0") {
			delete(b.jar, name)
		} else {
			b.jar[name] = value
		}
	}
	return d
}

func location(t testing.TB, d Decision) string {
	t.Helper()
	if d.Response == nil || d.Response.Status != 302 {
		t.Fatalf("want a redirect, got %+v", d)
	}
	return headerValue(d.Response.Headers, "location")
}

// signIn runs the whole flow from a first visit to the app and returns the final
// redirect's target.
func (b *browser) signIn(startURL string) string {
	b.t.Helper()
	back := b.idp.authorize(b.t, location(b.t, b.request("GET", startURL)))
	return location(b.t, b.request("GET", back))
}

func TestSignInThenTwoClientsRecordedWithIdentity(t *testing.T) {
	b := newBrowser(t)
	if got := b.signIn("https://exeunt.test/app1/page?x=1"); got != "https://exeunt.test/app1/page?x=1" {
		t.Fatalf("after sign-in the user lands on %q, want the page first asked for", got)
	}
	for k := range b.jar {
		if strings.Contains(k, "-flow-") {
			t.Fatalf("the sign-in state cookie %q survived the callback", k)
		}
	}
	d := b.request("GET", "https://exeunt.test/app1/page?x=1", Header{Name: "x-exeunt-sub", Value: "mallory"})
	if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-sub") {
		t.Fatalf("signed-in request: %+v", d)
	}
	got := map[string]string{}
	for _, h := range d.SetHeaders {
		got[h.Name] = h.Value
	}
	if got["x-exeunt-sub"] != "alice" || got["x-exeunt-idp"] != "oidc" || got["x-exeunt-email"] != "alice@example.test" || got["x-exeunt-name"] != "Alice" || got["x-exeunt-sid"] == "" {
		t.Fatalf("identity headers = %v", got)
	}
	checkAssertion(t, b, got["x-exeunt-assertion"], "app1", got["x-exeunt-sid"])
	if len(d.ResponseHeaders) == 0 {
		t.Fatal("the first visit to app1 must re-seal the cookie to record the client")
	}
	if d2 := b.request("GET", "https://exeunt.test/app1/other"); hasHeader(d2.ResponseHeaders, "set-cookie") {
		t.Fatalf("a second visit to the same client re-sealed the cookie: %v", d2.ResponseHeaders)
	}
	d = b.request("GET", "https://exeunt.test/app2/")
	if !d.Continues() || len(d.ResponseHeaders) == 0 {
		t.Fatalf("first visit to app2: %+v", d)
	}
	s, _, err := b.e.openSession(parseCookies([]Header{{Name: "cookie", Value: b.cookieHeader()}}), b.now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Clients, ",") != "app1,app2" || s.PSID != "idp-sid-1" || s.Iss != "https://idp.test" || s.IDToken == "" {
		t.Fatalf("session = %+v", s)
	}
}

func (b *browser) cookieHeader() string {
	var cs []string
	for k, v := range b.jar {
		cs = append(cs, k+"="+v)
	}
	return strings.Join(cs, "; ")
}

func checkAssertion(t *testing.T, b *browser, tok, aud, sid string) {
	t.Helper()
	jwks := b.request("GET", "https://exeunt.test/.well-known/jwks.json").Response
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks.Body, &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() {
		t.Fatalf("JWKS %s: %v", jwks.Body, err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := parsed.Claims(set.Keys[0].Key, &c); err != nil {
		t.Fatalf("assertion does not verify with the published key: %v", err)
	}
	if c["iss"] != "https://exeunt.test" || c["aud"] != aud || c["sub"] != "alice" || c["sid"] != sid || c["idp"] != "oidc" {
		t.Fatalf("assertion claims = %v", c)
	}
	if exp := int64(c["exp"].(float64)); exp <= b.now.Unix() || exp > b.now.Add(5*time.Minute).Unix() {
		t.Fatalf("assertion exp %d not within the assertion lifetime", exp)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func errorStatus(t *testing.T, d Decision, status int, text string) {
	t.Helper()
	if d.Response == nil || d.Response.Status != status || !strings.Contains(string(d.Response.Body), text) {
		t.Fatalf("want %d with %q, got %+v", status, text, d.Response)
	}
	if ct := headerValue(d.Response.Headers, "content-type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("a browser error must be a page, got content-type %q", ct)
	}
}

func TestBadCallbacksAreRefusedAndSignNobodyIn(t *testing.T) {
	cases := map[string]func(b *browser, back string) string{
		"wrong state": func(b *browser, back string) string {
			return strings.Replace(back, "state=", "state=XXXXXXXX", 1)
		},
		"missing state": func(b *browser, back string) string {
			u, _ := url.Parse(back)
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return u.String()
		},
		"no flow cookie (another browser)": func(b *browser, back string) string {
			clear(b.jar)
			return back
		},
		"issuer mix-up": func(b *browser, back string) string {
			return strings.Replace(back, "iss=https%3A%2F%2Fidp.test", "iss=https%3A%2F%2Fevil.test", 1)
		},
		"provider error": func(b *browser, back string) string {
			u, _ := url.Parse(back)
			return "https://exeunt.test/signin-oidc?error=access_denied&state=" + u.Query().Get("state")
		},
	}
	for name, mangle := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
			d := b.request("GET", mangle(b, back))
			if d.Response == nil || d.Response.Status < 400 {
				t.Fatalf("accepted: %+v", d)
			}
			if _, ok := b.jar["__Host-exeunt"]; ok {
				t.Fatal("a session cookie was set")
			}
		})
	}
}

func TestAReplayedCallbackIsRefused(t *testing.T) {
	b := newBrowser(t)
	back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
	flow := map[string]string{}
	for k, v := range b.jar {
		flow[k] = v
	}
	location(t, b.request("GET", back))
	// The attacker replays the callback with the same state cookie.
	b2 := &browser{t: t, e: b.e, idp: b.idp, jar: flow, now: b.now}
	errorStatus(t, b2.request("GET", back), 400, "already used")
}

func TestIDTokensThatMustBeRejected(t *testing.T) {
	cases := map[string]func(f *fakeIdP){
		"wrong issuer":   func(f *fakeIdP) { f.mutate = func(c map[string]any) { c["iss"] = "https://evil.test" } },
		"wrong audience": func(f *fakeIdP) { f.mutate = func(c map[string]any) { c["aud"] = "someone-else" } },
		"wrong nonce":    func(f *fakeIdP) { f.mutate = func(c map[string]any) { c["nonce"] = "replayed" } },
		"expired":        func(f *fakeIdP) { f.mutate = func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() } },
		"disallowed alg": func(f *fakeIdP) { f.signAlg = jose.PS256 },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			setup(b.idp)
			back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
			errorStatus(t, b.request("GET", back), 400, "could not be verified")
			if _, ok := b.jar["__Host-exeunt"]; ok {
				t.Fatal("a session cookie was set")
			}
		})
	}
}

func TestCookiesThatDoNotOpenMeanSignedOut(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	good := b.jar["__Host-exeunt"]
	for name, value := range map[string]string{
		"tampered":  good[:len(good)-4] + "AAAA",
		"truncated": good[:len(good)/2],
		"garbage":   "not-a-cookie",
	} {
		b.jar["__Host-exeunt"] = value
		d := b.request("GET", "https://exeunt.test/app1/")
		if d.Response == nil || d.Response.Status != 302 || !strings.HasPrefix(location(t, d), "https://idp.test/authorize") {
			t.Fatalf("%s cookie: %+v", name, d)
		}
		if _, still := b.jar["__Host-exeunt"]; still {
			t.Fatalf("%s cookie was not cleared", name)
		}
	}
}

// Each VM remembers the cookies it opened, keyed by their last bytes; a cookie that
// ends like a remembered one but differs before must still be refused.
func TestRememberedCookieIsMatchedWhole(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	good := b.jar["__Host-exeunt"]
	if d := b.request("GET", "https://exeunt.test/app1/"); !d.Continues() {
		t.Fatalf("signed-in request: %+v", d)
	}
	mid := len(good) / 2
	flipped := byte('A')
	if good[mid] == 'A' {
		flipped = 'B'
	}
	b.jar["__Host-exeunt"] = good[:mid] + string(flipped) + good[mid+1:]
	if d := b.request("GET", "https://exeunt.test/app1/"); d.Continues() {
		t.Fatalf("a cookie altered in its middle was accepted: %+v", d)
	}
	b.jar["__Host-exeunt"] = good
	if d := b.request("GET", "https://exeunt.test/app1/"); !d.Continues() {
		t.Fatalf("the original cookie no longer opens: %+v", d)
	}
}

func TestSessionsExpire(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	b.now = b.now.Add(59 * time.Minute) // within the idle window
	if d := b.request("GET", "https://exeunt.test/app1/"); !d.Continues() || len(d.ResponseHeaders) == 0 {
		t.Fatalf("an active session past half its idle window must be renewed: %+v", d)
	}
	b.now = b.now.Add(61 * time.Minute) // idle for longer than the timeout
	if d := b.request("GET", "https://exeunt.test/app1/"); d.Continues() {
		t.Fatal("an idle session was accepted")
	}
}

func TestUnauthenticatedAPIRequestsGet401(t *testing.T) {
	b := newBrowser(t)
	d := b.request("GET", "https://exeunt.test/app1/api/items")
	if d.Response == nil || d.Response.Status != 401 || !strings.Contains(string(d.Response.Body), "login_required") {
		t.Fatalf("API request: %+v", d.Response)
	}
	d = b.request("GET", "https://exeunt.test/app1/data", Header{Name: "accept", Value: "application/json"})
	if d.Response == nil || d.Response.Status != 401 {
		t.Fatalf("JSON request: %+v", d.Response)
	}
}

func TestAProviderThatIsDownGivesAPageAndNoSession(t *testing.T) {
	b := newBrowser(t)
	b.idp.down = true
	errorStatus(t, b.request("GET", "https://exeunt.test/app1/"), 502, "could not be reached")
	b.idp.down = false
	back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
	b.idp.down = true
	errorStatus(t, b.request("GET", back), 504, "did not answer")
	if _, ok := b.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set")
	}
}

func TestPublicPathsPassButLoseIdentityHeaders(t *testing.T) {
	m := signinConfigMap()
	m["public_path_prefixes"] = []string{"/public/"}
	b := newBrowser(t)
	b.e = mustEngine(t, configFrom(t, m))
	forged := []Header{{Name: "x-exeunt-sub", Value: "admin"}, {Name: "x-exeunt-assertion", Value: "forged"}}
	d := b.request("GET", "https://exeunt.test/public/", forged...)
	if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-sub") || !contains(d.RemoveHeaders, "x-exeunt-assertion") || len(d.SetHeaders) != 0 {
		t.Fatalf("public path: %+v", d)
	}
	// A path no rule covers is refused, forged headers or not.
	if d := b.request("GET", "https://exeunt.test/private/", forged...); d.Continues() || d.Response.Status != 404 {
		t.Fatalf("unowned path: %+v", d)
	}
}

func TestReturnURLsStayOnOurOrigins(t *testing.T) {
	b := newBrowser(t)
	for _, evil := range []string{"https://evil.test/", "//evil.test/", "javascript:alert(1)", "https://user@exeunt.test.evil.test/"} {
		d := b.request("GET", "https://exeunt.test/exeunt/signin?provider=oidc&return="+url.QueryEscape(evil))
		back := b.idp.authorize(t, location(t, d))
		if got := location(t, b.request("GET", back)); got != "https://exeunt.test/" {
			t.Fatalf("return %q led to %q", evil, got)
		}
	}
}

// An ID token's sub, name and email become request headers to the apps: a value with
// a line break (or another control character) would split into a header of the user's
// choosing (x-exeunt-sub: admin) on the way upstream, or make Envoy reject the request.
// Such a token signs nobody in; anything printable, Unicode and tabs included, passes.
func TestIDTokenClaimsThatCannotBeHeadersSignNobodyIn(t *testing.T) {
	bad := map[string][2]string{
		"name with CRLF":  {"name", "Alice\r\nx-exeunt-sub: admin"},
		"name with LF":    {"name", "Alice\nx-exeunt-sub: admin"},
		"sub with CR":     {"sub", "alice\rbob"},
		"email with NUL":  {"email", "alice@example.test\x00"},
		"name with DEL":   {"name", "Alice\x7f"},
		"sub with escape": {"sub", "alice\x1b[31m"},
		// Every HTTP parser drops these from a header value: the app would read "alice".
		"sub with a trailing space": {"sub", "alice "},
		"sub with a leading tab":    {"sub", "\talice"},
	}
	for name, claim := range bad {
		t.Run(name, func(t *testing.T) {
			b := newBrowser(t)
			b.idp.mutate = func(c map[string]any) { c[claim[0]] = claim[1] }
			back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
			errorStatus(t, b.request("GET", back), 400, "could not be verified")
			if _, ok := b.jar["__Host-exeunt"]; ok {
				t.Fatal("a session cookie was set")
			}
		})
	}
	b := newBrowser(t)
	b.idp.mutate = func(c map[string]any) { c["name"], c["sub"] = "Zoë\tÜnal (エグ)", "alice smith" }
	b.signIn("https://exeunt.test/app1/")
	d := b.request("GET", "https://exeunt.test/app1/")
	if !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-name") != "Zoë\tÜnal (エグ)" {
		t.Fatalf("a printable name: %+v", d)
	}
}

// A failed sign-in's "Try again" leads to the page the sign-in was started for only when
// that page is on our origins, as the success redirect does (allowedReturn): with
// unowned_requests sign_in, a request for any Host starts a sign-in whose sealed return
// URL names that Host, and the failure page must not link there.
func TestFailedSignInRetryStaysOnOurOrigins(t *testing.T) {
	m := signinConfigMap()
	m["unowned_requests"] = "sign_in"
	for _, start := range []string{"https://evil.test/x", "https://exeunt.test/app1/page"} {
		b := newBrowser(t)
		b.e = mustEngine(t, configFrom(t, m))
		u, err := url.Parse(location(t, b.request("GET", start)))
		if err != nil {
			t.Fatal(err)
		}
		d := b.request("GET", "https://exeunt.test/signin-oidc?error=access_denied&state="+u.Query().Get("state"))
		errorStatus(t, d, 403, "")
		want := `href="` + start + `"`
		if !strings.HasPrefix(start, "https://exeunt.test/") {
			want = `href="https://exeunt.test/"`
		}
		if body := string(d.Response.Body); !strings.Contains(body, want) || strings.Contains(body, "evil.test") {
			t.Fatalf("sign-in started at %s: the failure page's retry, want %s:\n%s", start, want, body)
		}
	}
}
