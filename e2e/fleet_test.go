package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// A fleet of two replicas on one etcd (fleet_harness_test.go): each promise of issue 14,
// through build/exeunt.wasm in hostsim serve processes, the real provider and a real etcd.
// One fleet serves every scenario (each with its own user); the scenarios that take a
// replica or etcd away put it back before the next one.

// signOutBound bounds how long a sign-out may take to reach the other replicas where no
// page reported it to the user as done yet (made during etcd's outage and applied late,
// or checked before its page came back). A reported sign-out has no bound: it is refused
// everywhere at once (refusedAtOnce).
const signOutBound = time.Second

func TestFleet(t *testing.T) {
	f := startFleet(t, fleetOptions{etcd: map[string]any{"stale_after": "4s"}})
	A, B := f.replicas[0], f.replicas[1]

	t.Run("SignOutAtAIsRefusedAtBAtOnce", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(A, "fleet-u1")
		if st := b.statusWith(B, b.cookie()); st != http.StatusOK {
			t.Fatalf("B refused a session signed in at A: %d", st)
		}
		cookie := b.cookie()
		b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"}})
		ended := time.Now()
		// A refuses at once on every VM (Envoy worker): the revocation etcd acknowledged is
		// in A's shared data too.
		for i := 0; i < 4; i++ {
			if b.acceptedWith(A, cookie) {
				t.Fatal("A still accepts the session it ended")
			}
		}
		f.refusedAtOnce(t, B, b, cookie, ended)
	})

	t.Run("ProviderBackChannelAtAEndsASessionOfBEverywhere", func(t *testing.T) {
		b := f.browser(t)
		sid := b.signIn(B, "fleet-u2")
		b.app(B, "app2")
		cookie := b.cookie()
		// The provider's logout token reaches replica A (its back-channel logout URI), which
		// never saw this session. The moment A has answered it 200, before the provider
		// hears so, B must refuse the session already (every VM).
		var atB []int
		A.onAnswer(func(resp *http.Response) {
			if resp.Request.URL.Path == "/backchannel-oidc" && resp.StatusCode == http.StatusOK {
				for i := 0; i < 4; i++ {
					atB = append(atB, rawStatusWith(B, cookie))
				}
			}
		})
		_, err := f.peer.LogoutAtProvider(b.idpJar)
		A.onAnswer(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(atB) == 0 {
			t.Fatal("A never answered the provider's back-channel logout with 200")
		}
		for i, st := range atB {
			if st != http.StatusFound { // refused: sent to sign in
				t.Fatalf("B answered %d (request %d of %v), want 302, when A had just answered the back-channel logout 200", st, i+1, atB)
			}
		}
		ended := time.Now()
		for i := 0; i < 4; i++ { // every VM of A
			if b.acceptedWith(A, cookie) {
				t.Fatalf("A still accepts the session after the provider's back-channel logout reached it\nA's log:\n%s", lastLines(A.log.String(), 40))
			}
		}
		f.refusedAtOnce(t, B, b, cookie, ended)
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 15*time.Second), "app1", sid, "fleet-u2")
	})

	t.Run("ProviderFrontChannelAtTheWrongReplicaEndsTheSessionEverywhere", func(t *testing.T) {
		b := f.browser(t)
		sid := b.signIn(B, "fleet-u3")
		cookie := b.cookie()
		// The provider's front-channel iframe, loaded cross-site (no cookie), lands on A.
		frame := f.browser(t).get(A, "/signout-oidc?"+url.Values{"iss": {f.peer.Issuer}, "sid": {b.providerSID()}}.Encode())
		if frame.status != http.StatusOK {
			t.Fatalf("front-channel logout at A: %d %s", frame.status, frame.body)
		}
		// A knows the session's clients only from etcd's record, which must name app1 from
		// the moment app1 was reached (a visit written in the background lost this race
		// under load: no iframe, and no logout token, for app1).
		if want := f.issuer + "/public/app1/frontchannel-logout?iss=" + url.QueryEscape(f.issuer) + "&sid=" + sid; !hasLink([]byte(frame.body), want) {
			t.Errorf("A's front-channel page lacks app1's front-channel logout %s; it links %q", want, links([]byte(frame.body)))
		}
		ended := time.Now()
		for i := 0; i < 4; i++ { // every VM of A
			if b.acceptedWith(A, cookie) {
				t.Fatal("A still accepts the session after the front-channel logout it answered")
			}
		}
		f.refusedAtOnce(t, B, b, cookie, ended)
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 15*time.Second), "app1", sid, "fleet-u3")
	})

	t.Run("ALogoutContextInTheStoreCompletesOnTheOtherReplica", func(t *testing.T) {
		b := f.browser(t)
		sid := b.signIn(A, "fleet-u4")
		b.app(A, "app2")
		toProvider := b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"},
			"post_logout_redirect_uri": {f.issuer + "/public/app1/signed-out"}, "state": {"fleet-state-4"}})
		back, err := f.peer.ConfirmLogout(b.idpJar, toProvider)
		if err != nil {
			t.Fatal(err)
		}
		if back.Path != "/signout-callback-oidc" {
			t.Fatalf("the provider sent the browser to %s", back)
		}
		// The provider's redirect back lands on B, which reads the context from etcd.
		page := b.get(B, back.String())
		if page.status != http.StatusOK {
			t.Fatalf("the signed-out page at B: %d %s", page.status, page.body)
		}
		iss := url.QueryEscape(f.issuer)
		for _, want := range []string{
			f.issuer + "/public/app1/signed-out?state=fleet-state-4",
			f.issuer + "/public/app1/frontchannel-logout?iss=" + iss + "&sid=" + sid,
			f.issuer + "/public/app2/frontchannel-logout?iss=" + iss + "&sid=" + sid,
		} {
			if !hasLink([]byte(page.body), want) {
				t.Errorf("B's signed-out page lacks %s; it links %q", want, links([]byte(page.body)))
			}
		}
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 15*time.Second), "app1", sid, "fleet-u4")
	})

	t.Run("AReplicaKilledWithDeliveriesPendingIsTakenOver", func(t *testing.T) {
		f.app1.setFailing(true)
		defer f.app1.setFailing(false)
		defer func() {
			if !A.running() {
				A.restart(t) // for the scenarios after this one
			}
		}()
		b := f.browser(t)
		sid := b.signIn(A, "fleet-u5")
		before := f.app1.refusals()
		b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"}})
		waitFor(t, 10*time.Second, "A's first delivery attempt", func() bool { return f.app1.refusals() > before })
		A.kill()
		f.app1.setFailing(false)
		// B takes the job over once its retry is due (A no longer holds it).
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 20*time.Second), "app1", sid, "fleet-u5")
	})

	t.Run("ARestartKeepsRevocations", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(A, "fleet-u6")
		cookie := b.cookie()
		b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"}})
		if b.acceptedWith(A, cookie) || b.acceptedWith(A, cookie) {
			t.Fatal("A still accepts the session it ended")
		}
		A.kill()
		A.restart(t)
		// The first request after the restart: before or at the replica's first tick (503
		// while it has not read the revocations yet, or refused as signed out).
		if st := b.statusWith(A, cookie); st == http.StatusOK {
			t.Fatal("the restarted A accepts a session ended before the restart (first request)")
		} else {
			t.Logf("the restarted A's first answer to the old cookie: %d", st)
		}
		time.Sleep(600 * time.Millisecond) // more than two follow periods
		if st := b.statusWith(A, cookie); st != http.StatusFound {
			t.Fatalf("the restarted A after its ticks answers the old cookie %d, want 302 (sent to sign in)", st)
		}
		if b.acceptedWith(B, cookie) {
			t.Fatal("B accepts a session ended at A")
		}
	})

	t.Run("AKilledReplicaHoldsSignOutsOnlyForTheLivenessWindow", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(A, "fleet-u8")
		cookie := b.cookie()
		hint := b.assertion(A)
		B.kill() // a crash: its member record stays in etcd until its lease ends
		defer func() {
			if !B.running() {
				B.restart(t)
			}
		}()
		start := time.Now()
		b.endSession(A, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		took := time.Since(start)
		// The barrier passes over a member whose record has not changed for the liveness
		// window (3 s) and gives up at 4 s (core/store_etcd_barrier.go): a correctness
		// bound, with a second for the sign-out's own work on a loaded machine.
		t.Logf("the sign-out at A with B dead took %s", took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Fatalf("the sign-out at A waited %s for a dead replica", took.Round(time.Millisecond))
		}
		if !strings.Contains(A.log.String(), "sign-outs no longer wait for replica") {
			t.Errorf("A did not log passing over the dead replica:\n%s", lastLines(A.log.String(), 20))
		}
		// B, restarted, refuses the session ended while it was dead from its first request.
		B.restart(t)
		if st := b.statusWith(B, cookie); st == http.StatusOK {
			t.Fatal("the restarted B accepts a session ended while it was dead")
		}
		waitFor(t, 5*time.Second, "the restarted B loading the revocations", func() bool { return b.statusWith(B, cookie) == http.StatusFound })
	})

	t.Run("EtcdStoppedAndStarted", func(t *testing.T) {
		fleetEtcdOutage(t, f)
	})
}

