package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestStripNamesDropsOnlyTheNameSection: every other section of a Go module stays, byte
// for byte and in order; the stripped module runs _initialize to the same memory; its
// names are readable from the original and not from the stripped one; stripping twice is
// an error.
func TestStripNamesDropsOnlyTheNameSection(t *testing.T) {
	mod := goModule(t)
	names, err := functionNames(mod)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range names {
		found = found || n == "runtime.main"
	}
	if !found || len(names) < 100 {
		t.Fatalf("%d function names, runtime.main among them: %v", len(names), found)
	}
	stripped, dropped, err := stripNames(mod)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := sections(mod)
	after, err := sections(stripped)
	if err != nil {
		t.Fatal(err)
	}
	var want []section
	for _, s := range before {
		if s.id == 0 && strings.HasPrefix(string(s.payload[1:]), "name") && s.payload[0] == 4 {
			continue
		}
		want = append(want, s)
	}
	if len(after) != len(before)-1 || len(after) != len(want) {
		t.Fatalf("%d sections before, %d after", len(before), len(after))
	}
	for i := range want {
		if after[i].id != want[i].id || !bytes.Equal(after[i].payload, want[i].payload) {
			t.Fatalf("section %d (id %d) changed", i, want[i].id)
		}
	}
	if len(mod)-len(stripped) < dropped || dropped < 1000 {
		t.Fatalf("dropped %d bytes of names: %d -> %d", dropped, len(mod), len(stripped))
	}
	if !bytes.Equal(memoryAfterInitialize(t, mod), memoryAfterInitialize(t, stripped)) {
		t.Fatal("the stripped module's memory after _initialize differs")
	}
	if _, err := functionNames(stripped); err == nil {
		t.Error("names read from a stripped module")
	}
	if _, _, err := stripNames(stripped); err == nil || !strings.Contains(err.Error(), "no name section") {
		t.Errorf("stripping again: %v", err)
	}
}
