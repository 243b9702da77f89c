package core

import (
	"net/url"
	"strings"
	"testing"
)

// The request's id_token_hint proves nothing about which of several sessions is the
// user's: apps put a user's assertion in their sign-out links, so the planter holds
// hers, and can send the victim to the end session endpoint with it. It must not choose
// the ID token given to the provider (a provider such as IdentityServer refuses an
// id_token_hint whose sub is not its signed-in user, "Current user does not match
// identity token", and the victim's provider session lives on), nor which provider is
// asked when the sessions came from two (the victim's provider never asked, and the
// page saying "signed out" all the same).
func TestThePlantersHintChoosesNothingOfASignOutOfAll(t *testing.T) {
	s := newTwoSessionsEnv(t)
	prompt := s.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {s.plantedHint}}), s.both(), nil)
	to := location(t, s.confirm(prompt, s.both()))
	if q := mustQuery(t, to); !strings.HasPrefix(to, "https://idp.test/logout?") || q.Has("id_token_hint") || q.Get("client_id") != "exeunt" {
		t.Fatalf("the planter's hint: want the provider asked with client_id and no id_token_hint, got %s", to)
	}
	if s.opens(s.name+"="+s.own) || s.opens(s.name+"="+s.planted) {
		t.Fatal("a session survived the sign-out")
	}
}

func TestThePlantersHintChoosesNoProviderOfTwo(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) {
		m["providers"] = append(m["providers"].([]any), map[string]any{"scheme": "other", "display_name": "Other IdP",
			"issuer": "https://other.test", "client_id": "exeunt", "client_secret": "s3cret", "cluster": "other"})
		for _, c := range m["clients"].([]any) {
			c.(map[string]any)["default_provider"] = "oidc"
		}
	})
	s.signedIn()
	name := s.e.cfg.Cookie.Name
	own := s.jar[name]
	victim, _, err := s.e.openSession(parseCookies([]Header{{Name: "cookie", Value: name + "=" + own}}), s.now)
	if err != nil {
		t.Fatal(err)
	}
	// The planter's session, of the other provider, and her assertion for app1.
	other := victim
	other.SID, other.Sub, other.IdP, other.Clients = "other-session-1", "mallory", "other", []string{"app1"}
	set, err := s.e.sessionCookies(&other, s.now, 1)
	if err != nil || len(set) != 1 {
		t.Fatalf("setup: %v", err)
	}
	hint, _, err := s.e.signAssertion(&other, s.e.cfg.Client("app1"), s.now)
	if err != nil {
		t.Fatal(err)
	}
	planted, _, _ := strings.Cut(strings.TrimPrefix(set[0].Value, name+"="), ";")
	both := name + "=" + planted + "; " + name + "=" + own
	ts := &twoSessionsEnv{signoutEnv: s, name: name, own: own, planted: planted}
	d := ts.confirm(ts.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {hint}}), both, nil), both)
	if d.Response == nil || d.Response.Status != 200 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("the planter's hint, sessions of two providers: want the signed-out page here, no provider asked, got %+v", d.Response)
	}
	body := string(d.Response.Body)
	for _, want := range []string{"You are signed out", "Other IdP, oidc", "could not be ended"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q (the victim's provider, never asked, must be named):\n%s", want, body)
		}
	}
	if ts.opens(name+"="+own) || ts.opens(name+"="+planted) {
		t.Fatal("a session survived the sign-out")
	}
}
