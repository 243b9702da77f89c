package oidcpeer_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// rp is a relying party's listeners: the test drives the redirects itself, so only the
// logout notifications arrive here.
type rp struct {
	*httptest.Server
	backchannel chan url.Values // POSTs to /backchannel
}

func newRP(t *testing.T) *rp {
	t.Helper()
	r := &rp{backchannel: make(chan url.Values, 8)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/backchannel":
			if req.Method != http.MethodPost {
				http.Error(w, "POST only", http.StatusMethodNotAllowed)
				return
			}
			if err := req.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.backchannel <- req.PostForm
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// authRequest is one authorization request with PKCE S256, state and nonce.
type authRequest struct {
	url, state, nonce, verifier string
}

func newAuthRequest(t *testing.T, op *oidcpeer.Peer, clientID, redirectURI string) authRequest {
	t.Helper()
	endpoint, err := op.Endpoint("authorization_endpoint")
	if err != nil {
		t.Fatal(err)
	}
	a := authRequest{state: random(t), nonce: random(t), verifier: random(t) + random(t)}
	challenge := sha256.Sum256([]byte(a.verifier))
	q := url.Values{
		"client_id":             {clientID},
		"response_type":         {"code"},
		"scope":                 {"openid profile email"},
		"redirect_uri":          {redirectURI},
		"state":                 {a.state},
		"nonce":                 {a.nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	a.url = endpoint + "?" + q.Encode()
	return a
}

// login signs in at the provider and checks the redirect back (redirect_uri, state, code)
// and the interactions the provider asked for.
func login(t *testing.T, op *oidcpeer.Peer, jar http.CookieJar, a authRequest, redirectURI, user string, wantPrompts ...string) (code string) {
	t.Helper()
	back, prompts, err := op.LoginWithPrompts(jar, a.url, user)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(prompts) != fmt.Sprint(wantPrompts) {
		t.Errorf("the provider asked for %v, want %v", prompts, wantPrompts)
	}
	q := back.Query()
	if got := back.Scheme + "://" + back.Host + back.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want the redirect_uri %s", back, redirectURI)
	}
	if q.Get("error") != "" {
		t.Fatalf("authorization error: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != a.state {
		t.Fatalf("state = %q, want %q", q.Get("state"), a.state)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code in %s", back)
	}
	return q.Get("code")
}

// exchange redeems a code at the token endpoint with client_secret_basic.
func exchange(t *testing.T, op *oidcpeer.Peer, clientID, secret, code, redirectURI, verifier string) (status int, body map[string]any) {
	t.Helper()
	endpoint, err := op.Endpoint("token_endpoint")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	}
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := op.HTTPClient(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token response (%s): %v", resp.Status, err)
	}
	return resp.StatusCode, body
}

// verifyJWT checks an RS256 signature against the provider's JWKS and returns header and
// claims.
func verifyJWT(t *testing.T, op *oidcpeer.Peer, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	decode := func(i int, v any) {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d: %v", i, err)
		}
		if v != nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("JWT part %d: %v", i, err)
			}
		}
	}
	decode(0, &header)
	decode(1, &claims)
	if header["alg"] != "RS256" {
		t.Fatalf("alg = %v, want RS256", header["alg"])
	}
	jwksURI, err := op.Endpoint("jwks_uri")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := op.HTTPClient(nil).Get(jwksURI)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct{ Kid, Kty, N, E, D string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	for _, k := range jwks.Keys {
		if k.Kid != header["kid"] || k.Kty != "RSA" {
			continue
		}
		if k.D != "" {
			t.Fatal("the JWKS publishes a private key")
		}
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("signature: %v", err)
		}
		return header, claims
	}
	t.Fatalf("kid %v is not in the JWKS", header["kid"])
	return nil, nil
}

func wantClaim(t *testing.T, what string, claims map[string]any, name string, want any) {
	t.Helper()
	if got := claims[name]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: %s = %v, want %v", what, name, got, want)
	}
}

func wantString(t *testing.T, what string, claims map[string]any, name string) string {
	t.Helper()
	s, _ := claims[name].(string)
	if s == "" {
		t.Errorf("%s: no %s in %v", what, name, claims)
	}
	return s
}

func receive(t *testing.T, ch <-chan url.Values, what string) url.Values {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing received", what)
		return nil
	}
}

