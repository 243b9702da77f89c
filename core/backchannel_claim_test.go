package core

import (
	"net/url"
	"testing"
	"time"
)

// On an asynchronous store (etcd), claiming the due deliveries is a chain of store calls
// (read the queue, then a compare-and-swap per job). A VM's tick must not start another
// claim while its last one still waits for the store: under load (the fleet benchmark, 100
// sign-outs a second on a busy machine) every urgent tick (50 ms) started another chain,
// the chains of four VMs fought over the same jobs, etcd's answers slowed past the call
// timeout, and deliveries stopped altogether.
func TestDeliveryClaimsDoNotPileUpOnASlowStore(t *testing.T) {
	deferStorePorts = true
	defer func() { deferStorePorts = false }()
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))

	first := s.e.OnTick(s.now)
	if storeCalls(first) == 0 {
		t.Fatalf("the tick after a sign-out made no store call (claiming its delivery): %d calls", len(first))
	}
	// The store has not answered yet: the next ticks start no new claim.
	for i := 1; i <= 3; i++ {
		if n := storeCalls(s.e.OnTick(s.now.Add(time.Duration(i) * urgentTick))); n != 0 {
			t.Fatalf("tick %d started %d more store calls while the first claim still waits for the store", i, n)
		}
	}
	// Once the first claim's chain is answered, the delivery goes out, and later ticks
	// claim again.
	for _, c := range first {
		s.follow(c)
	}
	s.tick()
	if len(s.apps.tokens) == 0 {
		t.Fatal("no logout token was delivered once the store answered")
	}
}

// storeCalls counts the calls to the deferred store among calls.
func storeCalls(calls []*Call) int {
	n := 0
	for _, c := range calls {
		if c.Cluster == storeTestCluster {
			n++
		}
	}
	return n
}
