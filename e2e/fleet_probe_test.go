package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFleetProbe attacks the fleet's promise from outside, as an independent fleet test
// would: once a sign-out is reported, the session is refused on every replica and after
// any restart, and every app that must be told is told. Each replica reaches etcd through
// its own partitionProxy, so one can be cut off from etcd while the other is not.
func TestFleetProbe(t *testing.T) {
	var proxies []*partitionProxy
	f := startFleet(t, fleetOptions{
		etcd: map[string]any{"stale_after": "4s"},
		etcdViaReplica: func(i int, etcdAddr string) string {
			p := newPartitionProxy(t, etcdAddr)
			proxies = append(proxies, p)
			return p.addr
		},
	})
	A, B := f.replicas[0], f.replicas[1]

	t.Run("SignOutWhileTheOtherReplicaIsCutOffFromEtcd", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(B, "probe-cut-1")
		cookie := b.cookie()
		hint := b.assertion(A)
		proxies[1].setCut(true)
		defer proxies[1].setCut(false)
		// A passes over B (its record falls silent) and reports the sign-out.
		b.endSession(A, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		f.refusedAtOnce(t, A, b, cookie, time.Now())
		// B serves from its copy until stale_after (a known gap), then refuses with 503.
		waitFor(t, 15*time.Second, "B refusing with 503 once its copy is past stale_after", func() bool {
			for i := 0; i < 4; i++ {
				if b.statusWith(B, cookie) != http.StatusServiceUnavailable {
					return false
				}
			}
			return true
		})
		proxies[1].setCut(false)
		// From then on B must never accept the session: each VM (Envoy worker) answers 503
		// until its own next tick has caught up, then refuses it as signed out.
		deadline := time.Now().Add(15 * time.Second)
		var seen []int
		for found := 0; found < 8; {
			st := b.statusWith(B, cookie)
			if len(seen) == 0 || seen[len(seen)-1] != st {
				seen = append(seen, st)
			}
			switch {
			case st == http.StatusOK:
				t.Fatalf("B, reconnected to etcd, accepts a session signed out while it was cut off (statuses in turn: %v)\nB's log:\n%s", seen, lastLines(B.log.String(), 40))
			case st == http.StatusFound:
				found++
			default:
				found = 0
			}
			if time.Now().After(deadline) {
				t.Fatalf("B did not refuse the session 8 times in a row within 15 s of the partition healing: %v", seen)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("B's answers to the signed-out cookie after the partition healed, in turn: %v", seen)
	})

	t.Run("SignOutsAtAReplicaCutOffFromEtcdSayNothingFalse", func(t *testing.T) {
		b := f.browser(t)
		sid := b.signIn(A, "probe-cut-2")
		cookie := b.cookie()
		hint := b.assertion(B)
		psid := b.providerSID()
		proxies[1].setCut(true)
		defer proxies[1].setCut(false)
		// The provider's front-channel iframe at B: B cannot end the session.
		frame := f.browser(t).get(B, "/signout-oidc?"+url.Values{"iss": {f.peer.Issuer}, "sid": {psid}}.Encode())
		t.Logf("front-channel logout at B cut off from etcd: %d %s", frame.status, firstLine(frame.body))
		frameClaimsDone := frame.status == http.StatusOK
		// The user's own sign-out at B.
		res := b.send(B, http.MethodGet, "/connect/endsession?"+url.Values{"id_token_hint": {hint}, "client_id": {"app1"}}.Encode(), nil)
		t.Logf("sign-out at B cut off from etcd: %d %s", res.status, firstLine(res.body))
		if res.status == http.StatusFound {
			t.Errorf("the sign-out at B, cut off from etcd, was sent on to %s as if done", res.header.Get("location"))
		}
		if frameClaimsDone || res.status == http.StatusFound {
			// Whatever B said it did must hold at A (which etcd still reaches).
			f.waitRefused(t, A, b, cookie, time.Now(), 2*time.Second)
		}
		proxies[1].setCut(false)
		if frameClaimsDone {
			f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 15*time.Second), "app1", sid, "probe-cut-2")
		}
	})

	// etcd unreachable for every replica for longer than the barrier's liveness window (3 s)
	// but shorter than stale_after: every replica's member record is unchanged across
	// the outage, though none of them is dead. A sign-out made once etcd answers again
	// must still wait for B's acknowledgement before it is reported.
	t.Run("SignOutRightAfterAnEtcdOutageWaitsForTheOtherReplica", func(t *testing.T) {
		type user struct {
			b                 *fleetBrowser
			cookie, hint      string
			status, atB, atB2 int
		}
		signedIn := func(prefix string) []*user {
			var us []*user
			for i := 0; i < 4; i++ {
				b := f.browser(t)
				b.signIn(A, fmt.Sprintf("%s-%d", prefix, i))
				us = append(us, &user{b: b, cookie: b.cookie(), hint: b.assertion(A)})
			}
			return us
		}
		// Four sign-outs at once at A, spread over its workers (hostsim serve hands the
		// streams to its VMs in turn); after each, B is asked at once.
		signOutAll := func(us []*user) {
			var wg sync.WaitGroup
			for _, u := range us {
				wg.Add(1)
				go func(u *user) {
					defer wg.Done()
					u.status = rawEndSession(A, u.cookie, url.Values{"id_token_hint": {u.hint}, "client_id": {"app1"}})
					if u.status == http.StatusFound {
						u.atB, u.atB2 = rawStatusWith(B, u.cookie), rawStatusWith(B, u.cookie)
					}
				}(u)
			}
			wg.Wait()
		}
		before, targets := signedIn("probe-outage-before"), signedIn("probe-outage")
		passedOver := strings.Count(A.log.String(), "sign-outs no longer wait for replica")
		// Just before the outage, A's workers read the member records (their barriers).
		signOutAll(before)
		for _, p := range proxies {
			p.setCut(true)
		}
		time.Sleep(3300 * time.Millisecond) // past memberLiveness, before stale_after (4 s)
		// etcd answers again; B's link to it is slow for a moment (its answers 300 ms
		// late, far under store.etcd.timeout): B is alive and reachable, only its first
		// follow and record write after the outage land a little after A's.
		proxies[1].slow(300*time.Millisecond, 1500*time.Millisecond)
		for _, p := range proxies {
			p.setCut(false)
		}
		signOutAll(targets)
		for i, u := range targets {
			switch {
			case u.status != http.StatusFound:
				t.Logf("user %d: the sign-out at A right after the outage answered %d", i, u.status)
			case u.atB == http.StatusOK || u.atB2 == http.StatusOK:
				t.Errorf("user %d: signed out at A right after an etcd outage, accepted at B right after the sign-out was reported (B answered %d, %d)", i, u.atB, u.atB2)
			}
		}
		if n := strings.Count(A.log.String(), "sign-outs no longer wait for replica"); n > passedOver {
			t.Errorf("A passed over B, alive and reachable, after an etcd outage:\n%s", lastLines(A.log.String(), 30))
		}
		for _, u := range targets { // whatever the pages said, B refuses them once it follows
			f.waitRefused(t, B, u.b, u.cookie, time.Now(), 5*time.Second)
		}
	})

	t.Run("ADeliveryPendingSurvivesEveryReplicaRestarted", func(t *testing.T) {
		f.app1.setFailing(true)
		defer f.app1.setFailing(false)
		b := f.browser(t)
		sid := b.signIn(A, "probe-restart-all")
		before := f.app1.refusals()
		b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"}})
		waitFor(t, 10*time.Second, "a first delivery attempt", func() bool { return f.app1.refusals() > before })
		A.kill()
		B.kill()
		f.app1.setFailing(false)
		A.restart(t)
		B.restart(t)
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 25*time.Second), "app1", sid, "probe-restart-all")
		// Nobody died between app1's answer and its record: one token, not two.
		time.Sleep(4 * time.Second) // longer than a claim's lease (backchannel_timeout 1 s + 2 s)
		if n := f.app1.tokensFor(sid); n != 1 {
			t.Errorf("app1 got %d logout tokens for sid %s, want 1", n, sid)
		}
	})

	t.Run("ManyConcurrentSignOutsAcrossReplicas", func(t *testing.T) {
		const users = 8
		type user struct {
			b            *fleetBrowser
			sid, cookie  string
			hint         string
			at, other    *replica
			status       int
			otherAnswers []int
		}
		var us []*user
		for i := 0; i < users; i++ {
			at, other := A, B
			if i%2 == 1 {
				at, other = B, A
			}
			b := f.browser(t)
			u := &user{b: b, at: at, other: other}
			u.sid = b.signIn(other, fmt.Sprintf("probe-many-%d", i))
			u.cookie = b.cookie()
			u.hint = b.assertion(at)
			us = append(us, u)
		}
		var wg sync.WaitGroup
		for _, u := range us {
			wg.Add(1)
			go func(u *user) {
				defer wg.Done()
				u.status = rawEndSession(u.at, u.cookie, url.Values{"id_token_hint": {u.hint}, "client_id": {"app1"}})
				if u.status == http.StatusFound {
					for i := 0; i < 4; i++ {
						u.otherAnswers = append(u.otherAnswers, rawStatusWith(u.other, u.cookie))
						u.otherAnswers = append(u.otherAnswers, rawStatusWith(u.at, u.cookie))
					}
				}
			}(u)
		}
		wg.Wait()
		for i, u := range us {
			if u.status != http.StatusFound {
				t.Errorf("user %d: the sign-out at %s answered %d", i, u.at.name, u.status)
				continue
			}
			for _, st := range u.otherAnswers {
				if st == http.StatusOK {
					t.Errorf("user %d: signed out at %s, still accepted right after (answers at %s and %s in turn: %v)", i, u.at.name, u.other.name, u.at.name, u.otherAnswers)
					break
				}
			}
		}
		// (waitToken would drop the tokens of the other sids it reads past: count instead.)
		waitFor(t, 20*time.Second, "a logout token for each session", func() bool {
			for _, u := range us {
				if f.app1.tokensFor(u.sid) == 0 {
					return false
				}
			}
			return true
		})
		time.Sleep(4 * time.Second)
		for i, u := range us {
			if n := f.app1.tokensFor(u.sid); n != 1 {
				t.Errorf("user %d: app1 got %d logout tokens, want 1", i, n)
			}
		}
	})

	t.Run("OneSessionSignedOutAtBothReplicasAndByTheProviderAtOnce", func(t *testing.T) {
		for round := 0; round < 2; round++ {
			b := f.browser(t)
			login := fmt.Sprintf("probe-twice-%d", round)
			sid := b.signIn(A, login)
			b.app(B, "app2")
			cookie := b.cookie()
			hint := b.assertion(A)
			var wg sync.WaitGroup
			answers := make([]int, 2)
			for i, r := range []*replica{A, B} {
				wg.Add(1)
				go func(i int, r *replica) {
					defer wg.Done()
					answers[i] = rawEndSession(r, cookie, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
				}(i, r)
			}
			if round == 1 { // and the provider's back-channel logout (to A) at the same time
				wg.Add(1)
				go func() { defer wg.Done(); f.peer.LogoutAtProvider(b.idpJar) }()
			}
			wg.Wait()
			t.Logf("round %d: the sign-outs at A and B answered %v", round, answers)
			for i, st := range answers {
				if st != http.StatusFound && st != http.StatusServiceUnavailable {
					t.Errorf("round %d: the sign-out at %s answered %d", round, []string{"A", "B"}[i], st)
				}
			}
			for _, r := range []*replica{A, B, A, B} {
				if b.acceptedWith(r, cookie) {
					t.Fatalf("round %d: the session signed out twice at once is accepted at %s", round, r.name)
				}
			}
			waitFor(t, 15*time.Second, "app1's logout token", func() bool { return f.app1.tokensFor(sid) > 0 })
			time.Sleep(3500 * time.Millisecond) // past a claim's lease: a second job would have been delivered
			if n := f.app1.tokensFor(sid); n != 1 {
				t.Errorf("round %d: app1 got %d logout tokens for one session signed out at once at both replicas, want 1", round, n)
			}
		}
	})

	t.Run("SignOutWhileTheOtherReplicaRestarts", func(t *testing.T) {
		b := f.browser(t)
		b.signIn(A, "probe-rolling")
		cookie := b.cookie()
		hint := b.assertion(A)
		B.kill()
		started := make(chan struct{})
		go func() { B.start(t, hostsimBinary(t)); close(started) }()
		time.Sleep(300 * time.Millisecond)
		b.endSession(A, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		<-started
		f.front.SetBackend(1, B.currentAddr())
		if b.acceptedWith(B, cookie) {
			t.Fatal("B, started during a sign-out, accepts the session after it was reported")
		}
		waitFor(t, 10*time.Second, "the restarted B refusing the session (302)", func() bool {
			st := b.statusWith(B, cookie)
			if st == http.StatusOK {
				t.Fatal("B accepts the session after its sign-out was reported")
			}
			return st == http.StatusFound
		})
	})

	t.Run("EtcdRestartedMidSignOut", func(t *testing.T) {
		for round := 0; round < 3; round++ {
			b := f.browser(t)
			b.signIn(A, fmt.Sprintf("probe-etcd-%d", round))
			cookie := b.cookie()
			hint := b.assertion(A)
			got := make(chan int, 1)
			began := time.Now()
			go func() {
				got <- rawEndSession(A, cookie, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
			}()
			time.Sleep([]time.Duration{20, 80, 200}[round] * time.Millisecond) // during its index read, its write, its barrier
			f.etcd.Stop()
			time.Sleep(500 * time.Millisecond)
			f.etcd.Restart()
			st := <-got
			t.Logf("round %d: the sign-out answered %d after %s", round, st, time.Since(began).Round(time.Millisecond))
			if st == http.StatusFound {
				for _, r := range []*replica{A, B, A, B} {
					if b.acceptedWith(r, cookie) {
						t.Fatalf("round %d: a sign-out reported across etcd's restart is accepted at %s", round, r.name)
					}
				}
			}
			// Served again everywhere before the next round.
			waitFor(t, 15*time.Second, "the replicas serving again", func() bool {
				return f.browser(t).get(A, "/exeunt/readyz").status == 200 && f.browser(t).get(B, "/exeunt/readyz").status == 200
			})
			if st == http.StatusFound {
				for _, r := range []*replica{A, B, A, B} {
					if b.acceptedWith(r, cookie) {
						t.Fatalf("round %d: a sign-out reported across etcd's restart is accepted at %s once etcd is back", round, r.name)
					}
				}
			} else {
				time.Sleep(600 * time.Millisecond)
				t.Logf("round %d: once etcd is back the session is accepted at A: %v, at B: %v", round, b.acceptedWith(A, cookie), b.acceptedWith(B, cookie))
			}
		}
	})
}

// rawEndSession is a sign-out at r by a browser holding only the session cookie, from any
// goroutine: the status of the end session endpoint's answer (0 when the request failed).
func rawEndSession(r *replica, cookie string, q url.Values) int {
	req, _ := http.NewRequest(http.MethodGet, r.pinned+"/connect/endsession?"+q.Encode(), nil)
	req.Header.Set("accept", "text/html")
	req.Header.Set("cookie", "__Host-exeunt="+cookie)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound && strings.Contains(resp.Header.Get("location"), "/signout-callback-oidc") {
		return -1 // not expected: sent back to Exeunt, not to the provider
	}
	return resp.StatusCode
}

// tokensFor counts the logout tokens accepted so far whose sid is sid.
func (a *fleetApp) tokensFor(sid string) int {
	n := 0
	for _, tok := range a.tokensSoFar() {
		if unverifiedClaims(tok)["sid"] == sid {
			n++
		}
	}
	return n
}
