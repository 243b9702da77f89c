package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/exeunt/exeunt/hostsim"
)

// Conformance checks of Exeunt's endpoints as an outside suite runs them, through
// build/exeunt.wasm in hostsim against the real provider (oidc-provider v9). The core
// tests of the same decisions are named beside each.

// RFC 9110 §15.5.6: a 405 carries Allow, listing what the endpoint answers; the
// discovery document and the JWKS are read with GET (OpenID Connect Discovery 1.0 §4).
// Core: TestOwnEndpointTable.
func TestConformanceEveryRefusedMethodGetsAllow(t *testing.T) {
	e := newSigninEnv(t)
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/.well-known/openid-configuration", "GET, HEAD"},
		{"PUT", "/.well-known/jwks.json", "GET, HEAD"},
		{"DELETE", "/exeunt/signin", "GET, HEAD"},
		{"PUT", "/connect/endsession", "GET, POST"},
		{"POST", "/exeunt/logout-context", "GET, HEAD"},
		{"POST", "/signin-oidc", "GET"},
		{"HEAD", "/signin-oidc", "GET"},
		{"POST", "/signout-callback-oidc", "GET"},
		{"POST", "/signout-oidc", "GET"},
		{"GET", "/backchannel-oidc", "POST"},
	} {
		r := e.send(c.method, "https://exeunt.test"+c.path, nil)
		if got := r.HeaderValues("allow"); r.Status != 405 || len(got) != 1 || got[0] != c.allow {
			t.Errorf("%s %s: %d with Allow %q, want 405 with Allow %q", c.method, c.path, r.Status, got, c.allow)
		}
	}
	if r := e.get("https://exeunt.test/.well-known/openid-configuration"); r.Status != 200 || r.HeaderValue("content-type") != "application/json" {
		t.Fatalf("GET discovery: %d %q", r.Status, r.HeaderValue("content-type"))
	}
}

// RFC 9207 §2.4: oidc-provider v9 says it sends iss in every authorization response
// (authorization_response_iss_parameter_supported); a response without it, as a
// mix-up attacker's provider would send, is refused before the code is redeemed, and
// signs nobody in. Core: TestAnAuthorizationResponseWithoutIssIsRefusedWhenTheProviderSendsIt.
func TestConformanceAuthorizationResponseWithoutIssIsRefused(t *testing.T) {
	e := newSigninEnv(t)
	if meta, err := e.peer.Discovery(); err != nil || meta["authorization_response_iss_parameter_supported"] != true {
		t.Fatalf("the provider does not advertise RFC 9207 (%v): %v", err, meta)
	}
	back, err := e.peer.Login(e.idpJar, redirectOf(t, e.get("https://exeunt.test/app1/")), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if back.Query().Get("iss") != e.peer.Issuer {
		t.Fatalf("the provider came back without its iss: %s", back)
	}
	q := back.Query()
	q.Del("iss")
	stripped := *back
	stripped.RawQuery = q.Encode()
	r := e.get(stripped.String())
	if r.Status != 400 || !strings.Contains(string(r.Body), "unexpected identity provider") || !strings.HasPrefix(r.HeaderValue("content-type"), "text/html") {
		t.Fatalf("a response without iss: %d %q\n%s", r.Status, r.HeaderValue("content-type"), r.Body)
	}
	if _, ok := e.jar["__Host-exeunt"]; ok || e.signedIn() {
		t.Fatal("a response without iss signed the user in")
	}
	// The same response with its iss is the provider's own: signed in.
	e.jar = map[string]string{}
	if to := e.signIn("https://exeunt.test/app1/"); to != "https://exeunt.test/app1/" {
		t.Fatalf("a sign-in with iss landed on %q", to)
	}
}

// Discovery (OpenID Connect Discovery 1.0 §3, RP-Initiated Logout 1.0 §2.1, Front- and
// Back-Channel Logout 1.0, Session Management 1.0 §3.3): what the document says is what
// the module does. Every endpoint it names is on the issuer's origin and answers; the
// keys at jwks_uri use an advertised algorithm and verify the assertions apps receive,
// which carry sid (frontchannel_logout_session_supported); check_session_iframe is there
// because session management is on. Core: TestDiscoveryListsSignOut,
// TestCheckSessionDiscoveryAndPage.
func TestConformanceDiscoveryMatchesWhatExeuntDoes(t *testing.T) {
	e := newEnv(t, envOptions{config: map[string]any{"logout": map[string]any{"session_management": true}}})
	r := e.get("https://exeunt.test/.well-known/openid-configuration")
	var doc map[string]any
	if r.Status != 200 || r.HeaderValue("content-type") != "application/json" || json.Unmarshal(r.Body, &doc) != nil {
		t.Fatalf("discovery: %d %q %s", r.Status, r.HeaderValue("content-type"), r.Body)
	}
	if doc["issuer"] != "https://exeunt.test" {
		t.Fatalf("issuer %v", doc["issuer"])
	}
	for name, want := range map[string]any{"frontchannel_logout_supported": true, "frontchannel_logout_session_supported": true,
		"backchannel_logout_supported": true, "backchannel_logout_session_supported": true} {
		if doc[name] != want {
			t.Errorf("%s = %v, want %v", name, doc[name], want)
		}
	}
	algs, _ := doc["id_token_signing_alg_values_supported"].([]any)
	endpoints := map[string]string{}
	for _, name := range []string{"jwks_uri", "end_session_endpoint", "check_session_iframe"} {
		s, _ := doc[name].(string)
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host != "exeunt.test" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%s = %q, want an https URL on the issuer's origin", name, s)
		}
		endpoints[name] = s
		if r := e.get(s); r.Status != 200 {
			t.Errorf("%s %s answers GET with %d", name, s, r.Status)
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(e.get(endpoints["jwks_uri"]).Body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks_uri: %v", err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.KeyID == "" || !slices.Contains(algs, any(k.Algorithm)) {
			t.Errorf("JWKS key %q: public %v, use %q, alg %q; advertised algorithms %v", k.KeyID, k.IsPublic(), k.Use, k.Algorithm, algs)
		}
	}
	// The assertions an app receives verify with those keys and carry sid.
	e.signIn("https://exeunt.test/app1/")
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1: %d", r.Status)
	}
	h := e.apps.seenBy("app1")
	if h.Get("x-exeunt-sid") == "" {
		t.Fatal("no sid passed to the app")
	}
	e.checkAssertion(h.Get("x-exeunt-assertion"), "app1", h.Get("x-exeunt-sid"))
	if parsed, err := jwt.ParseSigned(h.Get("x-exeunt-assertion"), []jose.SignatureAlgorithm{jose.ES256}); err != nil ||
		!slices.Contains(algs, any(parsed.Headers[0].Algorithm)) {
		t.Fatalf("the assertion's alg is not advertised (%v): %v", algs, err)
	}
}

