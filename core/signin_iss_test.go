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
