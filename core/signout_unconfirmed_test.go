package core

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A store write whose answer is lost (an etcd call that timed out, and that etcd applied
// all the same): the pages say only what is known, and the user's retry completes what the
// browser must do. lostAnswer* make the write (on the real local store) and then report
// errOutcomeUnknown, as the etcd backend does for a write it sent and got no answer to.

type lostAnswerRevocations struct{ revocations }

func (l lostAnswerRevocations) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	return l.revocations.end(sid, seen, until, job, now, func(ended, error) Decision {
		return then(ended{}, fmt.Errorf("test: %w", errOutcomeUnknown))
	})
}

type lostAnswerClaims struct{ claims }

func (l lostAnswerClaims) claimAs(kind claimKind, id, owner string, until, now time.Time, then func(bool, error) Decision) Decision {
	return l.claims.claimAs(kind, id, owner, until, now, func(bool, error) Decision {
		return then(false, fmt.Errorf("test: %w", errOutcomeUnknown))
	})
}

// sessionCookieSet reports whether d sets or deletes the session cookie.
func sessionCookieSet(s *signoutEnv, r *Response) bool {
	for _, h := range r.Headers {
		if h.Name == "set-cookie" && strings.HasPrefix(h.Value, s.e.cfg.Cookie.Name+"=") {
			return true
		}
	}
	return false
}

func TestASignOutTheStoreDidNotConfirmIsTruthfulAndARetryCompletesIt(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	params := url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-9"}}

	working := s.e.ports.revocations
	s.e.ports.revocations = lostAnswerRevocations{working}
	d := s.request("GET", endSessionURL(params))
	s.e.ports.revocations = working
	if d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("a sign-out the store did not confirm: want a 503 page, got %+v", d.Response)
	}
	body := string(d.Response.Body)
	if strings.Contains(body, "still signed in") || !strings.Contains(body, "could not be confirmed") {
		t.Fatalf("the page must say the sign-out was not confirmed, and nothing it does not know:\n%s", body)
	}
	if sessionCookieSet(s, d.Response) {
		t.Fatal("the unconfirmed sign-out changed the session cookie (the retry needs it)")
	}
	if s.metrics.get(counterLogoutUnconfirmed) != 1 || s.metrics.get(counterLogoutRPInitiated) != 0 {
		t.Fatalf("counted %d unconfirmed, %d rp_initiated; want 1, 0", s.metrics.get(counterLogoutUnconfirmed), s.metrics.get(counterLogoutRPInitiated))
	}

	// The store did apply it: the session is refused (checked without the browser, whose
	// cookie an app request would clear), and its notices went with it.
	if _, _, err := s.e.openSession(parseCookies([]Header{{Name: "cookie", Value: s.cookieHeader()}}), s.now); err != errRevoked {
		t.Fatalf("the applied sign-out left the session usable: %v", err)
	}
	s.tick()
	for _, app := range []string{"app1", "app2"} {
		if n := len(s.apps.tokens[app]); n != 1 {
			t.Fatalf("%s received %d logout tokens, want 1", app, n)
		}
		checkLogoutToken(t, s.browser, s.apps.tokens[app][0], app, sid)
	}

	// The retry: the browser's part, which nobody else can do.
	to := location(t, s.request("GET", endSessionURL(params)))
	if !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the retry: want the provider's end session endpoint, got %s", to)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the retry left the session cookie")
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name+"-unconfirmed"]; ok {
		t.Fatal("the retry left the unconfirmed mark")
	}
	if q := mustQuery(t, to); q.Has("id_token_hint") || q.Get("client_id") != "exeunt" {
		t.Fatalf("the retry asks the provider with %v: want client_id, no id_token_hint (an ended session's cookie reveals no token)", q)
	}
	state := mustQuery(t, to).Get("state")
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(state))
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("the signed-out page: %+v", page.Response)
	}
	for _, want := range []string{
		`https://exeunt.test/app1/signed-out?state=st-9`,
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + sid,
		`https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&amp;sid=` + sid,
	} {
		if !strings.Contains(string(page.Response.Body), want) {
			t.Errorf("the signed-out page lacks %s", want)
		}
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 || len(s.apps.tokens["app2"]) != 1 {
		t.Fatalf("the retry queued the notices again: app1 %d, app2 %d tokens", len(s.apps.tokens["app1"]), len(s.apps.tokens["app2"]))
	}
}

// The retry of an ended session's sign-out needs the same proof as a sign-out: without a
// hint naming the session, the user confirms first (a link from another site must not send
// the browser to the provider's end session endpoint), and the confirmation completes it.
func TestARetryWithoutProofAsksFirst(t *testing.T) {
	s := newSignoutEnv(t, nil)
	_, sid := s.signedIn()
	if err := revokeNow(t, s.e, sid, s.now.Add(time.Hour).Unix(), s.now); err != nil {
		t.Fatal(err)
	}
	d := s.request("GET", "https://exeunt.test/connect/endsession")
	if d.Response == nil || d.Response.Status != 200 || sessionCookieSet(s, d.Response) {
		t.Fatalf("no proof: want the prompt, the cookie kept; got %+v", d.Response)
	}
	logoutID, csrf := promptFields(t, d.Response)
	d = s.send("POST", "https://exeunt.test/connect/endsession", []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
		Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the confirmation: want the provider, got %s", to)
	}
}

