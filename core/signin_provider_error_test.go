package core

import (
	"net/url"
	"strings"
	"testing"
)

// RFC 6749 §4.1.2.1: an authorization error response from the provider. The user gets
// a readable page saying what happened in their terms: refused or cancelled
// (access_denied), the provider failing for now (server_error, temporarily_unavailable:
// the provider's 500 and 503, so a 502 "try again" page, as for a failing token
// endpoint), or not signed in (any other code). The operator gets the provider's code
// and description in the log, quoted and bounded; nobody is signed in, and the flow
// cookie goes.
func TestAuthorizationErrorResponsesArePagesAndLogged(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		text   string
	}{
		{"access_denied", 403, "cancelled or refused"},
		{"server_error", 502, "could not complete the sign-in right now"},
		{"temporarily_unavailable", 502, "could not complete the sign-in right now"},
		{"login_required", 403, "did not sign you in"},
		{"invalid_scope", 403, "did not sign you in"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			b := newBrowser(t)
			var logs []string
			b.e.log = func(m string) { logs = append(logs, m) }
			back, _ := url.Parse(b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/"))))
			q := back.Query()
			q.Del("code")
			q.Set("error", tc.code)
			q.Set("error_description", "line one\nexeunt: signed in sid=forged "+strings.Repeat("x", 3000))
			back.RawQuery = q.Encode()
			d := b.request("GET", back.String())
			errorStatus(t, d, tc.status, tc.text)
			if _, ok := b.jar["__Host-exeunt"]; ok {
				t.Fatal("a session cookie was set")
			}
			for name := range b.jar {
				if strings.Contains(name, "-flow-") {
					t.Fatalf("the flow cookie %s survived", name)
				}
			}
			var line string
			for _, m := range logs {
				if strings.Contains(m, "authorization response") {
					line = m
				}
			}
			if !strings.Contains(line, `error="`+tc.code+`"`) || strings.Contains(line, "\n") || len(line) > 1000 {
				t.Fatalf("log lines %q: want one naming error=%q, on one bounded line", logs, tc.code)
			}
		})
	}
}
