package core

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// longestFirst must order routes as the slices.SortStableFunc it replaces did: by prefix
// length, longest first, equal lengths in the configuration's order.
func TestLongestFirstIsTheStableSortByLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 40 {
		routes := make([]route, n)
		for i := range routes {
			routes[i] = route{prefix: "/" + string(make([]byte, r.IntN(6))), rule: string(rune('a'+i%26)) + string(rune('0'+i/26))}
		}
		want := slices.Clone(routes)
		slices.SortStableFunc(want, func(a, b route) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
		longestFirst(routes)
		if !slices.Equal(routes, want) {
			t.Fatalf("%d routes: got %v, want %v", n, routes, want)
		}
	}
}
