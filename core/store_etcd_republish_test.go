package core

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// When a transaction of the give-back fails after earlier ones landed, the log says how
// many were given back and how many were not: a line saying none was given back (or all)
// would tell the operator something that did not happen. A replica that loads afterwards
// refuses exactly the ones written.
func TestEtcdRepublishSaysHowManyItGaveBack(t *testing.T) {
	e := newBarrierEnv(t)
	a, ab := e.replica()
	t0 := time.Now()
	e.follow(a, t0)
	lost := make(map[string]int64, 100)
	for i := 0; i < 100; i++ {
		lost[fmt.Sprintf("give-back-%d", i)] = t0.Add(time.Hour).UnixMilli()
	}
	txns := 0
	answer := func(tb testing.TB, c *Call) CallResult {
		if c.Path == "/v3/kv/txn" {
			if txns++; txns == 2 {
				return CallResult{} // no answer: the second transaction fails
			}
		}
		return e.answer(tb, c)
	}
	ran := true
	settleWith(t, answer, &ran, ab.republish(lost, t0))
	log := strings.Join(e.logs.lines, "\n")
	if !strings.Contains(log, "gave back to etcd 64 of the 100 revocations") {
		t.Fatalf("want the log to say 64 of the 100 were given back; got:\n%s", log)
	}
	c, cb := e.replica()
	e.follow(c, t0.Add(time.Second))
	n := 0
	for sid := range cb.revoked {
		if _, ok := lost[sid]; ok {
			n++
		}
	}
	if n != 64 {
		t.Fatalf("a replica loading afterwards refuses %d of them, want 64", n)
	}
}

// What is given back of a revocation only shared data holds (one another worker of the
// Envoy made, or read when it led the follow) keeps its end: shared data stores ends in
// Unix seconds, etcd's records in Unix ms. Read as ms, the end fell in January 1970, so
// every replica that loaded it dropped it as over, and the lease ran 1 s.
func TestEtcdGiveBackKeepsTheEndsOfSharedRevocations(t *testing.T) {
	now := time.Now()
	until := now.Add(time.Hour)
	shared := &localRevocations{store: NewMemoryStore()}
	shared.revoke("only-in-shared-data", until, now, func(err error) Decision {
		if err != nil {
			t.Fatal(err)
		}
		return Continue()
	})
	b := &etcdBackend{revoked: map[string]int64{}, shared: shared, log: func(s string) { t.Log(s) }}
	got := b.knownRevocations(now)["only-in-shared-data"]
	if got < until.UnixMilli() || got > until.Add(time.Second).UnixMilli() {
		t.Fatalf("given back with its end at %d (%s), want %d (%s) or up to a second later",
			got, time.UnixMilli(got).UTC(), until.UnixMilli(), until.UTC())
	}
}
