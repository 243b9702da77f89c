package core

import (
	"strings"
	"testing"
)

// A token endpoint that refuses Exeunt itself (its client credentials, its registration's
// grant types or scopes: RFC 6749 §5.2) is a misconfiguration no user can fix. It was
// answered 400 "The identity provider refused to complete the sign-in. Please start
// again", and every new start failed the same way; the log gave only the error code. It is
// now 502 "sign-in is unavailable", logged with what to check. A refusal of this sign-in
// (invalid_grant: a code expired or used) stays a 400 asking to start again.
func TestATokenEndpointThatRefusesExeuntIsSignInUnavailable(t *testing.T) {
	cases := []struct {
		status     int
		body, want string
	}{
		{401, `{"error":"invalid_client"}`, "client_id and client_secret"},
		{400, `{"error":"invalid_client","error_description":"client authentication failed"}`, "client_id and client_secret"},
		{401, ``, "client_id and client_secret"},
		{400, `{"error":"unauthorized_client"}`, "authorization code grant"},
		{400, `{"error":"unsupported_grant_type"}`, "authorization code grant"},
		{400, `{"error":"invalid_scope"}`, "scopes"},
	}
	for _, c := range cases {
		b := newBrowser(t)
		var logs []string
		b.e.log = func(m string) { logs = append(logs, m) }
		back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
		b.idp.tokenStatus, b.idp.tokenBody = c.status, c.body
		if c.body == "" {
			b.idp.tokenBody = " "
		}
		d := b.request("GET", back)
		if d.Response == nil || d.Response.Status != 502 {
			got := 0
			if d.Response != nil {
				got = d.Response.Status
			}
			t.Errorf("%d %s: want 502, got %d", c.status, c.body, got)
			continue
		}
		errorStatus(t, d, 502, "nobody can sign in here until an administrator corrects them")
		if all := strings.Join(logs, "\n"); !strings.Contains(all, c.want) || !strings.Contains(all, "provider oidc") {
			t.Errorf("%d %s: the log does not say what to check (%q):\n%s", c.status, c.body, c.want, all)
		}
		if _, ok := b.jar["__Host-exeunt"]; ok {
			t.Fatal("a session cookie was set")
		}
	}
	b := newBrowser(t)
	back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
	b.idp.tokenStatus, b.idp.tokenBody = 400, `{"error":"invalid_grant"}`
	errorStatus(t, b.request("GET", back), 400, "refused")
}

// A token endpoint's error code is the provider's text: it reaches the log quoted and cut
// (logQuote), as every value from outside does, so that a line break in it cannot add a
// line of its own and a long one cannot fill the log.
func TestATokenEndpointErrorCodeIsLoggedBounded(t *testing.T) {
	for _, status := range []int{400, 401} {
		b := newBrowser(t)
		var logs []string
		b.e.log = func(m string) { logs = append(logs, m) }
		back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
		b.idp.tokenStatus = status
		b.idp.tokenBody = `{"error":"invalid_request\nexeunt: signed in sid=forged idp=oidc ` + strings.Repeat("x", 5000) + `"}`
		b.request("GET", back)
		found := false
		for _, m := range logs {
			if !strings.Contains(m, "token endpoint answered") {
				continue
			}
			found = true
			if strings.Contains(m, "\n") || len(m) > 1000 {
				t.Errorf("HTTP %d: the provider's error code is logged raw (%d bytes, line break: %v): %.300q", status, len(m), strings.Contains(m, "\n"), m)
			}
		}
		if !found {
			t.Errorf("HTTP %d: no log line for the token endpoint's answer: %q", status, logs)
		}
	}
}
