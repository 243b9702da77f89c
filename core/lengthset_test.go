package core

import (
	"strings"
	"testing"
)

func TestLengthSet(t *testing.T) {
	var s lengthSet
	for _, n := range []int{0, 1, 63, 64, 65, 511} {
		if s.mayHave(strings.Repeat("a", n)) {
			t.Fatalf("empty set has length %d", n)
		}
	}
	keys := []string{"", "/", "/signin-oidc", strings.Repeat("x", 63), strings.Repeat("x", 64), strings.Repeat("x", 511), strings.Repeat("x", 600)}
	for _, k := range keys {
		s.add(k)
	}
	for _, k := range keys {
		if !s.mayHave(k) {
			t.Fatalf("added length %d missing", len(k))
		}
	}
	for _, n := range []int{2, 11, 13, 62, 65, 510} {
		if s.mayHave(strings.Repeat("a", n)) {
			t.Fatalf("length %d never added, yet present", n)
		}
	}
	// Every length from 512 up shares one bit.
	if !s.mayHave(strings.Repeat("a", 512)) || !s.mayHave(strings.Repeat("a", 5000)) {
		t.Fatal("a long key (512 or more) must always be looked up once one was added")
	}
}
