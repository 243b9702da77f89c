package core

import (
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// visitBeforeEnd runs visit once, at the first end of sid, before passing it to the real
// store: a session's first visit to a new client whose index update lands after the
// sign-out read the record (sessions.find) and before its end (revocations.end).
type visitBeforeEnd struct {
	revocations
	sid   string
	visit func()
}

func (v *visitBeforeEnd) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	if sid == v.sid && v.visit != nil {
		visit := v.visit
		v.visit = nil
		visit()
	}
	return v.revocations.end(sid, seen, until, job, now, then)
}

// raceFirstVisit makes app3's first visit (from a copy of the browser's cookies) land
// between the read and the end of sid's sign-out; check, once the sign-out is over, fails
// the test when the visit did not happen, and reports whether it reached app3.
func raceFirstVisit(s *signoutEnv, sid string) (check func() (reached bool)) {
	var ran, reached bool
	s.e.ports.revocations = &visitBeforeEnd{revocations: s.e.ports.revocations, sid: sid, visit: func() {
		visitor := &browser{t: s.t, e: s.e, idp: s.idp, jar: maps.Clone(s.jar), now: s.now}
		ran, reached = true, visitor.request("GET", "https://exeunt.test/app3/").Continues()
	}}
	return func() bool {
		s.t.Helper()
		if !ran {
			s.t.Fatal("the sign-out never ended the session: the first visit did not race it")
		}
		return reached
	}
}

// A sign-out is a promise: every app that must be told is told. An RP-initiated sign-out
// reads the session's record (its clients), a first visit to app3 then lands (the record is
// there: the request reaches app3), then the end comes: app3 gets its back-channel notice
// and its front-channel iframe, or the visit was refused; never neither. Before the end was
// conditional on the record read (endRecorded), app3 was reached and never told.
func TestAFirstVisitBetweenASignOutsReadAndItsEndIsNotified(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { // app3 told by front-channel too
		m["clients"].([]any)[2].(map[string]any)["frontchannel_logout_uri"] = "https://exeunt.test/app3/fc"
	})
	hint, sid := s.signedIn()
	reached := raceFirstVisit(s, sid)
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	to, err := url.Parse(location(t, d))
	if err != nil || to.Host != "idp.test" {
		t.Fatalf("not sent to the provider: %v", to)
	}
	if s.signedInStill() {
		t.Fatal("the session survived its sign-out")
	}
	s.tick()
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("signed-out page: %+v", page.Response)
	}
	if !reached() {
		t.Log("the first visit was refused")
		return
	}
	if len(s.apps.tokens["app3"]) != 1 {
		t.Errorf("app3 was reached during the sign-out and received %d logout tokens, want 1", len(s.apps.tokens["app3"]))
	}
	if !strings.Contains(string(page.Response.Body), `https://exeunt.test/app3/fc?iss=`) {
		t.Errorf("app3 was reached during the sign-out and the signed-out page has no front-channel iframe for it")
	}
	for _, c := range []string{"app1", "app2"} {
		if len(s.apps.tokens[c]) != 1 {
			t.Errorf("%s received %d logout tokens, want 1", c, len(s.apps.tokens[c]))
		}
	}
}

// The same race in a provider's back-channel sign-out (it reads the records, then ends).
func TestAFirstVisitBetweenAProviderSignOutsReadAndItsEndIsNotified(t *testing.T) {
	s := newSignoutEnv(t, nil)
	_, sid := s.signedIn()
	reached := raceFirstVisit(s, sid)
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, nil)); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("logout token: %+v", d.Response)
	}
	s.tick()
	if reached() && len(s.apps.tokens["app3"]) != 1 {
		t.Errorf("app3 was reached during the sign-out and received %d logout tokens, want 1", len(s.apps.tokens["app3"]))
	}
	if s.signedInStill() {
		t.Fatal("the session survived the provider's logout token")
	}
}
