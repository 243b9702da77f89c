package core

import (
	"net/url"
	"testing"
)

// RFC 9207 §2.4: a client MUST reject an authorization response without the iss
// parameter from a provider that says it sends one (authorization_response_iss_parameter_
// supported, §3): an attacker's provider, in a mix-up, answers without it. A provider
// that does not say so may leave it out; one that sends it is checked either way
// (TestBadCallbacksAreRefusedAndSignNobodyIn, "issuer mix-up").
func TestAnAuthorizationResponseWithoutIssIsRefusedWhenTheProviderSendsIt(t *testing.T) {
	withoutIss := func(back string) string {
		u, _ := url.Parse(back)
		q := u.Query()
		q.Del("iss")
		u.RawQuery = q.Encode()
		return u.String()
	}
	for _, tc := range []struct {
		name      string
		supported bool
		mangle    func(string) string
		signedIn  bool
	}{
		{"supported, iss sent", true, func(s string) string { return s }, true},
		{"supported, iss missing", true, withoutIss, false},
		{"not supported, iss missing", false, withoutIss, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			b.idp.issParameter = tc.supported
			back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
			d := b.request("GET", tc.mangle(back))
			_, session := b.jar["__Host-exeunt"]
			if !tc.signedIn {
				errorStatus(t, d, 400, "unexpected identity provider")
				if session {
					t.Fatal("a session cookie was set")
				}
				for _, c := range b.idp.calls {
					if c == "POST /token" {
						t.Fatal("the code was sent to the token endpoint")
					}
				}
				return
			}
			if to := location(t, d); to != "https://exeunt.test/app1/" || !session {
				t.Fatalf("want signed in and back at the app, got %s (session %v)", to, session)
			}
		})
	}
}

// RFC 9207 §2 puts iss in error responses too, and §2.4's rule is for every
// authorization response: an error response without iss, from a provider that says it
// sends one, is not its own and is refused like a success response without it, not
// shown as that provider's refusal. When the provider's metadata cannot be had, whether
// iss was required is unknown: the page says the provider could not be reached (what
// happened), not that the provider refused. Either way no session, and nothing is sent
// to the token endpoint.
func TestAnErrorResponseWithoutIssIsRefusedWhenTheProviderSendsIt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		supported bool
		withIss   bool
		down      bool // the provider's metadata cannot be had at the callback
		status    int
		text      string
	}{
		{"supported, iss sent", true, true, false, 403, "cancelled or refused"},
		{"supported, iss missing", true, false, false, 400, "unexpected identity provider"},
		{"not supported, iss missing", false, false, false, 403, "cancelled or refused"},
		{"supported, iss missing, metadata unavailable", true, false, true, 502, "could not be reached"},
		{"supported, iss sent, metadata unavailable", true, true, true, 403, "cancelled or refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := signinConfig(t)
			b := newBrowser(t)
			b.e = mustEngine(t, cfg)
			b.idp.issParameter = tc.supported
			u, err := url.Parse(location(t, b.request("GET", "https://exeunt.test/app1/")))
			if err != nil {
				t.Fatal(err)
			}
			if tc.down {
				// Another VM, one with no copy of the provider's metadata, gets the
				// callback, and the provider cannot be reached.
				b.e = mustEngine(t, cfg)
				b.idp.down = true
			}
			q := url.Values{"error": {"access_denied"}, "state": {u.Query().Get("state")}}
			if tc.withIss {
				q.Set("iss", "https://idp.test")
			}
			b.idp.calls = nil
			d := b.request("GET", "https://exeunt.test/signin-oidc?"+q.Encode())
			errorStatus(t, d, tc.status, tc.text)
			if _, ok := b.jar["__Host-exeunt"]; ok {
				t.Fatal("a session cookie was set")
			}
			for _, c := range b.idp.calls {
				if c == "POST /token" {
					t.Fatal("something was sent to the token endpoint")
				}
			}
		})
	}
}
