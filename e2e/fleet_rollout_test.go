package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/exeunt/exeunt/demo"
)

// TestFleetOperatorProbe plays what an operator does to a running fleet on a shared etcd,
// beside TestFleet and TestFleetProbe (which it does not repeat): the provider's logout
// racing a sign-in to the same provider session on the other replica, the per-user session
// limit ending a session made on another replica, a replica started while etcd is down,
// etcd compacting its history, keys rotated in the documented two phases while sessions
// and a back-channel delivery are pending, and a rolling update that gives a client a
// back-channel logout URI on one replica before the other. One fleet, each scenario with
// its own users; every replica is back on the fleet's configuration before the next one
// (but after the last, the key rotation).
func TestFleetOperatorProbe(t *testing.T) {
	var hold *indexHold // B reaches etcd through it
	f := startFleet(t, fleetOptions{
		etcd:   map[string]any{"stale_after": "4s", "timeout": "4s"},
		plugin: map[string]any{"session": map[string]any{"max_per_user": 2}},
		etcdViaReplica: func(i int, etcdAddr string) string {
			if i == 0 {
				return etcdAddr
			}
			hold = newIndexHold(t, etcdAddr)
			return hold.addr
		},
	})
	A, B := f.replicas[0], f.replicas[1]
	cfgOf := map[*replica]string{A: A.cfg, B: B.cfg} // each replica's own configuration

	t.Run("AProviderLogoutRacingASignInToTheSameProviderSessionAtTheOtherReplica", func(t *testing.T) {
		first := f.browser(t)
		first.signIn(A, "probe-race")
		// A second tab of the same browser (its provider cookies, no Exeunt cookie yet)
		// signs in at B, silently, to the same provider session.
		second := f.browser(t)
		second.idpJar = first.idpJar
		start := second.get(B, "/app1/")
		back, err := f.peer.Login(second.idpJar, start.header.Get("location"), "probe-race")
		if err != nil {
			t.Fatal(err)
		}
		// B's callback: its index write (the new session's link to the provider session)
		// is held until the provider's back-channel logout has been answered at A.
		hold.arm()
		defer hold.release()
		type answer struct {
			status int
			cookie string
		}
		got := make(chan answer, 1)
		go func() {
			req, _ := http.NewRequest(http.MethodGet, B.pinned+strings.TrimPrefix(back.String(), f.issuer), nil)
			var cs []string
			for k, v := range second.jar {
				cs = append(cs, k+"="+v)
			}
			req.Header.Set("cookie", strings.Join(cs, "; "))
			resp, err := second.client.Do(req)
			if err != nil {
				got <- answer{}
				return
			}
			resp.Body.Close()
			a := answer{status: resp.StatusCode}
			for _, sc := range resp.Header.Values("set-cookie") {
				if v, ok := strings.CutPrefix(sc, "__Host-exeunt="); ok {
					a.cookie, _, _ = strings.Cut(v, ";")
				}
			}
			got <- a
		}()
		waitFor(t, 5*time.Second, "B's index write held", func() bool { return hold.count() > 0 })
		var acked atomic.Bool
		A.onAnswer(func(resp *http.Response) {
			if resp.Request.URL.Path == "/backchannel-oidc" && resp.StatusCode == http.StatusOK {
				acked.Store(true)
				hold.release()
			}
		})
		_, err = f.peer.LogoutAtProvider(first.idpJar)
		A.onAnswer(nil)
		hold.release()
		if err != nil {
			t.Fatal(err)
		}
		cb := <-got
		t.Logf("the provider's back-channel logout answered 200 at A: %v; B's sign-in callback, its index write held meanwhile: %d (session cookie: %v)", acked.Load(), cb.status, cb.cookie != "")
		if !acked.Load() {
			t.Fatal("A never answered the provider's back-channel logout with 200")
		}
		if first.acceptedWith(A, first.cookie()) || first.acceptedWith(B, first.cookie()) {
			t.Fatal("the first session is accepted after the provider's back-channel logout")
		}
		if cb.cookie != "" {
			for _, r := range []*replica{B, A, B, A} {
				if st := second.statusWith(r, cb.cookie); st == http.StatusOK {
					t.Fatalf("%s accepts a session of a provider session that the provider had ended, and that Exeunt acknowledged as ended (A answered the logout token 200)", r.name)
				}
			}
		}
	})

	t.Run("TheSessionLimitEndsASessionMadeOnTheOtherReplica", func(t *testing.T) {
		// The limit ends the oldest by the second a session began: one sign-in a second.
		nextSecond := func() {
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
		}
		var bs []*fleetBrowser
		var sids []string
		for i, r := range []*replica{A, B, B} {
			if i > 0 {
				nextSecond()
			}
			b := f.browser(t) // a browser of its own: a provider session of its own
			sids = append(sids, b.signIn(r, "probe-limit"))
			bs = append(bs, b)
		}
		// The third sign-in (at B) ended the first session (made at A): from the moment
		// its callback answered, every replica refuses it, on every VM.
		first := bs[0].cookie()
		for _, r := range []*replica{A, B, A, B} {
			if st := bs[0].statusWith(r, first); st == http.StatusOK {
				t.Fatalf("the session the limit ended at B is accepted at %s right after the sign-in that ended it\n%s's log:\n%s", r.name, r.name, lastLines(r.log.String(), 30))
			}
		}
		for i, b := range bs[1:] {
			for _, r := range []*replica{A, B} {
				if !b.acceptedWith(r, b.cookie()) {
					t.Errorf("session %d (sid %s) is refused at %s; only the oldest was to be signed out", i+2, sids[i+1], r.name)
				}
			}
		}
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, sids[0], 15*time.Second), "app1", sids[0], "probe-limit")
		for _, sid := range sids[1:] {
			if n := f.app1.tokensFor(sid); n != 0 {
				t.Errorf("app1 got %d logout tokens for sid %s, which the limit did not end", n, sid)
			}
		}
	})

	t.Run("AReplicaStartedWhileEtcdIsDownFailsClosedThenCatchesUp", func(t *testing.T) {
		ended := f.browser(t)
		ended.signIn(A, "probe-cold-ended")
		endedCookie := ended.cookie()
		ended.endSession(A, url.Values{"id_token_hint": {ended.assertion(A)}, "client_id": {"app1"}})
		live := f.browser(t)
		live.signIn(A, "probe-cold-live")
		liveCookie := live.cookie()

		f.etcd.Stop()
		B.restart(t) // it serves (its listener is up) without ever having reached etcd
		for i := 0; i < 4; i++ {
			if st := live.statusWith(B, liveCookie); st != http.StatusServiceUnavailable {
				t.Fatalf("B, started with etcd down, answered a signed-in request %d, want 503 (it has no revocations)", st)
			}
			if ended.acceptedWith(B, endedCookie) {
				t.Fatal("B, started with etcd down, accepts a session signed out before it started")
			}
		}
		if st, body := readyz(t, B); st != http.StatusServiceUnavailable {
			t.Errorf("B's readiness with etcd down since before it started: %d %s, want 503", st, body)
		}
		f.etcd.Restart()
		waitFor(t, 15*time.Second, "B serving the live session on every VM once etcd is up", func() bool {
			for i := 0; i < 4; i++ {
				if !live.acceptedWith(B, liveCookie) {
					return false
				}
			}
			return true
		})
		for _, r := range []*replica{B, A, B, A} {
			if st := ended.statusWith(r, endedCookie); st != http.StatusFound {
				t.Fatalf("%s answers a session signed out before etcd went down %d once etcd is up, want 302", r.name, st)
			}
		}
		// A sign-out now is refused everywhere from the moment it is reported.
		waitFor(t, 10*time.Second, "A serving again", func() bool { return live.acceptedWith(A, liveCookie) })
		live.endSession(B, url.Values{"id_token_hint": {live.assertion(B)}, "client_id": {"app1"}})
		f.refusedAtOnce(t, A, live, liveCookie, time.Now())
	})

	t.Run("EtcdCompacted", func(t *testing.T) {
		before := f.browser(t)
		before.signIn(A, "probe-compact-before")
		beforeCookie := before.cookie()
		before.endSession(A, url.Values{"id_token_hint": {before.assertion(A)}, "client_id": {"app1"}})
		b := f.browser(t)
		b.signIn(B, "probe-compact")
		cookie := b.cookie()
		hint := b.assertion(A)
		// All of etcd's history, up to its current revision, compacted away.
		etcdCompact(t, f)
		b.endSession(A, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		f.refusedAtOnce(t, B, b, cookie, time.Now())
		etcdCompact(t, f)
		B.restart(t)
		waitFor(t, 10*time.Second, "the restarted B loading the revocations", func() bool {
			return b.statusWith(B, cookie) == http.StatusFound
		})
		for _, r := range []*replica{B, B, A, A} {
			if before.acceptedWith(r, beforeCookie) || b.acceptedWith(r, cookie) {
				t.Fatalf("%s accepts a session signed out before a compaction", r.name)
			}
		}
	})

	t.Run("ABackChannelURIRolledOutToOneReplicaFirstIsNotDropped", func(t *testing.T) {
		// A rolling update gives app2 a back-channel logout URI: B runs the new
		// configuration, A still the old one (where app2 has front-channel logout only).
		B.cfg = withPluginChange(t, cfgOf[B], func(p map[string]any) {
			for _, c := range p["clients"].([]any) {
				if c := c.(map[string]any); c["client_id"] == "app2" {
					c["backchannel_logout_uri"] = "http://" + f.app2.addr + "/backchannel-logout"
					c["backchannel_cluster"] = "app2"
				}
			}
		})
		B.restart(t) // (the next scenario restarts both on configurations of its own)
		f.app2.setFailing(true)
		defer f.app2.setFailing(false)
		b := f.browser(t)
		sid := b.signIn(B, "probe-rollout")
		if _, ok := b.app(B, "app2"); !ok {
			t.Fatal("app2 at B refused the session")
		}
		// app2 refuses (503) while B lives: whichever replica claims the delivery first,
		// app2's notice is still to be sent when B goes. B goes (the rollout restarts it
		// again, or it crashes) right after that first claim, so that its retries do not
		// push the next attempt far out (the sign-out's page may wait on the barrier for
		// B's previous process, passed over after 3 s, and is not needed here).
		job := []string{`"sid":"` + sid + `"`, `"items":`}
		hint, cookie, refusals := b.assertion(B), b.cookie(), f.app2.refusals()
		go rawEndSession(B, cookie, url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		queued := false
		waitFor(t, 10*time.Second, "the first claim of app2's delivery (app2 refusing it, A leaving it, or its job gone from etcd)", func() bool {
			held := etcdHolds(t, f, job...)
			queued = queued || held
			return f.app2.refusals() > refusals || strings.Contains(A.log.String(), "sid="+sid+" is left for a replica") || (queued && !held)
		})
		// A, which does not know that app2 takes logout tokens, claims app2's item once
		// due: it must leave it for a replica whose configuration has app2's URI, not drop it.
		B.kill()
		f.app2.setFailing(false)
		waitFor(t, 15*time.Second, "A claiming app2's delivery (leaving it, or dropping its job from etcd)", func() bool {
			return strings.Contains(A.log.String(), "sid="+sid+" is left for a replica") || !etcdHolds(t, f, job...)
		})
		B.restart(t)
		tok := f.app2.waitToken(t, sid, 30*time.Second)
		f.checkFleetLogoutToken(t, tok, "app2", sid, "probe-rollout")
		if n := f.app2.tokensFor(sid); n != 1 {
			t.Errorf("app2 got %d logout tokens for sid %s, want 1", n, sid)
		}
	})
	t.Run("KeysRotatedInTwoPhasesWithSessionsAndADeliveryPending", func(t *testing.T) {
		newKeys, err := demo.GenerateKeys()
		if err != nil {
			t.Fatal(err)
		}
		newKeys.SealingKID, newKeys.SigningKID = "fleet-s2", "fleet-k2"
		old := f.keys
		keysIn := func(first, second demo.Keys) map[string]any {
			a, b := first.Object(), second.Object()
			return map[string]any{
				"sealing": append(a["sealing"].([]any), b["sealing"].([]any)...),
				"signing": append(a["signing"].([]any), b["signing"].([]any)...),
			}
		}
		// The last scenario: the replicas stay on the rotated keys (A on phase 2, B on 1).

		signedIn := f.browser(t)
		signedIn.signIn(A, "probe-keys-kept")
		keptCookie := signedIn.cookie()
		// A sign-out whose logout token app1 refuses for now: a delivery pending across the
		// rollouts.
		f.app1.setFailing(true)
		defer f.app1.setFailing(false)
		pending := f.browser(t)
		pendingSID := pending.signIn(B, "probe-keys-pending")
		refusals := f.app1.refusals()
		pending.endSession(A, url.Values{"id_token_hint": {pending.assertion(A)}, "client_id": {"app1"}})
		waitFor(t, 10*time.Second, "a first delivery attempt", func() bool { return f.app1.refusals() > refusals })

		// Phase 1 (accept): the new keys last, rolled out to A, then B.
		phase1 := keysIn(old, newKeys)
		for _, r := range []*replica{A, B} {
			r.cfg = withPluginChange(t, cfgOf[r], func(p map[string]any) { p["keys"] = phase1 })
			r.restart(t)
			waitFor(t, 10*time.Second, "the restarted "+r.name+" serving", func() bool { return signedIn.acceptedWith(r, keptCookie) })
		}
		// Phase 2 (use): the new keys first, on A only so far; B is still on phase 1.
		A.cfg = withPluginChange(t, cfgOf[A], func(p map[string]any) { p["keys"] = keysIn(newKeys, old) })
		A.restart(t)
		waitFor(t, 10*time.Second, "the restarted A serving", func() bool { return signedIn.acceptedWith(A, keptCookie) })
		fresh := f.browser(t)
		fresh.signIn(A, "probe-keys-new") // sealed with the new key
		freshCookie := fresh.cookie()
		for _, r := range []*replica{A, B, A, B} {
			if !signedIn.acceptedWith(r, keptCookie) {
				t.Errorf("%s refuses a session sealed with the old key during the rotation", r.name)
			}
			if !fresh.acceptedWith(r, freshCookie) {
				t.Errorf("%s refuses a session sealed with the new key while B is on phase 1", r.name)
			}
		}
		// The delivery queued before the rotation reaches app1, with a token the fleet's
		// JWKS (read at B, on phase 1) verifies, whichever key signed it.
		f.app1.setFailing(false)
		f.checkFleetLogoutToken(t, f.app1.waitToken(t, pendingSID, 20*time.Second), "app1", pendingSID, "probe-keys-pending")
		// A session sealed with the new key, signed out at the replica on phase 1, is refused
		// at the one on phase 2 at once, and the other way round for the old key.
		fresh.endSession(B, url.Values{"id_token_hint": {fresh.assertion(B)}, "client_id": {"app1"}})
		f.refusedAtOnce(t, A, fresh, freshCookie, time.Now())
		signedIn.endSession(A, url.Values{"id_token_hint": {signedIn.assertion(A)}, "client_id": {"app1"}})
		f.refusedAtOnce(t, B, signedIn, keptCookie, time.Now())
	})
}

// etcdCompact compacts etcd's history up to its current revision (physically, as
// --auto-compaction does), through its HTTP/JSON gateway.
func etcdCompact(t *testing.T, f *fleet) {
	t.Helper()
	st, body, err := f.etcd.Post("/v3/kv/range", []byte(`{"key":"`+base64.StdEncoding.EncodeToString([]byte("/"))+`"}`), "")
	if err != nil || st != http.StatusOK {
		t.Fatalf("etcd range: %d %s %v", st, body, err)
	}
	var resp struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	rev, err := strconv.ParseInt(resp.Header.Revision, 10, 64)
	if err != nil {
		t.Fatalf("etcd's revision %q: %v", resp.Header.Revision, err)
	}
	st, body, err = f.etcd.Post("/v3/kv/compaction", []byte(fmt.Sprintf(`{"revision":%d,"physical":true}`, rev)), "")
	if err != nil || st != http.StatusOK {
		t.Fatalf("etcd compaction at %d: %d %s %v", rev, st, body, err)
	}
	t.Logf("etcd compacted at revision %d", rev)
}

// withPluginChange writes a copy of the replica configuration at path with change applied
// to Exeunt's plugin configuration, and returns the copy's path: an operator's new
// revision of the configuration, for a restart.
func withPluginChange(t *testing.T, path string, change func(plugin map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	found := 0
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["root_id"] == "exeunt" {
				conf, _ := v["configuration"].(map[string]any)
				value, _ := conf["value"].(string)
				var plugin map[string]any
				if err := json.Unmarshal([]byte(value), &plugin); err != nil {
					t.Fatalf("Exeunt's configuration: %v", err)
				}
				change(plugin)
				out, err := json.Marshal(plugin)
				if err != nil {
					t.Fatal(err)
				}
				conf["value"] = string(out)
				found++
				return
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	if found == 0 {
		t.Fatalf("no Exeunt filter in %s", path)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "changed-envoy.yaml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// etcdHolds says whether a value under the fleet's key prefix contains every one of parts.
func etcdHolds(t *testing.T, f *fleet, parts ...string) bool {
	t.Helper()
	prefix := "/exeunt-fleet/"
	end := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	req := fmt.Sprintf(`{"key":%q,"range_end":%q}`, base64.StdEncoding.EncodeToString([]byte(prefix)), base64.StdEncoding.EncodeToString([]byte(end)))
	st, body, err := f.etcd.Post("/v3/kv/range", []byte(req), "")
	if err != nil || st != http.StatusOK {
		t.Fatalf("etcd range: %d %s %v", st, body, err)
	}
	var resp struct {
		KVs []struct {
			Value string `json:"value"`
		} `json:"kvs"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.KVs {
		v, err := base64.StdEncoding.DecodeString(kv.Value)
		all := err == nil
		for _, p := range parts {
			all = all && strings.Contains(string(v), p)
		}
		if all {
			return true
		}
	}
	return false
}
