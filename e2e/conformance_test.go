package e2e

import (
	"strings"
	"testing"
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
		{"PUT", "/connect/endsession", "GET, HEAD, POST"},
		{"POST", "/exeunt/logout-context", "GET, HEAD"},
		{"POST", "/signin-oidc", "GET"},
		{"HEAD", "/signin-oidc", "GET"},
		{"POST", "/signout-callback-oidc", "GET, HEAD"},
		{"POST", "/signout-oidc", "GET, HEAD"},
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
