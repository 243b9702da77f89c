package core

import (
	"strings"
	"testing"
)

// Review of the sign-out of several sessions (signout_all.go): what an attacker who
// planted a session (a sibling host under the cookie's domain) can still do with it.

// A prompt bound to no session is accepted from Exeunt's own origin only. A browser that
// sends no Fetch Metadata (Safari before 16.4, Firefox before 90) still sends Origin on a
// form POST: a POST from a sibling site's page (same-site, so both cookies come along)
// says so there, and must end nothing. The planter gets such a prompt in her own browser
// (the prompt for all, or the one a cross-site request without the cookie gets).
func TestAPromptForNoSessionIsRefusedFromAnotherOriginWithoutFetchMetadata(t *testing.T) {
	s := newTwoSessionsEnv(t)
	evil := Header{Name: "origin", Value: "https://evil.exeunt.test"}
	// The prompt for all, as the planter's own browser gets it when it holds two sessions.
	planter2 := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	for what, prompt := range map[string]Decision{
		"the prompt for all (from the planter's browser)": planter2,
		// A cross-site POST without the cookie gets a prompt bound to no session.
		"the prompt shown without the cookie": s.sendWith("POST", "https://exeunt.test/connect/endsession", "", []byte("client_id=app1"), formType, evil),
	} {
		d := s.confirm(prompt, s.both(), evil)
		if d.Response == nil || d.Response.Status == 302 || strings.Contains(string(d.Response.Body), "You are signed out") {
			t.Errorf("%s, posted from https://evil.exeunt.test by a browser without Sec-Fetch-Site: want it refused, got %+v", what, d.Response)
		}
		if !s.opens(s.name+"="+s.own) || !s.opens(s.name+"="+s.planted) {
			t.Fatalf("%s, posted from another origin, ended a session", what)
		}
	}
	// Posted with Origin "null" (a sandboxed frame, a data: page): not Exeunt's origin.
	if d := s.confirm(planter2, s.both(), Header{Name: "origin", Value: "null"}); d.Response == nil || d.Response.Status != 400 {
		t.Fatalf("the prompt for all posted with Origin null: want 400, got %+v", d.Response)
	}
	// The user's own click: Exeunt's origin, with or without Fetch Metadata.
	own := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	location(t, s.confirm(own, s.both(), Header{Name: "origin", Value: "https://exeunt.test"}))
	if s.opens(s.name+"="+s.own) || s.opens(s.name+"="+s.planted) {
		t.Fatal("the user's own confirmation left a session")
	}
}

// The prompt's own form posts show Exeunt's origin in a browser without Fetch Metadata:
// its Referrer-Policy is same-origin, not no-referrer (whose posts say "Origin: null",
// as a hostile page's can).
func TestThePromptsPostsShowExeuntsOrigin(t *testing.T) {
	s := newTwoSessionsEnv(t)
	prompt := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	if got := headerValue(prompt.Response.Headers, "referrer-policy"); got != "same-origin" {
		t.Fatalf("the prompt's referrer-policy: %q, want same-origin", got)
	}
}
