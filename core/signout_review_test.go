package core

import (
	"net/url"
	"strings"
	"testing"
)

// Found in review: pages of the sign-out that claimed what this browser's request did not
// show, or left the provider untold where a sign-out never reached it.

// dropSession removes the session cookie (every chunk) from the browser, as another tab
// or an expired cookie leaves it: the browser holds no session.
func dropSession(s *signoutEnv) {
	for k := range s.jar {
		if strings.HasPrefix(k, s.e.cfg.Cookie.Name) && k != s.e.cfg.unconfirmedCookie {
			delete(s.jar, k)
		}
	}
}

// A confirmation of the prompt from a browser that holds no session, when the store
// cannot answer the token's claim: nothing of this browser could be signed out, so the
// page must not say "You are still signed in" (it said so, 503).
func TestAConfirmationWithoutASessionNeverSaysStillSignedIn(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	logoutID, csrf := promptFields(t, s.request("GET", "https://exeunt.test/connect/endsession").Response)
	dropSession(s)
	s.e.ports.claims = lostAnswerClaims{s.e.ports.claims}
	body := []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode())
	d := s.send("POST", "https://exeunt.test/connect/endsession", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	if d.Response == nil {
		t.Fatalf("want a page, got %+v", d)
	}
	if page := string(d.Response.Body); strings.Contains(page, "still signed in") {
		t.Fatalf("a browser without a session was told it is still signed in (%d):\n%s", d.Response.Status, page)
	}
}

// A sign-out the store did not confirm, applied late; then the browser visits an app
// first, which clears the ended session's cookie. The app's own sign-out (its assertion
// as id_token_hint) must still send the browser to the provider: no sign-out of that
// session ever reached it, and the provider would sign the user straight back in. The
// unconfirmed mark this browser holds for that session is what says so; the mark goes
// once that is done. (Before: "You are signed out", and the provider untold.)
func TestAnUnconfirmedSignOutWhoseCookieWasLostStillReachesTheProvider(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	mark := s.e.cfg.unconfirmedCookie
	working := s.e.ports.revocations
	s.e.ports.revocations = lostAnswerRevocations{working}
	if r := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})).Response; r == nil || r.Status != 503 {
		t.Fatalf("the unconfirmed sign-out: %+v", r)
	}
	s.e.ports.revocations = working
	if !s.e.isUnconfirmedMark(s.jar[mark], sid, s.now) {
		t.Fatal("no unconfirmed mark")
	}
	if s.signedInStill() { // the app request finds the session revoked and clears its cookie
		t.Fatal("the late-applied sign-out did not end the session")
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the app request kept the ended session's cookie")
	}
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-3"}}))
	if d.Response == nil {
		t.Fatalf("want a response, got %+v", d)
	}
	if d.Response.Status != 302 {
		t.Fatalf("the app's sign-out after the cookie was lost: want the provider, got %d\n%s", d.Response.Status, d.Response.Body)
	}
	to, err := url.Parse(headerValue(d.Response.Headers, "location"))
	if err != nil || to.Host != "idp.test" || to.Query().Get("id_token_hint") != "" {
		t.Fatalf("want the provider's end session endpoint with client_id only, got %v", to)
	}
	if _, ok := s.jar[mark]; ok {
		t.Fatal("the mark outlived the sign-out it stood for")
	}
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	if page.Response == nil || page.Response.Status != 200 || !strings.Contains(string(page.Response.Body), "https://exeunt.test/app1/signed-out?state=st-3") {
		t.Fatalf("back from the provider: %+v", page.Response)
	}
	// Without the mark, a hint of a session signed out here goes nowhere new
	// (TestEndSessionByPOSTAndWhenAlreadySignedOut): that sign-out went to the provider.
	if d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("again, without the mark: want the logged-out page, got %+v", d.Response)
	}
}