// fleetEtcdOutage plays an etcd outage in the middle of use. The documented behaviour
// (docs/fleet.md): while etcd is down a sign-out is refused with a clear error and the
// session is not reported as ended; signed-in requests are served from each replica's copy
// of the revocations until stale_after (4 s here), then refused with 503; once etcd is back
// everything catches up and nothing acknowledged before is lost (a revocation, a delivery
// still being retried).
func fleetEtcdOutage(t *testing.T, f *fleet) {
	A, B := f.replicas[0], f.replicas[1]
	// Signed out before the outage, its logout token not yet delivered (app1 fails until
	// etcd is back): the session must stay signed out, and the token must arrive after.
	f.app1.setFailing(true)
	defer f.app1.setFailing(false)
	ended := f.browser(t)
	endedSID := ended.signIn(A, "fleet-u7a")
	endedCookie := ended.cookie()
	refusals := f.app1.refusals()
	ended.endSession(A, url.Values{"id_token_hint": {ended.assertion(A)}, "client_id": {"app1"}})
	f.refusedAtOnce(t, B, ended, endedCookie, time.Now())
	waitFor(t, 10*time.Second, "a first delivery attempt before the outage", func() bool { return f.app1.refusals() > refusals })

	b := f.browser(t)
	b.signIn(A, "fleet-u7b")
	hint := b.assertion(A)
	cookie := b.cookie()

	f.etcd.Stop()
	down := time.Now()
	// Served from the copy, which is fresh.
	if !b.acceptedWith(B, cookie) || !b.acceptedWith(A, cookie) {
		t.Fatal("a signed-in request was refused at once when etcd went down (want: served from the copy until stale_after)")
	}
	if ended.acceptedWith(A, endedCookie) || ended.acceptedWith(B, endedCookie) {
		t.Fatal("a session ended before the outage is accepted during it")
	}
	// A sign-out cannot be made durable: refused with a clear error, the session not ended.
	res := b.send(B, http.MethodGet, "/connect/endsession?"+url.Values{"id_token_hint": {hint}, "client_id": {"app1"}}.Encode(), nil)
	if res.status != http.StatusServiceUnavailable || res.header.Get("location") != "" {
		t.Fatalf("a sign-out with etcd down: %d (location %q), want a 503 error page\n%s", res.status, res.header.Get("location"), res.body)
	}
	if !strings.Contains(res.body, "You are still signed in") {
		t.Errorf("the error page does not say the user is still signed in: %s", res.body)
	}
	if b.jar["__Host-exeunt"] != cookie {
		t.Error("the failed sign-out changed the session cookie")
	}
	// A sign-in cannot complete (its single-use state and session record go to etcd): an
	// error, and no session. (Today the page says the response "was already used", a 400:
	// core maps the store's error to a replay; reported to the lead, issue 14.)
	c := f.browser(t)
	if first := c.get(A, "/app1/"); first.status != http.StatusFound {
		t.Errorf("an app without a session with etcd down: %d, want the redirect to sign in", first.status)
	} else if back, err := f.peer.Login(c.idpJar, first.header.Get("location"), "fleet-u7c"); err != nil {
		t.Error(err)
	} else if cb := c.get(A, back.String()); cb.status < 400 || c.jar["__Host-exeunt"] != "" {
		t.Errorf("the sign-in callback with etcd down: %d (session cookie set: %v), want an error and no session", cb.status, c.jar["__Host-exeunt"] != "")
	} else {
		t.Logf("the sign-in callback with etcd down: %d %s", cb.status, firstLine(cb.body))
	}
	// Past stale_after: refused with 503 (fail closed).
	waitFor(t, 10*time.Second, "signed-in requests refused with 503 past stale_after", func() bool {
		return b.statusWith(B, cookie) == http.StatusServiceUnavailable && b.statusWith(A, cookie) == http.StatusServiceUnavailable
	})
	if since := time.Since(down); since < 3*time.Second {
		t.Fatalf("refused %s after etcd went down, before stale_after (4s) minus a follow period", since)
	}

	f.etcd.Restart()
	// On every VM of each (4 requests in a row): each VM is fresh again only from its own
	// next tick, which adopts the follow another VM made (store_etcd_share.go); a sign-out
	// landing on a VM still stale is refused (503, fail closed), as under load it once was.
	waitFor(t, 10*time.Second, "signed-in requests served again on every VM once etcd is back", func() bool {
		for i := 0; i < 4; i++ {
			if !b.acceptedWith(A, cookie) || !b.acceptedWith(B, cookie) {
				return false
			}
		}
		return true
	})
	if ended.acceptedWith(A, endedCookie) || ended.acceptedWith(B, endedCookie) {
		t.Fatal("a session ended before the outage is accepted after it: a revocation was lost")
	}
	// The delivery queued before the outage is still there: app1 gets its token.
	f.app1.setFailing(false)
	f.checkFleetLogoutToken(t, f.app1.waitToken(t, endedSID, 30*time.Second), "app1", endedSID, "fleet-u7a")
	// And signing out works again, everywhere.
	b.endSession(B, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
	f.refusedAtOnce(t, A, b, cookie, time.Now())
}

// cookie is the browser's session cookie.
func (b *fleetBrowser) cookie() string {
	b.t.Helper()
	c := b.jar["__Host-exeunt"]
	if c == "" {
		b.t.Fatal("no session cookie")
	}
	return c
}

// statusWith requests /app1/ at r with only the session cookie given, leaving the jar alone;
// 200 means app1 answered.
func (b *fleetBrowser) statusWith(r *replica, cookie string) int {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.pinned+"/app1/", nil)
	req.Header.Set("accept", "text/html")
	req.Header.Set("cookie", "__Host-exeunt="+cookie)
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("replica %s: %v", r.name, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (b *fleetBrowser) acceptedWith(r *replica, cookie string) bool {
	b.t.Helper()
	return b.statusWith(r, cookie) == http.StatusOK
}

// endSession sends the browser to Exeunt's end session endpoint at r and returns where it
// was sent: the provider's end session endpoint.
func (b *fleetBrowser) endSession(r *replica, q url.Values) string {
	b.t.Helper()
	res := b.get(r, "/connect/endsession?"+q.Encode())
	loc := res.header.Get("location")
	u, _ := url.Parse(loc)
	if res.status != http.StatusFound || u == nil || !b.f.peer.OnProvider(u) {
		b.t.Fatalf("sign-out at replica %s: %d %q %s", r.name, res.status, loc, res.body)
	}
	return loc
}

// rawStatusWith is statusWith for a goroutine that is not the test's (a replica's hook):
// the status of /app1/ at r with only the session cookie, 0 when the request failed.
func rawStatusWith(r *replica, cookie string) int {
	req, _ := http.NewRequest(http.MethodGet, r.pinned+"/app1/", nil)
	req.Header.Set("accept", "text/html")
	req.Header.Set("cookie", "__Host-exeunt="+cookie)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// refusedAtOnce checks that r refuses the old cookie on its very first request after the
// sign-out was reported (since), and on every VM (hostsim serve runs 2 and spreads the
// requests over them): the barrier made the report wait for r's acknowledgement.
func (f *fleet) refusedAtOnce(t *testing.T, r *replica, b *fleetBrowser, cookie string, since time.Time) {
	t.Helper()
	for i := 0; i < 4; i++ {
		if st := b.statusWith(r, cookie); st == http.StatusOK {
			t.Fatalf("replica %s accepts the session %s after its sign-out was reported elsewhere (request %d)\nits log:\n%s",
				r.name, time.Since(since).Round(time.Millisecond), i+1, lastLines(r.log.String(), 30))
		}
	}
	t.Logf("replica %s refused the session at once (%d requests)", r.name, 4)
}

// waitRefused polls r with the old cookie until it is refused, and fails when that takes
// longer than bound after since.
func (f *fleet) waitRefused(t *testing.T, r *replica, b *fleetBrowser, cookie string, since time.Time, bound time.Duration) {
	t.Helper()
	for b.acceptedWith(r, cookie) {
		if time.Since(since) > bound {
			t.Fatalf("replica %s still accepts the session %s after it ended elsewhere (bound %s)", r.name, time.Since(since).Round(time.Millisecond), bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("replica %s refused the session %s after it ended", r.name, time.Since(since).Round(time.Millisecond))
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkFleetLogoutToken validates a logout token as the app would, with the fleet's JWKS
// (read at replica B: every replica signs with the shared key).
func (f *fleet) checkFleetLogoutToken(t *testing.T, tok, aud, sid, sub string) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(f.browser(t).get(f.replicas[1], "/.well-known/jwks.json").body), &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatal("the logout token's kid is not in the fleet's JWKS")
	}
	var std jwt.Claims
	var extra struct {
		SID    string         `json:"sid"`
		Events map[string]any `json:"events"`
	}
	if err := parsed.Claims(keys[0].Key, &std, &extra); err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: f.issuer, AnyAudience: jwt.Audience{aud}, Subject: sub, Time: time.Now()}, 5*time.Second); err != nil {
		t.Fatalf("logout token claims: %v", err)
	}
	if extra.SID != sid || extra.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		t.Fatalf("logout token sid %q events %v, want sid %s", extra.SID, extra.Events, sid)
	}
}
