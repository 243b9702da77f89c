package core

import (
	"net/url"
	"strings"
	"testing"
)

// halfSignedOutOfTwo is the two sessions' browser after a sign-out of both whose planted
// session's revocation failed: the victim's session has ended, the planted one lives.
func halfSignedOutOfTwo(t *testing.T) *twoSessionsEnv {
	t.Helper()
	s := newTwoSessionsEnv(t)
	prompt := s.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {s.victimHint}}), s.both(), nil)
	working := s.e.ports.revocations
	s.e.ports.revocations = oneFailingRevocation{working, s.plantedSID, false}
	if d := s.confirm(prompt, s.both()); d.Response == nil || d.Response.Status != 503 {
		t.Fatalf("setup: the planted session's revocation fails: want 503, got %+v", d.Response)
	}
	s.e.ports.revocations = working
	return s
}

// A sign-out of two sessions whose second revocation failed ended the first (revoked,
// its back-channel notices queued) but showed no page with its front-channel iframes:
// the page said "still signed in" (the second lives). The retry ends the second, alone
// (the first's cookie no longer opens); its signed-out page must still carry the
// first's iframes, or an app told only by front-channel keeps the first session.
func TestTheRetryOfASignOutOfTwoShowsTheFirstsIframes(t *testing.T) {
	s := halfSignedOutOfTwo(t)
	if s.opens(s.name+"="+s.own) || !s.opens(s.name+"="+s.planted) {
		t.Fatal("setup: the victim's session ended, the planted one lives")
	}
	retry := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	to := location(t, s.confirm(retry, s.both()))
	state := mustQuery(t, to).Get("state")
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(state))
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("the signed-out page: %+v", page.Response)
	}
	body := string(page.Response.Body)
	for _, want := range []string{
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.plantedSID,
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.victimSID,
		`https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.victimSID,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the retry's signed-out page lacks %s", want)
		}
	}
}

// The retry of a sign-out of two whose victim's session ended first ends the planted
// session alone, through the one-session path. The provider must still be asked without
// that session's ID token: it is the planter's, and as a hint it would ask the provider
// to end the planter's session there, not the user's (the sign-out of several asks
// with client_id only for that reason).
func TestTheRetryOfASignOutOfTwoSendsNoIDToken(t *testing.T) {
	s := halfSignedOutOfTwo(t)
	retry := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	to := location(t, s.confirm(retry, s.both()))
	q := mustQuery(t, to)
	if !strings.HasPrefix(to, "https://idp.test/logout?") || q.Has("id_token_hint") || q.Get("client_id") != "exeunt" {
		t.Fatalf("the retry ended the planted session: want the provider asked with client_id and no id_token_hint, got %s", to)
	}
	// The browser's own single session still sends its hint (nothing else is in it).
	alone := newTwoSessionsEnv(t)
	cookie := alone.name + "=" + alone.own
	d := alone.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {alone.victimHint}}), cookie, nil)
	if d.Response != nil && d.Response.Status == 200 {
		d = alone.confirm(d, cookie)
	}
	if q := mustQuery(t, location(t, d)); q.Get("id_token_hint") == "" {
		t.Fatalf("a browser with its one session: want the provider asked with its ID token, got %+v", d.Response)
	}
}
