package core

import (
	"math/rand"
	"slices"
	"strconv"
	"testing"
)

// TestOldestFirstPicksWhatASortWould: the k records oldestFirst moves to the front are
// the first k of a full sort by start, end and sid, in that order, whatever the input's
// order, with ties on start and end.
func TestOldestFirstPicksWhatASortWould(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := range 200 {
		n := 1 + rng.Intn(40)
		recs := make([]sessionRecord, n)
		for i := range recs {
			recs[i] = sessionRecord{SID: "s" + strconv.Itoa(rng.Intn(1000)) + "-" + strconv.Itoa(i),
				Created: int64(rng.Intn(4)), Expires: int64(rng.Intn(3))}
		}
		want := slices.Clone(recs)
		slices.SortFunc(want, func(a, b sessionRecord) int {
			if older(&a, &b) {
				return -1
			}
			if older(&b, &a) {
				return 1
			}
			return 0
		})
		// The comparison itself, against the fields, once per round.
		for i := 1; i < n; i++ {
			a, b := want[i-1], want[i]
			if a.Created > b.Created || a.Created == b.Created && (a.Expires > b.Expires || a.Expires == b.Expires && a.SID > b.SID) {
				t.Fatalf("round %d: %+v sorted before %+v", round, a, b)
			}
		}
		k := rng.Intn(n + 2)
		got := slices.Clone(recs)
		oldestFirst(got, k)
		for i := 0; i < min(k, n); i++ {
			if got[i].SID != want[i].SID {
				t.Fatalf("round %d, k %d: position %d is %s, want %s", round, k, i, got[i].SID, want[i].SID)
			}
		}
		slices.SortFunc(got, func(a, b sessionRecord) int { return compareSID(a.SID, b.SID) })
		slices.SortFunc(recs, func(a, b sessionRecord) int { return compareSID(a.SID, b.SID) })
		if !slices.EqualFunc(got, recs, func(a, b sessionRecord) bool { return a.SID == b.SID }) {
			t.Fatalf("round %d: records lost or duplicated", round)
		}
	}
}

func compareSID(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