// RP-Initiated Logout 1.0 §2 (the hint is an ID token the OP issued) and Back-Channel
// Logout 1.0 §4.1 (cross-JWT confusion): a logout token the module sent to an app,
// signed with the same key as the assertions, comes back as id_token_hint with the
// app's registered URI: refused as a hint not issued here, with no redirect, and the
// current session lives on. Core: TestSpecEndSessionRefusesALogoutTokenAsHint.
func TestConformanceALogoutTokenIsNotAnIDTokenHint(t *testing.T) {
	app1 := newBCLListener(t, 0)
	e := specSignoutEnv(t, map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: newBCLListener(t, 0).addr()}}, signoutClients())
	hint, sid := e.signedInApps()
	back, err := e.peer.ConfirmLogout(e.idpJar, redirectOf(t, e.get("https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {hint}}.Encode())))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.get(back.String()); r.Status != 200 || e.signedIn() {
		t.Fatalf("sign-out: %d, signed in %v", r.Status, e.signedIn())
	}
	logoutToken := app1.wait(10 * time.Second)
	e.checkLogoutToken(logoutToken, "app1", sid)

	e.signedInApps()
	r := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {logoutToken},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}.Encode())
	if r.Status != 400 || r.HeaderValue("location") != "" || !strings.Contains(string(r.Body), "not issued here") {
		t.Fatalf("a logout token as id_token_hint: %d location=%q\n%s", r.Status, r.HeaderValue("location"), r.Body)
	}
	if !e.signedIn() {
		t.Fatal("the logout token ended the current session")
	}
}

// Back-Channel Logout 1.0 §2.8 with RFC 6749 §5.2, as a provider sees the module's
// answers: a refused logout token gets 400, application/json {"error",
// "error_description"} in the characters §5.2 allows (the description quotes the
// token's typ), and Cache-Control no-store; so does a body that is not a form. Core:
// TestProviderBackchannelRefusesBadTokensAndChangesNothing,
// TestOAuthErrorAnswersUseTheCharactersRFC6749Allows.
func TestConformanceBackchannelRefusalsAreOAuthErrors(t *testing.T) {
	e := newSigninEnv(t)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	typJWT := b64(`{"alg":"RS256","typ":"JWT","kid":"k\"1"}`) + "." + b64(`{"iss":"x"}`) + "." + b64("sig")
	for name, r := range map[string]*hostsim.Response{
		"typ JWT":    e.post("/backchannel-oidc", "application/x-www-form-urlencoded", []byte(url.Values{"logout_token": {typJWT}}.Encode())),
		"JSON body":  e.post("/backchannel-oidc", "application/json", []byte(`{"logout_token":"x"}`)),
		"two tokens": e.post("/backchannel-oidc", "application/x-www-form-urlencoded", []byte("logout_token=a&logout_token=b")),
	} {
		var body map[string]string
		if r.Status != 400 || r.HeaderValue("content-type") != "application/json" || r.HeaderValue("cache-control") != "no-store" ||
			json.Unmarshal(r.Body, &body) != nil || body["error"] != "invalid_request" || body["error_description"] == "" {
			t.Errorf("%s: %d %q %q %s", name, r.Status, r.HeaderValue("content-type"), r.HeaderValue("cache-control"), r.Body)
			continue
		}
		for _, c := range body["error_description"] {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Errorf("%s: error_description %q has %q, which RFC 6749 §5.2 does not allow", name, body["error_description"], c)
				break
			}
		}
	}
}
