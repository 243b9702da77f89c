package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeExeunt publishes a discovery document and a JWKS, and signs assertions and logout
// tokens as Exeunt does.
type fakeExeunt struct {
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	signer jose.Signer
}

func newFakeExeunt(t *testing.T) *fakeExeunt {
	t.Helper()
	f := &fakeExeunt{}
	f.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": f.srv.URL, "jwks_uri": f.srv.URL + "/jwks",
			"end_session_endpoint": f.srv.URL + "/connect/endsession"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	f.signer = f.newSigner(t, f.key, "logout+jwt")
	return f
}

func (f *fakeExeunt) newSigner(t *testing.T, key *ecdsa.PrivateKey, typ string) jose.Signer {
	opts := (&jose.SignerOptions{}).WithHeader("kid", "k1")
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fakeExeunt) sign(t *testing.T, s jose.Signer, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fakeExeunt) logoutClaims(aud string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": f.srv.URL, "aud": aud, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": randomString(), "sid": "sid-1", "sub": "alice",
		"events": map[string]any{backchannelLogoutEvent: map[string]any{}}}
}

func newTestApp(t *testing.T, f *fakeExeunt) *App {
	t.Helper()
	a, err := New(Config{
		ClientID: "app1", Name: "App One", Issuer: f.srv.URL,
		PathPrefix: "/app1/", PublicPrefix: "/public/app1/",
		PostLogoutRedirectURI: "http://localhost:10000/public/app1/signed-out",
		FrontchannelLogoutURI: "http://localhost:10000/public/app1/frontchannel-logout",
		BackchannelLogoutURI:  "http://127.0.0.1:8081/backchannel-logout",
		Links:                 []Link{{Name: "App Two", URL: "/app2/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func do(a *App, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	return rec
}

func TestHomeShowsTheIdentityAndVerifiesTheAssertion(t *testing.T) {
	f := newFakeExeunt(t)
	a := newTestApp(t, f)
	now := time.Now()
	assertion := f.sign(t, f.newSigner(t, f.key, "JWT"), map[string]any{"iss": f.srv.URL, "aud": "app1", "sub": "alice",
		"sid": "sid-1", "idp": "oidc", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	req := httptest.NewRequest("GET", "/app1/dashboard?tab=2", nil)
	for k, v := range map[string]string{"x-exeunt-sub": "alice", "x-exeunt-name": "User alice", "x-exeunt-email": "alice@example.test",
		"x-exeunt-email-verified": "false", "x-exeunt-idp": "oidc", "x-exeunt-sid": "sid-1", "x-exeunt-assertion": assertion} {
		req.Header.Set(k, v)
	}
	rec := do(a, req)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `<span id="user">User alice</span>`) || !strings.Contains(body, "✓ Verified") ||
		!strings.Contains(body, "/app1/dashboard?tab=2") || !strings.Contains(body, `action="/app1/signout"`) ||
		!strings.Contains(body, `<code>x-exeunt-email-verified</code></th><td id="email-verified">false</td>`) {
		t.Fatalf("%d\n%s", rec.Code, body)
	}

	// An assertion for another app is not accepted.
	other := f.sign(t, f.newSigner(t, f.key, "JWT"), map[string]any{"iss": f.srv.URL, "aud": "app2", "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	req.Header.Set("x-exeunt-assertion", other)
	if body := do(a, req).Body.String(); !strings.Contains(body, "✗ Not verified") {
		t.Fatalf("an assertion for app2 was accepted:\n%s", body)
	}

	// Without headers, the page says so.
	if body := do(a, httptest.NewRequest("GET", "/app1/", nil)).Body.String(); !strings.Contains(body, `id="not-signed-in"`) {
		t.Fatal(body)
	}
}

func TestSignOutGoesToTheEndSessionEndpointAndChecksTheStateOnReturn(t *testing.T) {
	f := newFakeExeunt(t)
	a := newTestApp(t, f)
	req := httptest.NewRequest("POST", "/app1/signout", nil)
	req.Header.Set("x-exeunt-assertion", "the-assertion")
	rec := do(a, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Location") != "" {
		t.Fatalf("want the page that POSTs to the end session endpoint, got %d %v", rec.Code, rec.Header())
	}
	// The token goes in a form body, never in a URL.
	body := rec.Body.String()
	action := regexp.MustCompile(`<form id="signout-form" method="post" action="([^"]+)">`).FindStringSubmatch(body)
	if action == nil || html.UnescapeString(action[1]) != f.srv.URL+"/connect/endsession" {
		t.Fatalf("form: %s", body)
	}
	q := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`).FindAllStringSubmatch(body, -1) {
		q.Add(m[1], html.UnescapeString(m[2]))
	}
	if q.Get("id_token_hint") != "the-assertion" || q.Get("client_id") != "app1" ||
		q.Get("post_logout_redirect_uri") != "http://localhost:10000/public/app1/signed-out" || q.Get("state") == "" {
		t.Fatalf("form fields %v", q)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Value != q.Get("state") || cookies[0].Path != "/public/app1/" {
		t.Fatalf("cookies %v", cookies)
	}
	// A GET (a sign-out click that came back from signing in again) signs nothing out: it
	// shows the sign-out button again.
	get := httptest.NewRequest("GET", "/app1/signout", nil)
	get.Header.Set("x-exeunt-sub", "alice")
	get.Header.Set("x-exeunt-assertion", "the-assertion")
	if rec := do(a, get); rec.Code != http.StatusOK || len(rec.Result().Cookies()) != 0 ||
		!strings.Contains(rec.Body.String(), `<form method="post" action="/app1/signout">`) ||
		strings.Contains(rec.Body.String(), "the-assertion") || strings.Contains(rec.Body.String(), "endsession") {
		t.Fatalf("GET signout: %d %v\n%s", rec.Code, rec.Result().Cookies(), rec.Body.String())
	}
	if rec := do(a, httptest.NewRequest("PUT", "/app1/signout", nil)); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT signout: %d", rec.Code)
	}

	back := httptest.NewRequest("GET", "/public/app1/signed-out?state="+url.QueryEscape(q.Get("state")), nil)
	back.AddCookie(cookies[0])
	if body := do(a, back).Body.String(); !strings.Contains(body, "this is the sign-out this browser started") {
		t.Fatal(body)
	}
	forged := httptest.NewRequest("GET", "/public/app1/signed-out?state=forged", nil)
	forged.AddCookie(cookies[0])
	if body := do(a, forged).Body.String(); !strings.Contains(body, "that this browser did not send") {
		t.Fatal(body)
	}
	// The page is public: opened directly, or with a state this browser did not send, it
	// cannot know that Exeunt sent anyone here, nor that they are signed out.
	for _, target := range []string{"/public/app1/signed-out", "/public/app1/signed-out?state=forged"} {
		body := do(a, httptest.NewRequest("GET", target, nil)).Body.String()
		if strings.Contains(body, "Exeunt sent you back") || strings.Contains(body, "You are signed out") || strings.Contains(body, "Signed out of") {
			t.Fatalf("%s claims a sign-out it cannot know of:\n%s", target, body)
		}
	}
}

func TestFrontchannelLogoutIsRecorded(t *testing.T) {
	f := newFakeExeunt(t)
	a := newTestApp(t, f)
	changed := a.Changed()
	rec := do(a, httptest.NewRequest("GET", "/public/app1/frontchannel-logout?iss="+url.QueryEscape(f.srv.URL)+"&sid=sid-1", nil))
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache, no-store" || rec.Header().Get("X-Frame-Options") != "" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed was not closed")
	}
	do(a, httptest.NewRequest("GET", "/public/app1/frontchannel-logout?iss=https://evil.test&sid=sid-2", nil))
	ev := a.Events()
	if len(ev) != 2 || !ev[0].OK || ev[0].SID != "sid-1" || ev[0].Channel != "front-channel" || ev[1].OK {
		t.Fatalf("events %+v", ev)
	}
	if body := do(a, httptest.NewRequest("GET", "/public/app1/events", nil)).Body.String(); strings.Count(body, `class="event"`) != 2 {
		t.Fatal(body)
	}
}

func TestBackchannelLogoutVerifiesTheToken(t *testing.T) {
	f := newFakeExeunt(t)
	a := newTestApp(t, f)
	post := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/backchannel-logout", strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(a, req)
	}
	good := f.sign(t, f.signer, f.logoutClaims("app1"))
	if rec := post(good); rec.Code != 200 {
		t.Fatalf("a good token: %d %s", rec.Code, rec.Body)
	}
	if rec := post(good); rec.Code != 400 || !strings.Contains(rec.Body.String(), "already used") {
		t.Fatalf("a replayed token: %d %s", rec.Code, rec.Body)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	withNonce := f.logoutClaims("app1")
	withNonce["nonce"] = "n"
	noEvent := f.logoutClaims("app1")
	noEvent["events"] = map[string]any{}
	for name, tok := range map[string]string{
		"another app's":   f.sign(t, f.signer, f.logoutClaims("app2")),
		"a forged":        f.sign(t, f.newSigner(t, otherKey, "logout+jwt"), f.logoutClaims("app1")),
		"a nonce":         f.sign(t, f.signer, withNonce),
		"no event":        f.sign(t, f.signer, noEvent),
		"an ID token typ": f.sign(t, f.newSigner(t, f.key, "JWT"), f.logoutClaims("app1")),
		"an empty":        "",
	} {
		if rec := post(tok); rec.Code != 400 {
			t.Errorf("%s token: %d %s", name, rec.Code, rec.Body)
		}
	}
	ev := a.Events()
	if len(ev) != 8 || !ev[0].OK || ev[0].SID != "sid-1" || ev[0].Sub != "alice" || ev[0].Channel != "back-channel" {
		t.Fatalf("events %+v", ev)
	}
	for _, e := range ev[1:] {
		if e.OK || e.Problem == "" {
			t.Fatalf("a refused token recorded as %+v", e)
		}
	}
}