// The confirmation of the prompt, repeated after a lost answer: of its claim (the user is
// still signed in, and says so), or of the sign-out itself (not confirmed); either way the
// same form, posted again, completes the sign-out.
func TestARepeatedConfirmationAfterALostAnswerCompletes(t *testing.T) {
	for _, lost := range []string{"claim", "sign-out"} {
		t.Run(lost, func(t *testing.T) {
			s := newSignoutEnv(t, nil)
			s.signedIn()
			logoutID, csrf := promptFields(t, s.request("GET", "https://exeunt.test/connect/endsession").Response)
			post := func() Decision {
				body := []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode())
				return s.send("POST", "https://exeunt.test/connect/endsession", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
			}
			claims, revs := s.e.ports.claims, s.e.ports.revocations
			want := "could not be confirmed"
			if lost == "claim" {
				s.e.ports.claims = lostAnswerClaims{claims}
				want = "You are still signed in" // the claim comes first: nothing ended
			} else {
				s.e.ports.revocations = lostAnswerRevocations{revs}
			}
			d := post()
			s.e.ports.claims, s.e.ports.revocations = claims, revs
			if d.Response == nil || d.Response.Status != 503 || !strings.Contains(string(d.Response.Body), want) {
				t.Fatalf("first confirmation: want a 503 saying %q, got %+v", want, d.Response)
			}
			if lost == "claim" && !s.signedInStill() {
				t.Fatal("the page says still signed in, but the session ended")
			}
			if to := location(t, post()); !strings.HasPrefix(to, "https://idp.test/logout?") || s.signedInStill() {
				t.Fatalf("the same confirmation again: want signed out and sent to the provider, got %s", to)
			}
		})
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// pendingRevocations leave the write pending (not applied yet) and report it unknown;
// refusingRevocations report a known refusal (etcd refused, or could not be reached).
type pendingRevocations struct{ revocations }

func (pendingRevocations) end(_ string, _ int64, _ time.Time, _ deliveryJob, _ time.Time, then func(ended, error) Decision) Decision {
	return then(ended{}, fmt.Errorf("test: %w", errOutcomeUnknown))
}

type refusingRevocations struct{ revocations }

func (refusingRevocations) end(_ string, _ int64, _ time.Time, _ deliveryJob, _ time.Time, then func(ended, error) Decision) Decision {
	return then(ended{}, fmt.Errorf("test: etcd refused"))
}

// After a sign-out the store did not confirm, this browser's next attempt for the same
// session that fails outright does not say "still signed in" (the first may still be
// applied): the unconfirmed mark says so. Another session's mark does not count, and the
// sign-out that completes deletes the mark.
func TestAnUnconfirmedSignOutIsRememberedUntilOneCompletes(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	mark := s.e.cfg.Cookie.Name + "-unconfirmed"
	signOut := func(r revocations) *Response {
		working := s.e.ports.revocations
		s.e.ports.revocations = r
		defer func() { s.e.ports.revocations = working }()
		return s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})).Response
	}
	if r := signOut(pendingRevocations{s.e.ports.revocations}); r.Status != 503 || !s.e.isUnconfirmedMark(s.jar[mark], sid, s.now) {
		t.Fatalf("the unconfirmed sign-out: %d, mark %q", r.Status, s.jar[mark])
	}
	r := signOut(refusingRevocations{s.e.ports.revocations})
	if body := string(r.Body); r.Status != 503 || strings.Contains(body, "still signed in") || !strings.Contains(body, "could not be confirmed") {
		t.Fatalf("refused after an unconfirmed attempt: want 'not confirmed', got %d\n%s", r.Status, body)
	}
	kept := s.jar[mark]
	s.jar[mark] = s.sealedMark("another-session")
	if r := signOut(refusingRevocations{s.e.ports.revocations}); !strings.Contains(string(r.Body), "You are still signed in") {
		t.Fatalf("another session's mark counted:\n%s", r.Body)
	}
	s.jar[mark] = kept
	if to := location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the sign-out once the store answers: %s", to)
	}
	if _, ok := s.jar[mark]; ok {
		t.Fatal("the completed sign-out left the unconfirmed mark")
	}
}

// staleRevocations cannot say whether a session was revoked (a fleet copy past
// stale_after).
type staleRevocations struct{ revocations }

func (staleRevocations) isRevoked(string, time.Time) (bool, error) { return false, errRevocationsStale }

// With the copy of the revocations stale, a sign-out is refused without claiming the user
// is still signed in: a sign-out made elsewhere may be what the copy lacks.
func TestASignOutWithAStaleCopyClaimsNothing(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	s.e.ports.revocations = staleRevocations{s.e.ports.revocations}
	r := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})).Response
	if body := string(r.Body); r.Status != 503 || strings.Contains(body, "still signed in") || !strings.Contains(body, "cannot be checked") || sessionCookieSet(s, r) {
		t.Fatalf("a sign-out with a stale copy: want a 503 saying the session cannot be checked, the cookie kept; got %d\n%s", r.Status, body)
	}
}

// sealedMark is an unconfirmed mark for sid as Exeunt would set it.
func (s *signoutEnv) sealedMark(sid string) string {
	s.t.Helper()
	m, err := s.e.sealUnconfirmed(sid, s.now.Add(time.Hour), s.now)
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}
