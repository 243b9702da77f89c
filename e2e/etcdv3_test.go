package e2e

// core/etcdv3 against a real etcd (Debian's etcd-server, e2e/etcdpeer): every request the
// package builds is sent as built (path, headers, body) over HTTP, and every answer is read
// with its Parse methods. Helper names start with etcdGW so that they cannot clash with other
// tests of the package.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
	"github.com/exeunt/exeunt/e2e/etcdpeer"
)

// etcdGWClient sends etcdv3 requests to one etcd and keeps a token once authenticated.
type etcdGWClient struct {
	tb    testing.TB
	peer  *etcdpeer.Peer
	gw    etcdv3.Gateway
	token string
}

func etcdGWStart(tb testing.TB, cfg etcdpeer.Config) *etcdGWClient {
	tb.Helper()
	return &etcdGWClient{tb: tb, peer: etcdpeer.Start(tb, cfg)}
}

// send does the I/O for one request, as the filter's callout will: the request exactly as
// etcdv3 built it. Only a request that got no answer at all fails the test.
func (c *etcdGWClient) send(op etcdv3.Op) (int, []byte) {
	c.tb.Helper()
	r, err := c.gw.Request(op, c.token)
	if err != nil {
		c.tb.Fatalf("building %T: %v", op, err)
	}
	req, err := http.NewRequest(r.Method, c.peer.URL+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		c.tb.Fatal(err)
	}
	for _, h := range r.Headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := c.peer.HTTPClient().Do(req)
	if err != nil {
		c.tb.Fatalf("%s: %v", r.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, etcdv3.MaxResponseBytes+1))
	if err != nil {
		c.tb.Fatalf("%s: reading the answer: %v", r.Path, err)
	}
	return resp.StatusCode, body
}

func (c *etcdGWClient) rangeOf(r etcdv3.RangeRequest) (*etcdv3.RangeResponse, error) {
	c.tb.Helper()
	return c.gw.ParseRange(c.send(&r))
}

func (c *etcdGWClient) put(p etcdv3.PutRequest) (*etcdv3.PutResponse, error) {
	c.tb.Helper()
	return c.gw.ParsePut(c.send(&p))
}

func (c *etcdGWClient) txn(x etcdv3.TxnRequest) *etcdv3.TxnResponse {
	c.tb.Helper()
	resp, err := c.gw.ParseTxn(c.send(&x))
	if err != nil {
		c.tb.Fatalf("txn: %v", err)
	}
	return resp
}

