package core

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// The sign-out barrier's decisions (store_etcd_barrier.go) on a real etcd, with replicas
// that are backends of their own under one prefix: a revocation's continuation runs only
// once every other member's record has reached its revision, is gone, or has been silent
// for the liveness window on this VM's clock; a member behind and alive until the bound,
// or members that cannot be read, make it "not confirmed" (errOutcomeUnknown). The times
// passed to Wait.Then are the test's: the barrier reads the members again only when one
// is due (barrierPoll after the last read).

// barrierEnv is two or more replicas of one fleet and the test's control over the calls.
type barrierEnv struct {
	t        *testing.T
	answer   func(testing.TB, *Call) CallResult
	set      etcdSettings
	members  []byte // the members space's key, as it appears in a range's JSON body
	reads    int    // reads of the members
	failRead bool   // answer reads of the members with no answer (a timeout)
	before   func() // runs before a read of the members is answered
	logs     *logLines
}

func newBarrierEnv(t *testing.T) *barrierEnv {
	set := etcdTestSettings()
	layout, err := etcdv3.NewLayout(set.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := layout.Space("members")
	e := &barrierEnv{t: t, set: set, logs: &logLines{}, members: []byte(base64.StdEncoding.EncodeToString(key))}
	real := etcdAnswer(etcdURL(t))
	e.answer = func(tb testing.TB, c *Call) CallResult {
		if c.Path == "/v3/kv/range" && bytes.Contains(c.Body, e.members) {
			e.reads++
			if e.before != nil {
				before := e.before
				e.before = nil
				before()
			}
			if e.failRead {
				return CallResult{}
			}
		}
		return real(tb, c)
	}
	return e
}

func (e *barrierEnv) replica() (storePorts, *etcdBackend) {
	p, b, err := newEtcdPorts(e.set, func(s string) { e.logs.log(s); e.t.Log(s) })
	if err != nil {
		e.t.Fatal(err)
	}
	return p, b
}

func (e *barrierEnv) follow(p storePorts, at time.Time) {
	e.t.Helper()
	ran := true
	settleWith(e.t, e.answer, &ran, p.follow(at))
}

// drive answers d's calls up to a final Decision or a Wait.
func (e *barrierEnv) drive(d Decision) Decision {
	e.t.Helper()
	for i := 0; d.Call != nil; i++ {
		if i > 100 {
			e.t.Fatal("over 100 calls")
		}
		d = d.Call.Then(e.answer(e.t, d.Call))
	}
	return d
}

// revoke starts revoking sid at p and drives it up to its end or a Wait; done reports
// whether the continuation ran, and with what.
func (e *barrierEnv) revoke(p storePorts, sid string, now time.Time) (d Decision, done func() (bool, error)) {
	var ran bool
	var got error
	d = e.drive(p.revocations.revoke(sid, now.Add(time.Hour), now, func(err error) Decision {
		ran, got = true, err
		return Continue()
	}))
	return d, func() (bool, error) { return ran, got }
}

func TestEtcdBarrierWaitsForEveryOtherMember(t *testing.T) {
	e := newBarrierEnv(t)
	a, ab := e.replica()
	b, bb := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	e.follow(b, t0)
	if ab.ownMemberID() == "" || bb.ownMemberID() == "" || ab.ownMemberID() == bb.ownMemberID() {
		t.Fatalf("member ids after the first loads: %q, %q", ab.ownMemberID(), bb.ownMemberID())
	}

	t.Run("Ahead", func(t *testing.T) {
		// B follows (and acknowledges) before A's barrier reads the members.
		e.before = func() { e.follow(b, t0.Add(time.Second)) }
		d, done := e.revoke(a, "ahead", t0.Add(time.Second))
		if ran, err := done(); !ran || err != nil || d.Wait != nil {
			t.Fatalf("with B's record ahead: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
		}
	})

	t.Run("BehindThenAhead", func(t *testing.T) {
		at := t0.Add(2 * time.Second)
		d, done := e.revoke(a, "behind", at)
		if ran, _ := done(); ran || d.Wait == nil {
			t.Fatalf("with B's record behind: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
		}
		// A tick too soon reads nothing: no busy loop.
		reads := e.reads
		d = e.drive(d.Wait.Then(at.Add(barrierPoll / 2)))
		if ran, _ := done(); ran || d.Wait == nil || e.reads != reads {
			t.Fatalf("a tick within barrierPoll: ran %v, waiting %v, %d reads (want none)", ran, d.Wait != nil, e.reads-reads)
		}
		e.follow(b, at.Add(barrierPoll)) // B reads the revocation and acknowledges it
		d = e.drive(d.Wait.Then(at.Add(barrierPoll)))
		if ran, err := done(); !ran || err != nil || d.Wait != nil {
			t.Fatalf("once B acknowledged: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
		}
	})

	t.Run("ReadFailsNotConfirmed", func(t *testing.T) {
		e.failRead = true
		defer func() { e.failRead = false }()
		_, done := e.revoke(a, "unread", t0.Add(3*time.Second))
		ran, err := done()
		if !ran || !errors.Is(err, errOutcomeUnknown) || !errors.Is(err, errBarrierUnread) {
			t.Fatalf("with the members unreadable: ran %v, err %v (want errOutcomeUnknown)", ran, err)
		}
		// The revocation is in etcd all the same: A refuses it, and B once it follows.
		e.follow(b, t0.Add(3*time.Second))
		if r, err := b.revocations.isRevoked("unread", t0.Add(3*time.Second)); !r || err != nil {
			t.Fatalf("B after its follow: %v, %v", r, err)
		}
	})

	t.Run("AliveButBehindUntilTheBound", func(t *testing.T) {
		at := t0.Add(4 * time.Second)
		d, done := e.revoke(a, "bound", at)
		if d.Wait == nil {
			t.Fatal("no Wait with B behind")
		}
		// B's record keeps changing (it is alive) but never reaches the revocation: as a
		// replica whose heartbeat is written while its follows of revoked/ fail.
		key, _ := bb.key("members", bb.ownMemberID())
		for step := barrierPoll; d.Wait != nil; step += 500 * time.Millisecond {
			if step > 2*barrierBound {
				t.Fatal("the barrier outlived its bound")
			}
			if err := runOp(e, bb, &etcdv3.PutRequest{Key: key, Value: []byte("1")}); err != nil {
				t.Fatal(err)
			}
			d = e.drive(d.Wait.Then(at.Add(step)))
		}
		if ran, err := done(); !ran || !errors.Is(err, errOutcomeUnknown) {
			t.Fatalf("past the bound: ran %v, err %v (want errOutcomeUnknown)", ran, err)
		}
		if e.logs.count("was not acknowledged within 4s by replica") != 1 {
			t.Fatalf("the give-up was not logged once: %q", e.logs.lines)
		}
	})

	t.Run("Silent", func(t *testing.T) {
		at := t0.Add(20 * time.Second)
		e.follow(b, at) // B acknowledges what it missed, then stops
		d, done := e.revoke(a, "silent", at)
		if d.Wait == nil {
			t.Fatal("no Wait with B behind")
		}
		// B stops (killed): its record stays (its lease is still alive) and never changes.
		for step := barrierPoll; step <= memberLiveness; step += 500 * time.Millisecond {
			if d = e.drive(d.Wait.Then(at.Add(step))); d.Wait == nil {
				t.Fatalf("passed over B after %s of silence, before the liveness window (%s)", step, memberLiveness)
			}
		}
		d = e.drive(d.Wait.Then(at.Add(memberLiveness + barrierPoll)))
		if ran, err := done(); !ran || err != nil || d.Wait != nil {
			t.Fatalf("B silent past the liveness window: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
		}
		if n := e.logs.count("sign-outs no longer wait for replica " + bb.ownMemberID()); n != 1 {
			t.Fatalf("%d lines say B was passed over, want 1: %q", n, e.logs.lines)
		}
		// The next sign-out passes over B at once (seen silent on this VM's clock), and
		// says so no more.
		d, done = e.revoke(a, "silent2", at.Add(memberLiveness+time.Second))
		if ran, err := done(); !ran || err != nil || d.Wait != nil {
			t.Fatalf("the next sign-out with B silent: ran %v, err %v", ran, err)
		}
		if n := e.logs.count("sign-outs no longer wait for replica " + bb.ownMemberID()); n != 1 {
			t.Fatalf("%d lines say B was passed over, want 1", n)
		}
	})

	t.Run("Gone", func(t *testing.T) {
		// A third replica appears and acknowledges its load, then its record goes (its lease
		// ended: a dead replica): it is not waited for.
		c, cb := e.replica()
		at := t0.Add(30 * time.Second)
		e.follow(c, at)
		e.follow(b, at) // B is alive again
		d, done := e.revoke(a, "gone", at)
		if d.Wait == nil {
			t.Fatal("no Wait with B and C behind")
		}
		e.follow(b, at.Add(barrierPoll))
		key, _ := cb.key("members", cb.ownMemberID())
		if err := runOp(e, cb, &etcdv3.DeleteRangeRequest{Key: key}); err != nil {
			t.Fatal(err)
		}
		d = e.drive(d.Wait.Then(at.Add(barrierPoll)))
		if ran, err := done(); !ran || err != nil || d.Wait != nil {
			t.Fatalf("C's record gone, B ahead: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
		}
	})
}

// A sign-out found done already (its session revoked by an earlier attempt, here or
// elsewhere) is reported only once every replica refuses it too: settled waits at the
// revision of the revocation's record.
func TestEtcdBarrierSettledWaitsForTheRevocationsRevision(t *testing.T) {
	e := newBarrierEnv(t)
	a, ab := e.replica()
	b, _ := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	e.follow(b, t0)
	settle := func(sid string, at time.Time) (Decision, func() (bool, error)) {
		ran := false
		var got error
		d := e.drive(a.settled(sid, at, func(err error) Decision { ran, got = true, err; return Continue() }))
		return d, func() (bool, error) { return ran, got }
	}
	// Revoked in etcd by a replica whose sign-out was never confirmed (the test writes it).
	key, _ := ab.key("revoked", "earlier")
	if err := runOp(e, ab, &etcdv3.PutRequest{Key: key, Value: untilValue(t0.Add(time.Hour), nil)}); err != nil {
		t.Fatal(err)
	}
	d, done := settle("earlier", t0)
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("B has not read the revocation: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	e.follow(b, t0.Add(barrierPoll))
	// A's own record counts too: a revocation made before may not be in every VM of A
	// (its follow shares it, and the record claims only what is shared).
	d = e.drive(d.Wait.Then(t0.Add(barrierPoll)))
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("A has not followed the revocation: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	e.follow(a, t0.Add(2*barrierPoll))
	d = e.drive(d.Wait.Then(t0.Add(2 * barrierPoll)))
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("once A and B read it: ran %v, err %v", ran, err)
	}
	// A revocation etcd no longer has (its session's end passed) waits for nobody.
	if _, done := settle("unknown", t0); !mustRun(t, done) {
		t.Fatal("settled for a revocation not in etcd did not go on at once")
	}
}

func mustRun(t *testing.T, done func() (bool, error)) bool {
	t.Helper()
	ran, err := done()
	if err != nil {
		t.Fatal(err)
	}
	return ran
}

// etcd restored from an older backup answers below the revocation's revision for good:
// the barrier reads at most once per tick, and says "not confirmed" at its bound.
func TestEtcdBarrierBelowTheRevisionMakesNoLoop(t *testing.T) {
	e := newBarrierEnv(t)
	a, _ := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	behind := regexp.MustCompile(`"revision":"[0-9]+"`)
	real := e.answer
	e.answer = func(tb testing.TB, c *Call) CallResult {
		r := real(tb, c)
		if c.Path == "/v3/kv/range" && bytes.Contains(c.Body, e.members) {
			r.Body = behind.ReplaceAll(r.Body, []byte(`"revision":"1"`))
		}
		return r
	}
	reads := e.reads
	d, done := e.revoke(a, "restored", t0)
	ticks := 0
	for at := t0; d.Wait != nil; at = at.Add(urgentTick) {
		if ticks++; ticks > 200 {
			t.Fatal("the barrier outlived its bound")
		}
		d = e.drive(d.Wait.Then(at.Add(urgentTick)))
	}
	if ran, err := done(); !ran || !errors.Is(err, errOutcomeUnknown) {
		t.Fatalf("with etcd below the revision: ran %v, err %v (want not confirmed)", ran, err)
	}
	if n := e.reads - reads; n > ticks+2 {
		t.Fatalf("%d reads of the members in %d ticks", n, ticks)
	}
}

// A fleet of one replica (or the VMs of one Envoy) never waits: one read of the members
// finds no other.
func TestEtcdBarrierAloneDoesNotWait(t *testing.T) {
	e := newBarrierEnv(t)
	a, _ := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	reads := e.reads
	d, done := e.revoke(a, "alone", t0)
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("alone: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
	}
	if e.reads-reads != 1 {
		t.Fatalf("%d reads of the members, want 1", e.reads-reads)
	}
	// end (the sign-out's own step) takes the same barrier.
	var got error
	ran := false
	d = e.drive(a.revocations.end("alone2", anyRecord, t0.Add(time.Hour), deliveryJob{}, t0, func(_ ended, err error) Decision {
		ran, got = true, err
		return Continue()
	}))
	if !ran || got != nil || d.Wait != nil {
		t.Fatalf("end alone: ran %v, err %v", ran, got)
	}
	if strings.Contains(strings.Join(e.logs.lines, "\n"), "no longer wait") {
		t.Fatal("a replica alone passed someone over")
	}
}

// runOp sends one request through b's connection to etcd (the test stands in for a
// replica, or for etcd ending a lease).
func runOp(e *barrierEnv, b *etcdBackend, op etcdv3.Op) error {
	var got error
	ran := false
	d := b.call(op, func(status int, body []byte, err error) Decision {
		if err == nil && status != 200 {
			err = errors.New(string(body))
		}
		ran, got = true, err
		return Continue()
	})
	e.drive(d)
	if !ran {
		e.t.Fatal("the call's continuation never ran")
	}
	return got
}

// A replica's record claims a revision only once every VM of it refuses what came
// before. G (a VM of replica R) loads; replica A revokes x; F (another VM of R) loads,
// x in its load. A's barrier may pass on R's record only if G refuses x then too: G has
// not followed since its load, so it knows of x only if F's load went to shared data.
func TestEtcdBarrierWaitsForEveryVMOfAReplica(t *testing.T) {
	e := newBarrierEnv(t)
	a, _ := e.replica()
	shared := NewMemoryStore()
	vm := func() storePorts {
		p, b := e.replica()
		b.shared, b.sharedStore = &localRevocations{store: shared}, shared
		return p
	}
	t0 := time.Now()
	e.follow(a, t0)
	g := vm()
	e.follow(g, t0)
	d, done := e.revoke(a, "x", t0)
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("with R's record behind: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	f := vm()
	e.follow(f, t0.Add(barrierPoll/2)) // F's first load, which has x
	at := t0.Add(barrierPoll)
	d = e.drive(d.Wait.Then(at))
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("once R's record is past x: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
	}
	if r, err := g.revocations.isRevoked("x", at); !r || err != nil {
		t.Fatalf("x reported signed out while G, a VM of R, serves it: revoked %v, %v", r, err)
	}
}

// failingRevocations is shared data whose revocation writes fail while failing is set
// (the other keys, the follow stamp and the membership, work).
type failingRevocations struct {
	Store
	failing *bool
}

func (s failingRevocations) Set(key string, value []byte, version uint32) error {
	if *s.failing && strings.HasPrefix(key, "exeunt/revoked/") {
		return errors.New("shared data refused the write (test)")
	}
	return s.Store.Set(key, value, version)
}

// A revocation that this Envoy's other VMs could not be told of at once (shared data
// refused it) is not reported before they refuse it: the barrier then waits for this
// Envoy's own record too, which claims only what shared data holds.
func TestEtcdBarrierWaitsForItsOwnVMsWhenSharedDataFailed(t *testing.T) {
	e := newBarrierEnv(t)
	failing := false
	shared := failingRevocations{NewMemoryStore(), &failing}
	vm := func() storePorts {
		p, b := e.replica()
		b.shared, b.sharedStore = &localRevocations{store: shared}, shared
		return p
	}
	t0 := time.Now()
	p, q := vm(), vm()
	e.follow(p, t0)
	e.follow(q, t0)
	failing = true
	d, done := e.revoke(p, "x", t0)
	if ran, err := done(); ran && err == nil {
		if r, err := q.revocations.isRevoked("x", t0); !r || err != nil {
			t.Fatalf("x reported signed out while Q, a VM of the same Envoy, serves it: revoked %v, %v", r, err)
		}
	}
	if d.Wait == nil {
		t.Fatal("no Wait, and not reported either")
	}
	failing = false
	at := t0.Add(time.Second)
	e.follow(p, at) // leads the Envoy's follow: x goes to shared data, the record past it
	d = e.drive(d.Wait.Then(at))
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("once shared data holds x: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
	}
	if r, err := q.revocations.isRevoked("x", at); !r || err != nil {
		t.Fatalf("Q after the Envoy's follow: revoked %v, %v", r, err)
	}
}

// A replica starting up has its record in etcd before it loads: a sign-out made after
// its load read etcd, but before its record would have been written after the load, is
// waited for, and reported only once the starting replica refuses it.
func TestEtcdBarrierWaitsForAReplicaStartingUp(t *testing.T) {
	e := newBarrierEnv(t)
	a, _ := e.replica()
	r, _ := e.replica()
	layout, _ := etcdv3.NewLayout(e.set.Prefix)
	revokedKey, _, _ := layout.Space("revoked")
	revokedSpace := []byte(base64.StdEncoding.EncodeToString(revokedKey))
	t0 := time.Now()
	e.follow(a, t0)
	var d Decision
	var done func() (bool, error)
	load := r.follow(t0)
	for i := 0; load.Call != nil; i++ {
		if i > 20 {
			t.Fatal("over 20 calls in R's first load")
		}
		c := load.Call
		res := e.answer(t, c)
		if done == nil && c.Path == "/v3/kv/range" && bytes.Contains(c.Body, revokedSpace) {
			// R's load has read etcd: A revokes x now, before R goes on.
			d, done = e.revoke(a, "x", t0)
		}
		load = c.Then(res)
	}
	if done == nil {
		t.Fatal("R never read the revocations")
	}
	for i := 1; ; i++ {
		if ran, err := done(); ran {
			if r2, err2 := r.revocations.isRevoked("x", t0.Add(time.Duration(i)*barrierPoll)); err == nil && (!r2 || err2 != nil) {
				t.Fatalf("x reported signed out while R, starting up, serves it: revoked %v, %v", r2, err2)
			}
			break
		}
		if i > 10 || d.Wait == nil {
			t.Fatalf("not reported after %d ticks (waiting %v)", i, d.Wait != nil)
		}
		at := t0.Add(time.Duration(i) * barrierPoll)
		e.follow(r, at) // R follows on: it reads x and acknowledges it
		d = e.drive(d.Wait.Then(at))
	}
}

// A member record that claims a revision at or past its own write's is a claim on a
// history etcd no longer has (it lost its data, or was restored from an older backup):
// no replica following this etcd can have read that far before writing it, so it
// acknowledges nothing, and a sign-out waits for the replica's next true record.
func TestEtcdBarrierTakesNoClaimOnALostHistory(t *testing.T) {
	e := newBarrierEnv(t)
	a, _ := e.replica()
	b, bb := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	e.follow(b, t0)
	key, err := bb.key("members", bb.ownMemberID())
	if err != nil {
		t.Fatal(err)
	}
	if err := runOp(e, bb, &etcdv3.PutRequest{Key: key, Value: []byte("999999999")}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Second)
	d, done := e.revoke(a, "lost-history", at)
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("with B's record claiming a lost history's revision: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	e.follow(b, at.Add(barrierPoll)) // B reads the revocation and writes a true record
	d = e.drive(d.Wait.Then(at.Add(barrierPoll)))
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("once B acknowledged: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
	}
}

// Right after etcd lost its history, the other replicas' records are gone until each has
// followed (and reloaded) again, while each still serves from its old copy: a barrier
// that finds etcd below the revision its VM followed to (here: a copy that claims a far
// revision) passes on no absent record until memberLiveness has gone by.
func TestEtcdBarrierWaitsOutALostHistory(t *testing.T) {
	e := newBarrierEnv(t)
	a, ab := e.replica()
	b, bb := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	e.follow(b, t0)
	key, err := bb.key("members", bb.ownMemberID())
	if err != nil {
		t.Fatal(err)
	}
	if err := runOp(e, bb, &etcdv3.DeleteRangeRequest{Key: key}); err != nil { // gone with etcd's data
		t.Fatal(err)
	}
	ab.revision = 1 << 40 // what A followed to in the history etcd lost
	at := t0.Add(time.Second)
	d, done := e.revoke(a, "after-the-loss", at)
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("with etcd found behind A and B's record gone: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	// A's follow finds etcd behind it too, and reloads (from then on it reads etcd at
	// revisions that belong to it).
	reloaded := at.Add(barrierPoll)
	e.follow(a, reloaded)
	if ab.revision >= 1<<40 || !strings.Contains(strings.Join(e.logs.lines, "\n"), "reloading every revocation") {
		t.Fatalf("A did not reload (revision %d)", ab.revision)
	}
	d = e.drive(d.Wait.Then(reloaded.Add(memberLiveness - barrierPoll)))
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("within memberLiveness of the loss: ran %v, waiting %v (want a Wait)", ran, d.Wait != nil)
	}
	d = e.drive(d.Wait.Then(reloaded.Add(memberLiveness + barrierPoll)))
	if ran, err := done(); !ran || err != nil || d.Wait != nil {
		t.Fatalf("past memberLiveness (B silent, passed over): ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
	}
}

// An etcd outage longer than memberLiveness leaves every member's record unchanged across
// it, though no replica died: no record can change while etcd is down. The first sign-out
// once etcd answers again must still wait for a live member that has not acknowledged it
// (it was passed over as silent, and reported while that member still served the session
// from its copy: TestFleetProbe/SignOutRightAfterAnEtcdOutageWaitsForTheOtherReplica), and
// pass over a member that stays silent only after memberLiveness counted from then.
func TestEtcdBarrierAfterAnEtcdOutageWaitsForLiveMembers(t *testing.T) {
	for _, followedAgain := range []bool{true, false} {
		t.Run(map[bool]string{true: "FollowedAgain", false: "NotFollowedYet"}[followedAgain], func(t *testing.T) {
			e := newBarrierEnv(t)
			t0 := time.Now()
			a, b := signedOutBeforeAnOutage(t, e, t0)
			// etcd does not answer for 4 s: A's follows fail.
			real := e.answer
			e.answer = func(testing.TB, *Call) CallResult { return CallResult{} }
			for at := t0.Add(1500 * time.Millisecond); at.Before(t0.Add(5 * time.Second)); at = at.Add(time.Second) {
				e.follow(a, at)
			}
			e.answer = real
			back := t0.Add(5 * time.Second)
			if followedAgain {
				e.follow(a, back)
			}
			d, done := e.revoke(a, "after", back.Add(barrierPoll))
			if ran, _ := done(); ran || d.Wait == nil {
				t.Fatalf("the first sign-out after the outage passed over B, alive, whose record could not change while etcd was down (ran %v)\n%q", ran, e.logs.lines)
			}
			// B follows again and acknowledges: the sign-out is reported.
			e.follow(b, back.Add(2*barrierPoll))
			d = e.drive(d.Wait.Then(back.Add(3 * barrierPoll)))
			if ran, err := done(); !ran || err != nil || d.Wait != nil {
				t.Fatalf("once B acknowledged: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
			}
			if !followedAgain {
				// A VM whose follows are failing judges no member silent (it cannot tell
				// its own blindness from theirs); from its next follow on it does.
				e.follow(a, back.Add(4*barrierPoll))
			}
			// A B that stays silent from now on is passed over once its record has not
			// changed for memberLiveness since the read that saw its acknowledgement
			// (back + 3 barrierPoll), not before.
			lastChange := back.Add(3 * barrierPoll)
			d, done = e.revoke(a, "silent", back.Add(time.Second))
			if d.Wait == nil {
				t.Fatal("no Wait with B behind")
			}
			d = e.drive(d.Wait.Then(lastChange.Add(memberLiveness - barrierPoll)))
			if ran, _ := done(); ran {
				t.Fatal("B passed over before memberLiveness")
			}
			d = e.drive(d.Wait.Then(lastChange.Add(memberLiveness + barrierPoll)))
			if ran, err := done(); !ran || err != nil || d.Wait != nil {
				t.Fatalf("B silent past memberLiveness: ran %v, err %v, waiting %v", ran, err, d.Wait != nil)
			}
		})
	}
}

// A VM that did not follow during an etcd outage (another worker led the follows) but
// whose own calls failed in it has seen etcd down: the first sign-out after it still
// waits for a live member whose record could not change meanwhile. (TestFleetProbe's
// outage scenario passed B over now and then, when the worker that took the sign-out had
// adopted the shared follows less than memberLiveness apart and only its delivery-queue
// read had failed.)
func TestEtcdBarrierAfterAFailedCallWaitsForLiveMembers(t *testing.T) {
	e := newBarrierEnv(t)
	t0 := time.Now()
	a, _ := signedOutBeforeAnOutage(t, e, t0)
	// etcd does not answer for 4 s; A does not follow, but a sign-out's call fails.
	real := e.answer
	e.answer = func(testing.TB, *Call) CallResult { return CallResult{At: t0.Add(2 * time.Second)} }
	d, done := e.revoke(a, "during", t0.Add(2*time.Second))
	for d.Wait != nil {
		d = e.drive(d.Wait.Then(t0.Add(2500 * time.Millisecond)))
	}
	if ran, err := done(); ran && err == nil {
		t.Fatal("a sign-out while etcd did not answer was reported done")
	}
	e.answer = real
	back := t0.Add(5 * time.Second)
	e.follow(a, back)
	d, done = e.revoke(a, "after", back.Add(barrierPoll))
	if ran, _ := done(); ran || d.Wait == nil {
		t.Fatalf("the first sign-out after the outage passed over B, alive, whose record could not change while etcd was down (ran %v)\n%q", ran, e.logs.lines)
	}
}

// signedOutBeforeAnOutage starts replicas A and B following at t0 and has A take a
// sign-out at t0 + 1 s, reading B's record as it stands; the outage tests start there.
func signedOutBeforeAnOutage(t *testing.T, e *barrierEnv, t0 time.Time) (a, b storePorts) {
	t.Helper()
	a, _ = e.replica()
	b, _ = e.replica()
	e.follow(a, t0)
	e.follow(b, t0)
	e.before = func() { e.follow(b, t0.Add(time.Second)) }
	if d, done := e.revoke(a, "before", t0.Add(time.Second)); d.Wait != nil {
		t.Fatal("the sign-out before the outage waits")
	} else if ran, err := done(); !ran || err != nil {
		t.Fatalf("the sign-out before the outage: ran %v, err %v", ran, err)
	}
	return a, b
}
