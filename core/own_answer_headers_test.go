package core

import (
	"testing"
)

// nosniffs counts the x-content-type-options headers in hs, failing on another value.
func nosniffs(t *testing.T, what string, hs []Header) int {
	t.Helper()
	n := 0
	for _, h := range hs {
		if h.Name == "x-content-type-options" {
			n++
			if h.Value != "nosniff" {
				t.Errorf("%s: x-content-type-options %q, want nosniff", what, h.Value)
			}
		}
	}
	return n
}

// Every answer Exeunt makes itself says nosniff once, whatever made it (an own endpoint
// with any method, a JSON error for an API call, the 404 for an unowned path, the glue's
// own refusals); an app's response gets nothing of the kind added.
func TestEveryOwnAnswerSaysNosniffOnce(t *testing.T) {
	s := newSessionManagementEnv(t)
	cfg := s.e.cfg
	answers := map[string]Decision{
		"not configured":     NotConfigured(),
		"request unreadable": RequestUnreadable(),
	}
	for _, want := range expectedEndpoints(cfg) {
		for _, m := range []string{"GET", "HEAD", "POST", "OPTIONS"} {
			answers[m+" "+want.path] = s.request(m, "https://exeunt.test"+want.path+"?x=1")
			answers[m+" "+want.path+" as JSON"] = s.request(m, "https://exeunt.test"+want.path, Header{Name: "accept", Value: "application/json"})
		}
	}
	answers["API call without a session"] = s.request("GET", "https://exeunt.test/app1/api", Header{Name: "accept", Value: "application/json"})
	answers["unowned"] = s.request("GET", "https://exeunt.test/nobody/")
	answers["unowned as JSON"] = s.request("GET", "https://exeunt.test/nobody/", Header{Name: "accept", Value: "application/json"})
	answers["sign-in redirect"] = s.request("GET", "https://exeunt.test/app1/")
	responses := 0
	for what, d := range answers {
		if d.Response == nil {
			continue
		}
		responses++
		if n := nosniffs(t, what, d.Response.Headers); n != 1 {
			t.Errorf("%s (%d): %d x-content-type-options headers, want 1: %v", what, d.Response.Status, n, d.Response.Headers)
		}
	}
	if responses < 40 {
		t.Fatalf("only %d of %d requests were answered by Exeunt", responses, len(answers))
	}

	// An app's answer: Exeunt adds its cookie (the first visit re-seals the session)
	// and cache-control, never headers about the app's content.
	s.signIn("https://exeunt.test/app1/")
	d := s.request("GET", "https://exeunt.test/app1/page")
	if !d.Continues() || len(d.ResponseHeaders) == 0 {
		t.Fatalf("signed-in first visit: %+v, want it passed with a re-sealed cookie", d)
	}
	if n := nosniffs(t, "app's response", d.ResponseHeaders); n != 0 {
		t.Errorf("an app's response gets x-content-type-options added: %v", d.ResponseHeaders)
	}
}
