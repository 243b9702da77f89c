package core

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// Found in review: the unconfirmed mark held a plain hash of the sid, so whoever knows a
// sid could make it. A forged mark (that hash, which the mark used to be, or a mark
// sealed for another use) is not honoured: a sign-out refused outright still says "still
// signed in", and a signed-out session's hint still shows the logged-out page rather than
// going to the provider again.
func TestAForgedUnconfirmedMarkIsNotHonoured(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	mark := s.e.cfg.unconfirmedCookie
	wrongUse, err := s.e.keys.sealer.Seal(sessionPurpose, []byte(sid), s.now, s.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	forged := []string{indexKey("unconfirmed", sid), wrongUse}
	working := s.e.ports.revocations
	for _, f := range forged {
		s.jar[mark] = f
		s.e.ports.revocations = refusingRevocations{working}
		r := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})).Response
		s.e.ports.revocations = working
		if r == nil || !strings.Contains(string(r.Body), "You are still signed in") {
			t.Fatalf("a refused sign-out with the forged mark %q: want 'still signed in', got 'not confirmed' %v", f, r != nil && strings.Contains(string(r.Body), "could not be confirmed"))
		}
	}
	delete(s.jar, mark)
	if to := location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the sign-out: %s", to)
	}
	for _, f := range forged {
		s.jar[mark] = f
		d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
		if d.Response == nil || d.Response.Status != 200 {
			t.Fatalf("a signed-out session's hint with the forged mark %q: want the logged-out page, got %+v", f, d.Response)
		}
	}
	// A mark Exeunt sealed for this session is honoured (the contrast).
	s.jar[mark] = s.sealedMark(sid)
	if d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status != 302 {
		t.Fatalf("a signed-out session's hint with its sealed mark: want the provider, got %+v", d.Response)
	}
}
