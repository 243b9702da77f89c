package core

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// unansweredClaims are single-use claims whose store does not answer (etcd down, say).
type unansweredClaims struct{ claims }

var errClaimsDown = errors.New("test: the store does not answer")

func (unansweredClaims) claim(_ claimKind, _ string, _, _ time.Time, then func(bool, error) Decision) Decision {
	return then(false, errClaimsDown)
}

func (unansweredClaims) claimAs(_ claimKind, _, _ string, _, _ time.Time, then func(bool, error) Decision) Decision {
	return then(false, errClaimsDown)
}

// A claim the store cannot answer is not a replay: the page says to try again (503), never
// "already used", nothing happens, and once the store answers again the same attempt
// completes (the sign-in's flow cookie and the prompt's token were kept unspent).
func TestAnUnansweredClaimIsNotCalledAReplay(t *testing.T) {
	t.Run("sign-in callback", func(t *testing.T) {
		b := newBrowser(t)
		back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
		working := b.e.ports.claims
		b.e.ports.claims = unansweredClaims{working}
		d := b.request("GET", back)
		if d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "retry-after") == "" {
			t.Fatalf("callback with the store down: want 503 with Retry-After, got %+v", d.Response)
		}
		body := string(d.Response.Body)
		if strings.Contains(body, "already used") || !strings.Contains(body, "session store is not reachable") {
			t.Fatalf("the page must say the store is unreachable, not that the response was used:\n%s", body)
		}
		if b.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
			t.Fatal("a session was made without the state being claimed")
		}
		b.e.ports.claims = working
		if to := location(t, b.request("GET", back)); to != "https://exeunt.test/app1/" {
			t.Fatalf("reloading the callback once the store answers: want the app, got %s", to)
		}
	})
	t.Run("sign-out confirmation", func(t *testing.T) {
		s := newSignoutEnv(t, nil)
		s.signedIn()
		logoutID, csrf := promptFields(t, s.request("GET", "https://exeunt.test/connect/endsession").Response)
		post := func() Decision {
			body := []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode())
			return s.send("POST", "https://exeunt.test/connect/endsession", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
		}
		working := s.e.ports.claims
		s.e.ports.claims = unansweredClaims{working}
		d := post()
		if d.Response == nil || d.Response.Status != 503 || !s.signedInStill() {
			t.Fatalf("confirmation with the store down: want 503 and still signed in, got %+v", d.Response)
		}
		if body := string(d.Response.Body); strings.Contains(body, "expired") || !strings.Contains(body, "You are still signed in") {
			t.Fatalf("the page must say the user is still signed in:\n%s", body)
		}
		s.e.ports.claims = working
		if to := location(t, post()); !strings.HasPrefix(to, "https://idp.test/logout?") || s.signedInStill() {
			t.Fatalf("the same confirmation once the store answers: want signed out, got %s", to)
		}
	})
}
