package core

import (
	"strconv"
	"testing"
	"time"
)

// Sign-in states are claimed at the callback, before the provider is called, and anyone
// can mint as many as they like (each unauthenticated visit to an app gives a sealed flow
// cookie and its state; the callback with any code claims it). Unbounded, a flood grew
// the local store by its claims for the ten minutes each lives, and every claim rewrote an
// ever larger bucket. The set of claims is bounded like the stored logout contexts: past
// the bound the claims that expire soonest go (a replay of one of those still meets the
// provider's single-use code, or a session already signed out), and the newest stay.
func TestLocalClaimsStayBoundedUnderAFlood(t *testing.T) {
	store := NewMemoryStore()
	c := localClaims{store}
	now := time.Unix(1_800_000_000, 0)
	fresh := func(id string) bool {
		var got bool
		c.claim(claimSignInState, id, now.Add(flowLifetime), now, func(f bool, err error) Decision {
			if err != nil {
				t.Fatal(err)
			}
			got = f
			return Continue()
		})
		return got
	}
	const flood = 60000
	for i := 0; i < flood; i++ {
		now = now.Add(5 * time.Millisecond) // 300 s of claims, all alive at the end
		fresh("state-" + strconv.Itoa(i) + "-abcdefghijklmnopqrstuvwx")
	}
	total := 0
	for _, key := range usedStates.entries.keys {
		raw, _, err := store.Get(key)
		if err == nil {
			total += len(raw)
		}
	}
	if limit := int(usedStates.entries.buckets) * maxClaimBucketBytes; total > limit {
		t.Fatalf("%d live claims take %d bytes of shared data, past the bound of %d", flood, total, limit)
	}
	// The newest claims are kept: a replay of the last one is refused.
	if fresh("state-" + strconv.Itoa(flood-1) + "-abcdefghijklmnopqrstuvwx") {
		t.Fatal("the newest claim was dropped")
	}
}
