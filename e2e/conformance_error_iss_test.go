package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// RFC 9207 §2 and §2.4 for error responses, against the real provider (which advertises
// authorization_response_iss_parameter_supported): an error response to Exeunt's own
// authorization request without iss is not the provider's, and is refused as "unexpected
// identity provider", not shown as the provider's refusal; with the provider's iss it is
// the provider's ("cancelled or refused"). Core:
// TestAnErrorResponseWithoutIssIsRefusedWhenTheProviderSendsIt.
func TestConformanceErrorResponseWithoutIssIsRefused(t *testing.T) {
	e := newSigninEnv(t)
	if meta, err := e.peer.Discovery(); err != nil || meta["authorization_response_iss_parameter_supported"] != true {
		t.Fatalf("the provider does not advertise RFC 9207 (%v): %v", err, meta)
	}
	for _, tc := range []struct {
		iss    string
		status int
		text   string
	}{
		{"", 400, "unexpected identity provider"},
		{e.peer.Issuer, 403, "cancelled or refused"},
	} {
		auth, err := url.Parse(redirectOf(t, e.get("https://exeunt.test/app1/")))
		if err != nil {
			t.Fatal(err)
		}
		q := url.Values{"error": {"access_denied"}, "state": {auth.Query().Get("state")}}
		if tc.iss != "" {
			q.Set("iss", tc.iss)
		}
		r := e.get(auth.Query().Get("redirect_uri") + "?" + q.Encode())
		if r.Status != tc.status || !strings.Contains(string(r.Body), tc.text) || !strings.HasPrefix(r.HeaderValue("content-type"), "text/html") {
			t.Fatalf("an error response with iss %q: %d %q\n%s", tc.iss, r.Status, r.HeaderValue("content-type"), r.Body)
		}
		if _, ok := e.jar["__Host-exeunt"]; ok || e.signedIn() {
			t.Fatalf("an error response with iss %q signed the user in", tc.iss)
		}
	}
}
