package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFleetEtcdRestartedEmpty: etcd loses its data (restarted on an empty data directory,
// as after a lost volume), so its revisions start again from 1, below those the replicas
// had followed to. The replicas keep refusing what their copies hold (revocations only
// end by themselves), reload from etcd, and a sign-out made afterwards is refused by every
// replica from the moment it is reported: the barrier must not take a replica's
// acknowledgement of the lost history (a member record saying a revision the new etcd has
// not reached yet) for one of the new; and a replica restarted afterwards refuses what the
// running replicas gave back to etcd.
func TestFleetEtcdRestartedEmpty(t *testing.T) {
	f := startFleet(t, fleetOptions{etcd: map[string]any{"stale_after": "4s"}})
	A, B := f.replicas[0], f.replicas[1]

	old := f.browser(t)
	old.signIn(A, "fleet-lost-1")
	oldCookie := old.cookie()
	old.endSession(A, url.Values{"id_token_hint": {old.assertion(A)}, "client_id": {"app1"}})
	f.refusedAtOnce(t, B, old, oldCookie, time.Now())

	// Signed in before the loss, signed out after it: its records went with etcd's data.
	pre := f.browser(t)
	preSID := pre.signIn(A, "fleet-lost-pre")
	preCookie := pre.cookie()

	// The old etcd's history runs well ahead of anything the new one reaches in this test.
	for i := 0; i < 300; i++ {
		body := fmt.Sprintf(`{"key":%q,"value":%q}`, base64.StdEncoding.EncodeToString([]byte("/other-tenant/k")),
			base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(i))))
		if st, resp, err := f.etcd.Post("/v3/kv/put", []byte(body), ""); err != nil || st != http.StatusOK {
			t.Fatalf("put: %d %s %v", st, resp, err)
		}
	}
	time.Sleep(600 * time.Millisecond) // the replicas follow to the end of it

	f.etcd.Stop()
	if err := os.RemoveAll(f.etcd.DataDir); err != nil {
		t.Fatal(err)
	}
	f.etcd.Restart()
	// Each replica finds etcd behind its copy and reloads.
	waitFor(t, 10*time.Second, "both replicas reloading from the new etcd", func() bool {
		return strings.Contains(A.log.String(), "reloading every revocation") && strings.Contains(B.log.String(), "reloading every revocation")
	})
	if old.acceptedWith(A, oldCookie) || old.acceptedWith(B, oldCookie) {
		t.Error("a session signed out before etcd lost its data is accepted by a running replica")
	}
	// The replicas give back to etcd what it lost, so a replica (re)started afterwards
	// refuses it too.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(A.log.String(), "gave back to etcd the") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	B.kill()
	B.restart(t)
	// On every VM of B (4 requests in a row; hostsim serve runs 2 and spreads requests
	// over them): each VM loads the revocations on its own, and one that has not yet
	// answers 503. Waiting for one answer only let the next request land on the other VM
	// still loading (503, "app1 at replica B: refused", under load in make test).
	waitFor(t, 10*time.Second, "the restarted B loading the revocations on every VM", func() bool {
		for i := 0; i < 4; i++ {
			if old.statusWith(B, oldCookie) == http.StatusServiceUnavailable {
				return false
			}
		}
		return true
	})
	if old.acceptedWith(B, oldCookie) {
		t.Fatal("B, restarted after etcd lost its data, accepts a session signed out before the loss")
	}

	// The session signed in before the loss ends everywhere, and app1 (which it visited,
	// as its cookie says) gets its logout token.
	pre.endSession(B, url.Values{"id_token_hint": {pre.assertion(B)}, "client_id": {"app1"}})
	f.refusedAtOnce(t, A, pre, preCookie, time.Now())
	f.checkFleetLogoutToken(t, f.app1.waitToken(t, preSID, 15*time.Second), "app1", preSID, "fleet-lost-pre")

	b := f.browser(t)
	b.signIn(A, "fleet-lost-2")
	cookie := b.cookie()
	if !b.acceptedWith(B, cookie) {
		t.Fatal("B refuses a session signed in at A after etcd came back")
	}
	b.endSession(A, url.Values{"id_token_hint": {b.assertion(A)}, "client_id": {"app1"}})
	f.refusedAtOnce(t, B, b, cookie, time.Now())
}
