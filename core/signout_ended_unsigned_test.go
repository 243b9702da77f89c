package core

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// A session can end here without a sign-out: its cookie passes the idle timeout or the
// absolute lifetime (or the browser lost it). Its provider was never asked to end its own
// session, which lives on (a provider's is often days long): the next visit to an app
// signs the user straight back in there. So when the app then signs the user out with
// its assertion as id_token_hint, "You are signed out" alone would claim what did not
// happen; the browser goes to sign out at the provider, as after a live session's
// sign-out (client_id only: the provider's ID token was in the expired cookie), and
// comes back to the logged-out page with the way back to the app.
func TestEndSessionAfterTheSessionExpiredSignsOutAtTheProvider(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	s.now = s.now.Add(2 * time.Hour) // past the idle timeout (1h): the cookie no longer opens
	if s.signedInStill() {
		t.Fatal("the session outlived its idle timeout")
	}
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-7"}}))
	to, err := url.Parse(location(t, d))
	if err != nil || to.Host != "idp.test" || to.Path != "/logout" {
		t.Fatalf("an expired session's sign-out must go to the provider's end session endpoint: %+v", d.Response)
	}
	q := to.Query()
	if q.Get("client_id") != "exeunt" || q.Get("id_token_hint") != "" || q.Get("state") == "" ||
		q.Get("post_logout_redirect_uri") != "https://exeunt.test/signout-callback-oidc" {
		t.Fatalf("provider logout request = %v", q)
	}
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(q.Get("state")))
	if page.Response == nil || page.Response.Status != 200 ||
		!strings.Contains(string(page.Response.Body), "https://exeunt.test/app1/signed-out?state=st-7") {
		t.Fatalf("back from the provider: %+v", page.Response)
	}
	if got := s.metrics.get("exeunt.logout.rp_initiated"); got != 0 {
		t.Fatalf("exeunt.logout.rp_initiated = %d: no edge session ended here", got)
	}

	// A session that was signed out here went to the provider then: signing out again
	// with its hint shows the logged-out page (TestEndSessionByPOSTAndWhenAlreadySignedOut).
	// Without a hint nothing names a provider session: the page, as before.
	d = s.request("GET", endSessionURL(url.Values{"client_id": {"app1"}}))
	if d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("no hint, no session: %+v", d)
	}
}