func TestV9CodeFlowAndLogout(t *testing.T) {
	t.Parallel()
	app := newRP(t)
	const clientID, secret = "app", "app-secret"
	callback := app.URL + "/signin-oidc"
	signedOut := app.URL + "/signout-callback-oidc"
	op := oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID:                               clientID,
		Secret:                           secret,
		RedirectURIs:                     []string{callback},
		PostLogoutRedirectURIs:           []string{signedOut},
		BackchannelLogoutURI:             app.URL + "/backchannel",
		BackchannelLogoutSessionRequired: true,
	}}})

	doc, err := op.Discovery()
	if err != nil {
		t.Fatal(err)
	}
	wantClaim(t, "discovery", doc, "issuer", op.Issuer)
	wantString(t, "discovery", doc, "end_session_endpoint")
	wantClaim(t, "discovery", doc, "backchannel_logout_supported", true)
	wantClaim(t, "discovery", doc, "backchannel_logout_session_supported", true)
	wantClaim(t, "discovery", doc, "code_challenge_methods_supported", []any{"S256"})
	if !strings.HasPrefix(op.Issuer, "http://127.0.0.1:") || !strings.HasPrefix(op.Addr, "127.0.0.1:") {
		t.Errorf("Issuer %q, Addr %q: want both on 127.0.0.1", op.Issuer, op.Addr)
	}

	// Sign in with the login form, then redeem the code with client_secret_basic and PKCE.
	jar := newJar(t)
	a := newAuthRequest(t, op, clientID, callback)
	code := login(t, op, jar, a, callback, "alice", "login")
	status, tok := exchange(t, op, clientID, secret, code, callback, a.verifier)
	if status != http.StatusOK {
		t.Fatalf("token endpoint: %d %v", status, tok)
	}
	idToken, _ := tok["id_token"].(string)
	_, claims := verifyJWT(t, op, idToken)
	wantClaim(t, "ID token", claims, "iss", op.Issuer)
	wantClaim(t, "ID token", claims, "aud", clientID)
	wantClaim(t, "ID token", claims, "sub", "alice")
	wantClaim(t, "ID token", claims, "nonce", a.nonce)
	wantClaim(t, "ID token", claims, "name", "User alice")
	wantClaim(t, "ID token", claims, "email", "alice@example.test")
	sid := wantString(t, "ID token", claims, "sid")

	// The same browser signs in again without a form (the provider's session), and a wrong
	// code_verifier is refused: PKCE is enforced for this confidential client too.
	a2 := newAuthRequest(t, op, clientID, callback)
	code2 := login(t, op, jar, a2, callback, "not-asked")
	if status, body := exchange(t, op, clientID, secret, code2, callback, a.verifier); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("a wrong code_verifier: %d %v, want 400 invalid_grant", status, body)
	}

	// RP-initiated logout: id_token_hint, post_logout_redirect_uri and state, confirmed.
	endSession, _ := op.Endpoint("end_session_endpoint")
	q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {signedOut}, "state": {"st-1"}}
	back, err := op.ConfirmLogout(jar, endSession+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if want := signedOut + "?state=st-1"; back.String() != want {
		t.Errorf("after logout: %s, want %s", back, want)
	}
	checkLogoutToken(t, op, receive(t, app.backchannel, "back-channel after RP-initiated logout"), clientID, "alice", sid)

	// Provider-initiated: sign in again, then sign out on the provider's own page.
	a3 := newAuthRequest(t, op, clientID, callback)
	code3 := login(t, op, jar, a3, callback, "alice", "login")
	_, tok3 := exchange(t, op, clientID, secret, code3, callback, a3.verifier)
	_, claims3 := verifyJWT(t, op, tok3["id_token"].(string))
	sid3 := wantString(t, "ID token", claims3, "sid")
	if sid3 == sid {
		t.Errorf("a new provider session has the old sid %q", sid)
	}
	resp, err := op.LogoutAtProvider(jar)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), endSession) {
		t.Errorf("LogoutAtProvider ended at %s with %s", resp.Request.URL, resp.Status)
	}
	checkLogoutToken(t, op, receive(t, app.backchannel, "back-channel after logout at the provider"), clientID, "alice", sid3)

	// Signed out: the next authorization request shows the login form again.
	a4 := newAuthRequest(t, op, clientID, callback)
	login(t, op, jar, a4, callback, "bob", "login")
	if strings.Contains(op.Output(), "backchannel.error") {
		t.Errorf("the provider reports a back-channel error:\n%s", op.Output())
	}
}

