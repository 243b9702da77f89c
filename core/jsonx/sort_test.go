package jsonx

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortNamesIsSlicesSort holds SortNames to slices.Sort, which it replaced, on random
// lists of every small length, with repeated names and names that are prefixes of others.
func TestSortNamesIsSlicesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"", "a", "ab", "b", "é", "A", "a\x00", "zz", "\xff"}
	for n := range 60 {
		for range 30 {
			names := make([]string, n)
			for i := range names {
				names[i] = alphabet[r.IntN(len(alphabet))] + alphabet[r.IntN(len(alphabet))]
			}
			want := slices.Clone(names)
			slices.Sort(want)
			SortNames(names)
			if !slices.Equal(names, want) {
				t.Fatalf("got %q, want %q", names, want)
			}
		}
	}
}