func (c *etcdGWClient) mustPut(key, value string, lease int64) int64 {
	c.tb.Helper()
	resp, err := c.put(etcdv3.PutRequest{Key: []byte(key), Value: []byte(value), Lease: lease})
	if err != nil {
		c.tb.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

func (c *etcdGWClient) get(key string) *etcdv3.KeyValue {
	c.tb.Helper()
	resp, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte(key)})
	if err != nil {
		c.tb.Fatalf("range %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	return &resp.Kvs[0]
}

func (c *etcdGWClient) grant(ttl int64) int64 {
	c.tb.Helper()
	resp, err := c.gw.ParseLeaseGrant(c.send(&etcdv3.LeaseGrantRequest{TTL: ttl}))
	if err != nil {
		c.tb.Fatalf("lease grant: %v", err)
	}
	return resp.ID
}

// Two replicas update the same record from the same read: one wins, the other is refused
// and sees the winner's write; a claim is taken once; a job is finished only by its holder.
func TestEtcdGatewayCompareAndSwapConflict(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	c.mustPut("/x/job/1", "free", 0)
	read := c.get("/x/job/1")

	a := c.txn(etcdv3.CompareAndSwap([]byte("/x/job/1"), read.ModRevision, []byte("held by A"), 0))
	b := c.txn(etcdv3.CompareAndSwap([]byte("/x/job/1"), read.ModRevision, []byte("held by B"), 0))
	if !a.Succeeded || b.Succeeded {
		t.Fatalf("A succeeded %v, B succeeded %v: want exactly A", a.Succeeded, b.Succeeded)
	}
	cur := b.Current()
	if cur == nil || string(cur.Value) != "held by A" || cur.ModRevision != a.Header.Revision {
		t.Fatalf("B sees %+v, want A's write at revision %d", cur, a.Header.Revision)
	}
	if got := c.get("/x/job/1"); string(got.Value) != "held by A" || got.Version != 2 {
		t.Fatalf("the record is %+v", got)
	}

	// A key that is absent: compare-and-swap from 0 creates it once.
	if !c.txn(etcdv3.CompareAndSwap([]byte("/x/job/2"), 0, []byte("new"), 0)).Succeeded {
		t.Fatal("compare-and-swap from revision 0 on an absent key was refused")
	}
	if c.txn(etcdv3.CompareAndSwap([]byte("/x/job/2"), 0, []byte("again"), 0)).Succeeded {
		t.Fatal("compare-and-swap from revision 0 on an existing key succeeded")
	}

	// A single-use claim: the second one is refused and sees the first.
	first := c.txn(etcdv3.CreateIfAbsent([]byte("/x/jti/abc"), []byte("replica A"), 0))
	second := c.txn(etcdv3.CreateIfAbsent([]byte("/x/jti/abc"), []byte("replica B"), 0))
	if !first.Succeeded || second.Succeeded {
		t.Fatalf("claims: first %v, second %v", first.Succeeded, second.Succeeded)
	}
	if cur := second.Current(); cur == nil || string(cur.Value) != "replica A" {
		t.Fatalf("the refused claim sees %+v", cur)
	}

	// Only the holder's revision finishes the job.
	if c.txn(etcdv3.CompareAndDelete([]byte("/x/job/1"), read.ModRevision)).Succeeded {
		t.Fatal("a delete from a stale revision succeeded")
	}
	if !c.txn(etcdv3.CompareAndDelete([]byte("/x/job/1"), a.Header.Revision)).Succeeded || c.get("/x/job/1") != nil {
		t.Fatal("the holder could not finish the job")
	}

	// A branch that writes one key twice is etcd's refusal, not a panic or a silent success.
	_, err := c.gw.ParseTxn(c.send(&etcdv3.TxnRequest{Success: []etcdv3.TxnOp{
		{Put: &etcdv3.PutRequest{Key: []byte("/x/d"), Value: []byte("1")}},
		{Put: &etcdv3.PutRequest{Key: []byte("/x/d"), Value: []byte("2")}},
	}}))
	if !errors.Is(err, etcdv3.ErrDuplicateKey) {
		t.Fatalf("err = %v, want ErrDuplicateKey", err)
	}
}

// A lease that expires takes its keys with it; a revoked one at once; afterwards the lease
// is unknown to keepalive, time-to-live, revoke and put.
func TestEtcdGatewayLeaseExpiryRemovesKeys(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	lease := c.grant(1)
	c.mustPut("/x/ctx/1", "context", lease)
	c.mustPut("/x/ctx/2", "context", lease)

	ttl, err := c.gw.ParseLeaseTimeToLive(c.send(&etcdv3.LeaseTimeToLiveRequest{ID: lease, Keys: true}))
	if err != nil || ttl.GrantedTTL != 1 || len(ttl.Keys) != 2 {
		t.Fatalf("time to live: %+v, %v", ttl, err)
	}
	if ka, err := c.gw.ParseLeaseKeepAlive(c.send(&etcdv3.LeaseKeepAliveRequest{ID: lease})); err != nil || ka.TTL != 1 {
		t.Fatalf("keepalive of a live lease: %+v, %v", ka, err)
	}

	// etcd's lessor looks for expired leases every 500 ms, and a leader's lease has a grace:
	// give it a few seconds.
	deadline := time.Now().Add(10 * time.Second)
	for c.get("/x/ctx/1") != nil || c.get("/x/ctx/2") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the keys of a 1 s lease were still there after 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, err := range map[string]error{
		"keepalive":    etcdGWErr(c.gw.ParseLeaseKeepAlive(c.send(&etcdv3.LeaseKeepAliveRequest{ID: lease}))),
		"time to live": etcdGWErr(c.gw.ParseLeaseTimeToLive(c.send(&etcdv3.LeaseTimeToLiveRequest{ID: lease}))),
		"revoke":       etcdGWErr(c.gw.ParseLeaseRevoke(c.send(&etcdv3.LeaseRevokeRequest{ID: lease}))),
		"put":          etcdGWErr(c.put(etcdv3.PutRequest{Key: []byte("/x/ctx/3"), Value: []byte("v"), Lease: lease})),
	} {
		if !errors.Is(err, etcdv3.ErrLeaseNotFound) {
			t.Errorf("%s on an expired lease: %v, want ErrLeaseNotFound", name, err)
		}
	}

	// Revoking ends the keys at once.
	lease = c.grant(60)
	c.mustPut("/x/ctx/4", "context", lease)
	if _, err := c.gw.ParseLeaseRevoke(c.send(&etcdv3.LeaseRevokeRequest{ID: lease})); err != nil {
		t.Fatal(err)
	}
	if kv := c.get("/x/ctx/4"); kv != nil {
		t.Fatalf("after the revoke the key is %+v", kv)
	}
}

func etcdGWErr[T any](_ T, err error) error { return err }

// The range options a store port needs, as etcd answers them: a prefix range, a limit with
// more, keys only, count only, and a read at a past revision.
func TestEtcdGatewayRangeOptions(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	start, end := []byte("/r/"), etcdv3.PrefixEnd([]byte("/r/"))
	first := c.mustPut("/r/a", "1", 0)
	c.mustPut("/r/b", "1", 0)
	c.mustPut("/r/c", "1", 0)
	c.mustPut("/r0", "outside the prefix", 0)
	c.mustPut("/r/a", "2", 0)

	resp, err := c.rangeOf(etcdv3.RangeRequest{Key: start, RangeEnd: end, Limit: 2})
	if err != nil || len(resp.Kvs) != 2 || !resp.More || resp.Count != 3 || string(resp.Kvs[0].Key) != "/r/a" || string(resp.Kvs[0].Value) != "2" {
		t.Fatalf("a limited prefix range: %+v, %v", resp, err)
	}
	resp, err = c.rangeOf(etcdv3.RangeRequest{Key: start, RangeEnd: end, KeysOnly: true})
	if err != nil || len(resp.Kvs) != 3 || len(resp.Kvs[2].Value) != 0 || string(resp.Kvs[2].Key) != "/r/c" || resp.Kvs[0].Version != 2 {
		t.Fatalf("keys only: %+v, %v", resp, err)
	}
	resp, err = c.rangeOf(etcdv3.RangeRequest{Key: start, RangeEnd: end, CountOnly: true})
	if err != nil || len(resp.Kvs) != 0 || resp.Count != 3 {
		t.Fatalf("count only: %+v, %v", resp, err)
	}
	resp, err = c.rangeOf(etcdv3.RangeRequest{Key: []byte("/r/a"), Revision: first})
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "1" || resp.Header.Revision <= first {
		t.Fatalf("/r/a at revision %d: %+v, %v (the header says the current revision)", first, resp, err)
	}
	resp, err = c.rangeOf(etcdv3.RangeRequest{Key: []byte("/r/none")})
	if err != nil || len(resp.Kvs) != 0 || resp.Count != 0 {
		t.Fatalf("an absent key: %+v, %v", resp, err)
	}
}

// A delivery job held by a claim key on a short lease: while the holder renews the lease no
// other replica can take the job; once it stops (it died), the lease expires with the claim
// and another replica's claim succeeds. This is the takeover RATIONALE.md describes.
func TestEtcdGatewayJobClaimTakeover(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	claim := []byte("/x/jobs/42/holder")
	// 2 s rather than 1, so that a renewal every 250 ms has room on a loaded machine.
	leaseA := c.grant(2)
	if !c.txn(etcdv3.CreateIfAbsent(claim, []byte("replica A"), leaseA)).Succeeded {
		t.Fatal("A could not claim a free job")
	}
	// A renews for longer than the lease's TTL; B tries and fails all along.
	leaseB := c.grant(60)
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if _, err := c.gw.ParseLeaseKeepAlive(c.send(&etcdv3.LeaseKeepAliveRequest{ID: leaseA})); err != nil {
			t.Fatalf("A's renewal: %v", err)
		}
		resp := c.txn(etcdv3.CreateIfAbsent(claim, []byte("replica B"), leaseB))
		if resp.Succeeded {
			t.Fatal("B took a job A was renewing")
		}
		if cur := resp.Current(); cur == nil || string(cur.Value) != "replica A" || cur.Lease != leaseA {
			t.Fatalf("B sees the claim as %+v", cur)
		}
	}
	// A dies: no more renewals. B takes over once the claim has expired.
	deadline := time.Now().Add(10 * time.Second)
	for !c.txn(etcdv3.CreateIfAbsent(claim, []byte("replica B"), leaseB)).Succeeded {
		if time.Now().After(deadline) {
			t.Fatal("B could not take over 10 s after A stopped renewing a 2 s lease")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if kv := c.get(string(claim)); kv == nil || string(kv.Value) != "replica B" || kv.Lease != leaseB {
		t.Fatalf("after the takeover the claim is %+v", kv)
	}
}

// A replica follows a key space by polling: a reload in pages at one revision, then changes
// since that revision in pages that end between revisions, including a transaction that put
// two keys at one revision. Plain deletions are invisible to it; tombstones are seen.
func TestEtcdGatewayFollowChangesSinceARevision(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	layout, err := etcdv3.NewLayout("/exeunt/")
	if err != nil {
		t.Fatal(err)
	}
	key := func(id string) string {
		k, err := layout.Key("revoked", id)
		if err != nil {
			t.Fatal(err)
		}
		return string(k)
	}
	start, end, err := layout.Space("revoked")
	if err != nil {
		t.Fatal(err)
	}
	c.mustPut(key("a"), "1", 0)
	c.mustPut(key("b"), "1", 0)
	c.mustPut(key("c"), "1", 0)
	c.mustPut("/exeunt/other/x", "not followed", 0)

	copyOf := map[string]string{}
	apply := func(kvs []etcdv3.KeyValue) {
		for _, kv := range kvs {
			if kv.IsTombstone() {
				delete(copyOf, string(kv.Key))
				continue
			}
			copyOf[string(kv.Key)] = string(kv.Value)
		}
	}

	// The reload, two keys a page, pinned at the first page's revision although a write
	// lands between the pages.
	req := etcdv3.Reload(start, end, 2)
	var revision int64
	for pages := 0; ; pages++ {
		resp, err := c.rangeOf(req)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			c.mustPut(key("d"), "1", 0) // after the snapshot: must not be in it
		}
		apply(resp.Kvs)
		next, rev, done := etcdv3.NextReload(req, resp)
		if done {
			revision = rev
			break
		}
		req = next
	}
	if len(copyOf) != 3 || copyOf[key("a")] != "1" || copyOf[key("c")] != "1" {
		t.Fatalf("after the reload the copy is %v", copyOf)
	}

	// Changes: d (from above), a changed, and e and f put by one transaction.
	c.mustPut(key("a"), "2", 0)
	c.txn(etcdv3.TxnRequest{Success: []etcdv3.TxnOp{
		{Put: &etcdv3.PutRequest{Key: []byte(key("e")), Value: []byte("1")}},
		{Put: &etcdv3.PutRequest{Key: []byte(key("f")), Value: []byte("1")}},
	}})
	// In pages of 3, the first page etcd answers ends inside the transaction's revision (d,
	// a, and one of e and f): the page must stop before it, or the other key is lost.
	polls := etcdGWFollow(t, c, start, end, &revision, apply, 3)
	if polls != 2 {
		t.Errorf("4 changes in pages of 3 came in %d page(s), want 2", polls)
	}
	etcdGWSameAsEtcd(t, c, start, end, copyOf)

	// A plain deletion is invisible to a follower...
	del, err := c.gw.ParseDeleteRange(c.send(&etcdv3.DeleteRangeRequest{Key: []byte(key("b"))}))
	if err != nil || del.Deleted != 1 {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	etcdGWFollow(t, c, start, end, &revision, apply, 10)
	if _, still := copyOf[key("b")]; !still {
		t.Fatal("a plain deletion reached the follower: then tombstones would not be needed")
	}
	delete(copyOf, key("b")) // what a reload would do

	// ...a tombstone is not, and its lease collects it later.
	lease := c.grant(60)
	if _, err := c.put(etcdv3.Tombstone([]byte(key("c")), lease)); err != nil {
		t.Fatal(err)
	}
	etcdGWFollow(t, c, start, end, &revision, apply, 10)
	if _, still := copyOf[key("c")]; still {
		t.Fatal("the follower kept a record after its tombstone")
	}
	if kv := c.get(key("c")); kv == nil || !kv.IsTombstone() || kv.Lease != lease {
		t.Fatalf("the tombstone is %+v", kv)
	}

	// Nothing changed: a poll brings nothing and moves to the current revision.
	before := revision
	if n := etcdGWFollow(t, c, start, end, &revision, func(kvs []etcdv3.KeyValue) {
		if len(kvs) != 0 {
			t.Errorf("an idle poll brought %d keys", len(kvs))
		}
	}, 10); n != 1 || revision < before {
		t.Errorf("an idle poll: %d page(s), revision %d -> %d", n, before, revision)
	}
}

// etcdGWFollow polls the changes since *revision until there are no more, applying each
// page, and returns the number of pages.
func etcdGWFollow(t *testing.T, c *etcdGWClient, start, end []byte, revision *int64, apply func([]etcdv3.KeyValue), limit int64) int {
	t.Helper()
	for pages := 1; ; pages++ {
		resp, err := c.rangeOf(etcdv3.ChangesSince(start, end, *revision, limit))
		if err != nil {
			t.Fatal(err)
		}
		changes, err := etcdv3.ReadChanges(resp, *revision)
		if err != nil {
			t.Fatal(err)
		}
		apply(changes.KVs)
		*revision = changes.Revision
		if !changes.More {
			return pages
		}
		if pages > 100 {
			t.Fatal("more than 100 pages of changes")
		}
	}
}

// etcdGWSameAsEtcd compares a follower's copy with the space in etcd now.
func etcdGWSameAsEtcd(t *testing.T, c *etcdGWClient, start, end []byte, copyOf map[string]string) {
	t.Helper()
	resp, err := c.rangeOf(etcdv3.RangeRequest{Key: start, RangeEnd: end})
	if err != nil {
		t.Fatal(err)
	}
	var inEtcd, inCopy []string
	for _, kv := range resp.Kvs {
		inEtcd = append(inEtcd, string(kv.Key)+"="+string(kv.Value))
	}
	for k, v := range copyOf {
		inCopy = append(inCopy, k+"="+v)
	}
	sort.Strings(inCopy)
	if len(inEtcd) != len(inCopy) {
		t.Fatalf("etcd has %q, the follower %q", inEtcd, inCopy)
	}
	for i := range inEtcd {
		if inEtcd[i] != inCopy[i] {
			t.Fatalf("etcd has %q, the follower %q", inEtcd, inCopy)
		}
	}
}

// With etcd's user and password authentication on (enabled through the gateway): the
// token from /v3/auth/authenticate opens the user's prefix and only that; no token, a wrong
// password, a forged token each get their own error; a restart voids the token (simple
// tokens live in the member's memory), and authenticating again works.
func TestEtcdGatewayAuth(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	c.peer.EnableAuth("root-pw", etcdpeer.User{Name: "exeunt", Password: "exeunt-pw", Prefix: "/exeunt/"})

	if _, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte("/exeunt/a")}); !errors.Is(err, etcdv3.ErrTokenRequired) {
		t.Fatalf("without a token: %v, want ErrTokenRequired", err)
	}
	if _, err := c.gw.ParseAuthenticate(c.send(&etcdv3.AuthenticateRequest{Name: "exeunt", Password: "wrong"})); !errors.Is(err, etcdv3.ErrAuthFailed) {
		t.Fatalf("a wrong password: %v, want ErrAuthFailed", err)
	}
	authenticate := func() {
		t.Helper()
		c.token = ""
		auth, err := c.gw.ParseAuthenticate(c.send(&etcdv3.AuthenticateRequest{Name: "exeunt", Password: "exeunt-pw"}))
		if err != nil {
			t.Fatal(err)
		}
		c.token = auth.Token
	}
	authenticate()
	c.mustPut("/exeunt/a", "1", c.grant(60))
	if kv := c.get("/exeunt/a"); kv == nil || string(kv.Value) != "1" {
		t.Fatalf("with the token: %+v", kv)
	}
	if _, err := c.put(etcdv3.PutRequest{Key: []byte("/other/a"), Value: []byte("1")}); !errors.Is(err, etcdv3.ErrPermissionDenied) {
		t.Fatalf("outside the prefix: %v, want ErrPermissionDenied", err)
	}
	if !c.txn(etcdv3.CreateIfAbsent([]byte("/exeunt/claim"), []byte("x"), 0)).Succeeded {
		t.Fatal("a claim inside the prefix was refused")
	}

	good := c.token
	c.token = "forged.1"
	if _, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte("/exeunt/a")}); !errors.Is(err, etcdv3.ErrInvalidAuthToken) {
		t.Fatalf("a forged token: %v, want ErrInvalidAuthToken", err)
	}

	c.token = good
	c.peer.Restart()
	if _, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte("/exeunt/a")}); !errors.Is(err, etcdv3.ErrInvalidAuthToken) {
		t.Fatalf("a token from before a restart: %v, want ErrInvalidAuthToken", err)
	}
	authenticate()
	if kv := c.get("/exeunt/a"); kv == nil || string(kv.Value) != "1" {
		t.Fatalf("after the restart and a new token: %+v", kv)
	}
}