func checkLogoutToken(t *testing.T, op *oidcpeer.Peer, form url.Values, clientID, sub, sid string) {
	t.Helper()
	token := form.Get("logout_token")
	if token == "" {
		t.Fatalf("back-channel POST without logout_token: %v", form)
	}
	header, claims := verifyJWT(t, op, token)
	wantClaim(t, "logout token header", header, "typ", "logout+jwt")
	wantClaim(t, "logout token", claims, "iss", op.Issuer)
	wantClaim(t, "logout token", claims, "aud", clientID)
	wantClaim(t, "logout token", claims, "sub", sub)
	wantClaim(t, "logout token", claims, "sid", sid)
	wantString(t, "logout token", claims, "jti")
	if _, ok := claims["nonce"]; ok {
		t.Error("logout token has a nonce")
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events["http://schemas.openid.net/event/backchannel-logout"]; !ok {
		t.Errorf("logout token events = %v", claims["events"])
	}
}

func TestV9Consent(t *testing.T) {
	t.Parallel()
	app := newRP(t)
	callback := app.URL + "/cb"
	// A made-up issuer host: the Peer's own requests still reach 127.0.0.1.
	op := oidcpeer.Start(t, "v9", oidcpeer.Config{RequireConsent: true, IssuerHost: "op.example.test", Clients: []oidcpeer.Client{{
		ID: "third-party", Secret: "s", RedirectURIs: []string{callback},
	}}})
	if !strings.HasPrefix(op.Issuer, "http://op.example.test:") {
		t.Errorf("Issuer = %s, want http://op.example.test:PORT", op.Issuer)
	}
	a := newAuthRequest(t, op, "third-party", callback)
	code := login(t, op, newJar(t), a, callback, "carol", "login", "consent")
	status, tok := exchange(t, op, "third-party", "s", code, callback, a.verifier)
	if status != http.StatusOK {
		t.Fatalf("token endpoint: %d %v", status, tok)
	}
	_, claims := verifyJWT(t, op, tok["id_token"].(string))
	wantClaim(t, "ID token", claims, "sub", "carol")
	// No back-channel or front-channel session required: oidc-provider leaves sid out.
	if _, ok := claims["sid"]; ok {
		t.Errorf("sid in an ID token for a client without *_logout_session_required: %v", claims)
	}

	// A redirect_uri that differs from the registered one only by a trailing slash is
	// refused on the provider's own error page.
	bad := newAuthRequest(t, op, "third-party", callback+"/")
	if _, err := op.Login(newJar(t), bad.url, "carol"); err == nil || !strings.Contains(err.Error(), "redirect_uri") {
		t.Errorf("an unregistered redirect_uri: err = %v", err)
	}
}

func TestV6FrontChannel(t *testing.T) {
	t.Parallel()
	app := newRP(t)
	const clientID, secret = "app6", "app6-secret"
	callback := app.URL + "/signin-oidc"
	signedOut := app.URL + "/signout-callback-oidc"
	op := oidcpeer.Start(t, "v6", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID:                                clientID,
		Secret:                            secret,
		RedirectURIs:                      []string{callback},
		PostLogoutRedirectURIs:            []string{signedOut},
		FrontchannelLogoutURI:             app.URL + "/signout-oidc?tenant=t1",
		FrontchannelLogoutSessionRequired: true,
	}}})

	doc, err := op.Discovery()
	if err != nil {
		t.Fatal(err)
	}
	wantClaim(t, "discovery", doc, "frontchannel_logout_supported", true)
	wantClaim(t, "discovery", doc, "frontchannel_logout_session_supported", true)
	wantClaim(t, "discovery", doc, "backchannel_logout_supported", true)
	wantString(t, "discovery", doc, "check_session_iframe")
	wantString(t, "discovery", doc, "end_session_endpoint")

	signIn := func(jar http.CookieJar, user string) (sid string) {
		t.Helper()
		a := newAuthRequest(t, op, clientID, callback)
		code := login(t, op, jar, a, callback, user, "login") // consent is answered by the peer
		status, tok := exchange(t, op, clientID, secret, code, callback, a.verifier)
		if status != http.StatusOK {
			t.Fatalf("token endpoint: %d %v", status, tok)
		}
		_, claims := verifyJWT(t, op, tok["id_token"].(string))
		wantClaim(t, "ID token", claims, "sub", user)
		wantClaim(t, "ID token", claims, "nonce", a.nonce)
		wantClaim(t, "ID token", claims, "email", user+"@example.test")
		return wantString(t, "ID token", claims, "sid")
	}
	checkIframe := func(iframes []*url.URL, sid string) {
		t.Helper()
		if len(iframes) != 1 {
			t.Fatalf("front-channel iframes: %v, want one", iframes)
		}
		u := iframes[0]
		if got := u.Scheme + "://" + u.Host + u.Path; got != app.URL+"/signout-oidc" {
			t.Errorf("iframe %s: want %s/signout-oidc", u, app.URL)
		}
		q := u.Query()
		if q.Get("iss") != op.Issuer || q.Get("sid") != sid || q.Get("tenant") != "t1" {
			t.Errorf("iframe %s: want iss=%s, sid=%s and tenant=t1", u, op.Issuer, sid)
		}
	}

	// Provider-initiated: the logout page frames the client's frontchannel_logout_uri.
	jar := newJar(t)
	sid := signIn(jar, "dave")
	endSession, _ := op.Endpoint("end_session_endpoint")
	res, err := op.Logout(jar, endSession)
	if err != nil {
		t.Fatal(err)
	}
	if res.Redirect != nil {
		t.Errorf("logout at the provider left it, for %s", res.Redirect)
	}
	checkIframe(res.FrontchannelIframes, sid)

	// RP-initiated: the same page, and its script then goes to post_logout_redirect_uri.
	sid = signIn(jar, "dave")
	q := url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {signedOut}, "state": {"st-6"}}
	res, err = op.Logout(jar, endSession+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	checkIframe(res.FrontchannelIframes, sid)
	if res.Redirect == nil || res.Redirect.String() != signedOut+"?state=st-6" {
		t.Errorf("after logout: %v, want %s?state=st-6", res.Redirect, signedOut)
	}
}
