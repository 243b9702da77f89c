package core

import (
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// A user signed in from more browsers than session.max_per_user allows: each sign-in
// past the limit signs out the user's oldest session, as a sign-out does (refused from
// then on, its apps sent logout tokens), and keeps the others. Run over the local store,
// the asynchronous test backend and etcd (flowTests).
func TestSignInPastTheLimitSignsOutTheOldest(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 2} })
	var logs []string
	s.e.log = func(msg string) { logs = append(logs, msg) }
	// Each browser signs in a minute after the one before (Created orders them), visits
	// app1 and app2, and keeps its sid.
	base := s.now
	s.tick() // as a VM's first tick: the local store's start is known (store_local_since.go)
	browsers := []*browser{s.browser}
	var sids, cookies []string
	signIn := func(b *browser, at int) {
		t.Helper()
		b.now = base.Add(time.Duration(at) * time.Minute)
		b.signIn("https://exeunt.test/app1/")
		d := b.request("GET", "https://exeunt.test/app1/")
		if !d.Continues() {
			t.Fatalf("browser %d: the first visit after sign-in: %+v", at, d.Response)
		}
		b.request("GET", "https://exeunt.test/app2/")
		sids = append(sids, headerValue(d.SetHeaders, "x-exeunt-sid"))
		cookies = append(cookies, b.jar[s.e.cfg.Cookie.Name])
	}
	in := func(b *browser) bool {
		return b.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues()
	}
	signIn(s.browser, 1)
	for i := 2; i <= 3; i++ {
		b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}}
		browsers = append(browsers, b)
		signIn(b, i)
		if i == 2 && (!in(browsers[0]) || !in(browsers[1])) {
			t.Fatal("two sessions, limit 2: both must live")
		}
	}
	for i, b := range browsers {
		b.now = browsers[2].now
		if live := in(b); live != (i > 0) {
			t.Errorf("after the third sign-in, browser %d (sid %s) signed in: %v; want only the oldest (the first) signed out", i+1, sids[i], live)
		}
	}
	if n := s.metrics.get(counterLogoutSessionLimit); n != 1 {
		t.Errorf("%s = %d, want 1", counterLogoutSessionLimit, n)
	}
	// Its apps are told, as for any sign-out, and only of the oldest session.
	s.now = browsers[2].now
	s.tick()
	for _, app := range []string{"app1", "app2"} {
		if got := logoutTokenSIDs(t, s.apps.tokens[app]); strings.Join(got, ",") != sids[0] {
			t.Errorf("%s got logout tokens for sids %v, want one for the oldest session %s", app, got, sids[0])
		}
	}
	all := strings.Join(logs, "\n")
	for _, want := range []string{
		"sign-in sid=" + sids[2] + " idp=oidc: its user has 2 live sessions and session.max_per_user is 2; signing out the oldest 1 (sid=" + sids[0] + ")",
		"signed out sid=" + sids[0] + " idp=oidc trigger=session_limit",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no log line %q in:\n%s", want, all)
		}
	}
	for _, v := range cookies {
		if v == "" || strings.Contains(all, v) {
			t.Errorf("a session cookie is missing or in the log")
		}
	}

	// A fourth sign-in ends the second, the oldest left.
	fourth := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}}
	signIn(fourth, 4)
	for i, b := range append(browsers, fourth) {
		b.now = fourth.now
		if live := in(b); live != (i > 1) {
			t.Errorf("after the fourth sign-in, browser %d signed in: %v", i+1, live)
		}
	}
	if n := s.metrics.get(counterLogoutSessionLimit); n != 2 {
		t.Errorf("%s = %d, want 2", counterLogoutSessionLimit, n)
	}
}

// logoutTokenSIDs are the sid claims of logout tokens (read, not verified: the
// back-channel tests verify them).
func logoutTokenSIDs(t *testing.T, tokens []string) []string {
	t.Helper()
	var out []string
	for _, raw := range tokens {
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			SID string `json:"sid"`
		}
		if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c.SID)
	}
	return out
}

// A limit past which the user's oldest sessions cannot be ended refuses the sign-in and
// makes no session: the limit is what bounds the user's sessions in the store.
func TestSignInRefusedWhenTheOldestCannotBeEnded(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 1} })
	if deferStorePorts || etcdFlows.url != "" {
		t.Skip("the local store's failure is made here")
	}
	_, sid := s.signedIn()
	second := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now.Add(time.Minute)}
	// The revocations' buckets refuse every write: the oldest session cannot be ended.
	s.e.ports.revocations = &localRevocations{store: failingWrites{s.e.store}, timeout: time.Second}
	back := s.idp.authorize(t, location(t, second.request("GET", "https://exeunt.test/app1/")))
	d := second.request("GET", back)
	if d.Response == nil || d.Response.Status != 503 || second.jar[s.e.cfg.Cookie.Name] != "" {
		t.Fatalf("a sign-in whose oldest session cannot be ended: want the 503 page and no session, got %+v", d.Response)
	}
	s.now = second.now
	if !s.signedInStill() {
		t.Fatalf("the first session (sid %s) ended although its end failed", sid)
	}
}

// failingWrites is a Store whose writes all fail.
type failingWrites struct{ Store }

func (failingWrites) Set(string, []byte, uint32) error {
	return errors.New("shared data refuses the write")
}

// After the limit is lowered, a user over it by more than one is brought under it by the
// next sign-in (at most maxLimitEndsPerSignIn at a time), oldest first.
func TestSignInAfterTheLimitWasLoweredEndsAllTheExtraSessions(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 5} })
	base := s.now
	s.tick() // as a VM's first tick: the local store's start is known
	var browsers []*browser
	for i := 1; i <= 4; i++ {
		b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: base.Add(time.Duration(i) * time.Minute)}
		b.signIn("https://exeunt.test/app1/")
		browsers = append(browsers, b)
	}
	s.e.cfg.Session.MaxPerUser = 2 // as a new configuration would
	last := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: base.Add(5 * time.Minute)}
	last.signIn("https://exeunt.test/app1/")
	for i, b := range append(browsers, last) {
		b.now = last.now
		live := b.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues()
		if live != (i >= 3) {
			t.Errorf("browser %d signed in: %v; want only the newest two", i+1, live)
		}
	}
	if n := s.metrics.get(counterLogoutSessionLimit); n != 3 {
		t.Errorf("%s = %d, want 3", counterLogoutSessionLimit, n)
	}
}
