package core

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSortLongestFirstIsStableSort holds sortLongestFirst to the call it replaced,
// slices.SortStableFunc by prefix length, longest first, on random tables with many
// prefixes of one length.
func TestSortLongestFirstIsStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		n := r.IntN(40)
		routes := make([]route, n)
		for i := range routes {
			routes[i] = route{prefix: strings.Repeat("/", 1+r.IntN(6)), rule: string(rune('a' + i%26)), client: &Client{}}
		}
		want := slices.Clone(routes)
		slices.SortStableFunc(want, func(a, b route) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
		got := slices.Clone(routes)
		sortLongestFirst(got)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("round %d: at %d got %q (%s), want %q (%s)", round, i, got[i].prefix, got[i].rule, want[i].prefix, want[i].rule)
			}
		}
	}
}
