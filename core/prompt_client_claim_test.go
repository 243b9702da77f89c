package core

import (
	"net/url"
	"strings"
	"testing"
)

// The logout prompt says which app asked only when the request shows it: a verified
// id_token_hint is an assertion Exeunt gave that app. A bare client_id is a parameter
// anyone writes into a link (evil.example can send a user to
// /connect/endsession?client_id=app1), and "App One asked to sign you out" would then
// be a claim of something that did not happen, on Exeunt's own page.
func TestThePromptNamesTheAppOnlyWhenAHintShowsItAsked(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}))
	if !specIsPrompt(t, d) {
		t.Fatalf("client_id alone: want the prompt, got %s", specBrief(d.Response))
	}
	if body := string(d.Response.Body); strings.Contains(body, "App One") {
		t.Errorf("client_id alone: the prompt names App One as having asked:\n%s", body)
	}
	// The confirmation still goes back to the app the request named (validated).
	logoutID, csrf := promptFields(t, d.Response)
	c := s.send("POST", "https://exeunt.test/connect/endsession",
		[]byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
		Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}, Header{Name: "sec-fetch-site", Value: "same-origin"})
	if c.Response == nil || c.Response.Status != 302 || s.signedInStill() {
		t.Fatalf("confirmation: %s", specBrief(c.Response))
	}

	// A hint of this browser's session, with prompt "always": App One did hand it over.
	s = newSignoutEnv(t, func(cfg map[string]any) { cfg["logout"] = map[string]any{"prompt": "always"} })
	hint, _ = s.signedIn()
	d = s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	if !specIsPrompt(t, d) || !strings.Contains(string(d.Response.Body), "App One asked to sign you out.") {
		t.Fatalf("with a hint: want the prompt naming App One, got %s", specBrief(d.Response))
	}
}

// A verified hint of another session is no more the app's word than a bare client_id:
// anyone signed in to App One holds a hint of his own session (the app puts it in its
// logout link), and a hint's expiry is not checked, so he can put it into a link for
// someone else. The prompt shown for it must not say App One asked.
func TestThePromptDoesNotNameTheAppForTheHintOfAnotherSession(t *testing.T) {
	s := newSignoutEnv(t, nil)
	othersHint, _ := s.signedIn()
	s.jar = map[string]string{} // another browser, or the same one signed in afresh
	s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {othersHint}}))
	if !specIsPrompt(t, d) {
		t.Fatalf("the hint of another session: want the prompt, got %s", specBrief(d.Response))
	}
	if body := string(d.Response.Body); strings.Contains(body, "App One") {
		t.Errorf("the hint of another session: the prompt names App One as having asked:\n%s", body)
	}
}

// A browser holding two sessions, one planted by a sibling host (signout_two_sessions_test.go):
// the planter's hint names a session the browser holds, but nothing shows it is the user's,
// so the prompt for all of them names no app as having asked.
func TestThePromptForSeveralSessionsNamesNoApp(t *testing.T) {
	s := newTwoSessionsEnv(t)
	prompt := s.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {s.plantedHint}}), s.both(), nil)
	if !specIsPrompt(t, prompt) {
		t.Fatalf("two sessions and the planter's hint: want the prompt, got %s", specBrief(prompt.Response))
	}
	if body := string(prompt.Response.Body); strings.Contains(body, "App One") {
		t.Errorf("two sessions and the planter's hint: the prompt names App One as having asked:\n%s", body)
	}
}
