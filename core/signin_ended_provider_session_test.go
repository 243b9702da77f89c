package core

import (
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The browser is at the provider, its code issued for provider session idp-sid-1, when
// the provider ends that session: its logout token finds no edge session yet (the
// sign-in's record is not in the index) and is answered 200. The callback that follows
// must make no session: the provider's word was that the session is over, and Exeunt
// acknowledged it. (Before, the sign-in completed, and the browser was signed in on an
// ended provider session; across a fleet the two only need to overlap, the sign-in's
// index write landing after the logout read the index: TestFleetOperatorProbe.)
func TestASignInToAProviderSessionEndedMeanwhileMakesNoSession(t *testing.T) {
	s := newSignoutEnv(t, nil)
	// The provider issues the ID token a second before it ends the session.
	s.idp.mutate = func(claims map[string]any) { claims["iat"] = s.now.Add(-time.Second).Unix() }
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, nil)); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("the provider's logout token: %+v", d.Response)
	}
	d := s.request("GET", back)
	if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("the callback of a sign-in whose provider session was ended meanwhile: %+v, want a 400 page", d.Response)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the callback set a session cookie")
	}
	if s.signedInStill() {
		t.Fatal("signed in on a provider session the provider had ended")
	}
	if s.metrics.get("exeunt.logout.provider_backchannel") != 0 {
		t.Errorf("the logout token ended a session it could not have found: %v", s.metrics.m)
	}
	// A sign-in the provider made after the logout signs in as usual, even should the
	// provider give it the ended session's sid again.
	signsInAfterTheLogout(t, s, "a sign-in made after the logout, to the same provider sid,")
}

// A sign-in refused because its provider session was ended meanwhile hands out no
// cookie, so its session, recorded in the index before the mark was read, must leave no
// trace that counts: with session.max_per_user 2 and the user signed in in one other
// browser, the user's next sign-in must find one session, not two, and sign nobody out.
// (Before, the local store's unlink did nothing and the refused session's record stayed,
// linked from the user's list: the next sign-in found the user at the limit and signed
// out the oldest live session, the other browser's, for a session nobody held.)
func TestASignInRefusedForAnEndedProviderSessionCountsTowardNoLimit(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 2} })
	s.tick()
	other := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now.Add(-time.Minute)}
	s.idp.mutate = func(claims map[string]any) { claims["sid"] = "idp-sid-2" }
	other.signIn("https://exeunt.test/app1/")

	// The logout lands after the callback's first look at the mark, right before its
	// index write: the sign-in finds the mark only after it recorded its session.
	s.idp.mutate = func(claims map[string]any) { claims["iat"] = s.now.Add(-time.Second).Unix() }
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	inner := s.e.ports.sessions
	hooked := &indexHook{sessionIndex: inner}
	hooked.before = func() {
		hooked.before = nil
		if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, nil)); d.Response == nil || d.Response.Status != 200 {
			t.Fatalf("the provider's logout token: %+v", d.Response)
		}
	}
	s.e.ports.sessions = hooked
	d := s.request("GET", back)
	s.e.ports.sessions = inner
	if hooked.before != nil {
		t.Fatal("the callback never wrote the index: the race was not set up")
	}
	if d.Response == nil || d.Response.Status != 400 {
		t.Fatalf("the callback of a sign-in whose provider session was ended meanwhile: %+v, want a 400 page", d.Response)
	}

	third := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now.Add(time.Minute)}
	s.idp.mutate = func(claims map[string]any) { claims["sid"] = "idp-sid-3" }
	third.signIn("https://exeunt.test/app1/")
	other.now = third.now
	if !other.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("the user's other browser was signed out by the next sign-in: the refused sign-in's session counted toward session.max_per_user 2")
	}
	if n := s.metrics.get(counterLogoutSessionLimit); n != 0 {
		t.Errorf("%s = %d, want 0: the user had one live session before the third sign-in", counterLogoutSessionLimit, n)
	}
}

// The same race with a logout token that names only the subject (Back-Channel Logout 1.0
// §2.4: it ends every session of the user at the provider): the sign-in whose ID token
// was issued before it, indexed after the logout read the index, must make no session
// either. (Before, only a token with a sid set the mark, and the sign-in completed on a
// provider session the provider had just ended with all the user's others.) A sign-in
// issued after the logout signs in as usual.
func TestASignInRacingALogoutOfEveryUserSessionMakesNoSession(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.idp.mutate = func(claims map[string]any) { claims["iat"] = s.now.Add(-time.Second).Unix() }
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	bySub := func(c map[string]any, _ map[jose.HeaderKey]any) { delete(c, "sid"); c["sub"] = "alice" }
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, bySub)); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("the provider's logout token naming only the user: %+v", d.Response)
	}
	d := s.request("GET", back)
	if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("the callback of a sign-in whose user's provider sessions were all ended meanwhile: %+v, want a 400 page", d.Response)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the callback set a session cookie")
	}
	if s.signedInStill() {
		t.Fatal("signed in on a provider session the provider had ended with every session of the user")
	}
	signsInAfterTheLogout(t, s, "a sign-in made after the logout")
}

// A sign-in whose provider session was ended before its callback came (the logout token
// arrived while the browser was on its way back: the common case of the race) is
// refused before it ends anything for the new session: the session this browser held
// and the user's oldest under session.max_per_user stay live. (Before, the mark was read
// only after the limit had signed out the user's other browser, and the replaced
// session, for a session that was then refused.)
func TestASignInToAnEndedProviderSessionEndsNothingForIt(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 1} })
	s.tick()
	other := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now.Add(-time.Minute)}
	s.idp.mutate = func(claims map[string]any) { claims["sid"] = "idp-sid-2" }
	other.signIn("https://exeunt.test/app1/")

	s.idp.mutate = func(claims map[string]any) { claims["iat"] = s.now.Add(-time.Second).Unix() }
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, nil)); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("the provider's logout token: %+v", d.Response)
	}
	if d := s.request("GET", back); d.Response == nil || d.Response.Status != 400 {
		t.Fatalf("the callback of a sign-in whose provider session was ended meanwhile: %+v, want a 400 page", d.Response)
	}
	if !other.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("a sign-in refused for its ended provider session signed the user's other browser out under session.max_per_user 1")
	}
	if n := s.metrics.get(counterLogoutSessionLimit); n != 0 {
		t.Errorf("%s = %d, want 0: the refused sign-in made no session to make room for", counterLogoutSessionLimit, n)
	}
}

// indexHook runs before once, right before the next index write.
type indexHook struct {
	sessionIndex
	before func()
}

func (h *indexHook) index(rec sessionRecord, seen *userRead, now time.Time, then func(error) Decision) Decision {
	if f := h.before; f != nil {
		f()
	}
	return h.sessionIndex.index(rec, seen, now, then)
}

// signsInAfterTheLogout checks that a sign-in whose ID token the provider issued after
// its logout (a second later) signs in as usual: the ended mark refuses only sign-ins
// issued no later than the logout. what names the sign-in in failures.
func signsInAfterTheLogout(t *testing.T, s *signoutEnv, what string) {
	t.Helper()
	s.idp.mutate = func(claims map[string]any) { claims["iat"] = s.now.Add(time.Second).Unix() }
	if got := s.signIn("https://exeunt.test/app1/"); !strings.HasPrefix(got, "https://exeunt.test/app1/") {
		t.Fatalf("%s lands on %q", what, got)
	}
	if !s.signedInStill() {
		t.Fatalf("%s made no session", what)
	}
}