// Compaction: reads at a compacted revision fail with ErrCompacted (so does a pinned reload,
// which then starts again unpinned), while polling for changes since a revision older than
// the compaction still works, because it reads the current store.
func TestEtcdGatewayCompaction(t *testing.T) {
	c := etcdGWStart(t, etcdpeer.Config{})
	start, end := []byte("/c/"), etcdv3.PrefixEnd([]byte("/c/"))
	old := c.mustPut("/c/a", "1", 0)
	c.mustPut("/c/b", "1", 0)
	now := c.mustPut("/c/a", "2", 0)

	if _, err := c.gw.ParseCompaction(c.send(&etcdv3.CompactionRequest{Revision: now})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte("/c/a"), Revision: old}); !errors.Is(err, etcdv3.ErrCompacted) {
		t.Fatalf("a read at a compacted revision: %v, want ErrCompacted", err)
	}
	if _, err := c.gw.ParseCompaction(c.send(&etcdv3.CompactionRequest{Revision: now})); !errors.Is(err, etcdv3.ErrCompacted) {
		t.Fatalf("compacting again: %v, want ErrCompacted", err)
	}
	if _, err := c.rangeOf(etcdv3.RangeRequest{Key: []byte("/c/a"), Revision: now + 100}); !errors.Is(err, etcdv3.ErrFutureRevision) {
		t.Fatalf("a read at a future revision: %v, want ErrFutureRevision", err)
	}

	// A follower that last saw revision old (now compacted away) still gets what changed.
	revision := old
	got := map[string]string{}
	etcdGWFollow(t, c, start, end, &revision, func(kvs []etcdv3.KeyValue) {
		for _, kv := range kvs {
			got[string(kv.Key)] = string(kv.Value)
		}
	}, 10)
	if len(got) != 2 || got["/c/a"] != "2" || got["/c/b"] != "1" || revision < now {
		t.Fatalf("changes since the compacted revision %d: %v, now at %d", old, got, revision)
	}

	// A reload pinned to a revision that was compacted in the middle fails with
	// ErrCompacted; started again unpinned, it succeeds.
	first := etcdv3.Reload(start, end, 1)
	resp, err := c.rangeOf(first)
	if err != nil {
		t.Fatal(err)
	}
	next, pinned, done := etcdv3.NextReload(first, resp)
	if done {
		t.Fatal("a reload of 2 keys in pages of 1 was done after one page")
	}
	c.mustPut("/c/z", "1", 0)
	later := c.mustPut("/c/z", "2", 0)
	if _, err := c.gw.ParseCompaction(c.send(&etcdv3.CompactionRequest{Revision: later})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.rangeOf(next); !errors.Is(err, etcdv3.ErrCompacted) {
		t.Fatalf("the next page pinned at %d after a compaction at %d: %v, want ErrCompacted", pinned, later, err)
	}
	if resp, err := c.rangeOf(etcdv3.Reload(start, end, 0)); err != nil || len(resp.Kvs) != 3 {
		t.Fatalf("the reload started again: %v, %v", resp, err)
	}
}
