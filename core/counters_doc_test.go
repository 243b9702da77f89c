package core

import (
	"os"
	"strings"
	"testing"
)

// docs/counters.md is the operators' list of the counters: every name counters.go defines
// is in it, as a table row, so an alert built from the page matches what the filter counts.
func TestEveryCounterIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/counters.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	names := append([]string(nil), counterNames...)
	for _, ev := range clientCounterEvents {
		names = append(names, "exeunt.client.<id>."+ev)
	}
	for _, name := range names {
		if !strings.Contains(doc, "| `"+name+"` |") {
			t.Errorf("docs/counters.md has no row for %s", name)
		}
	}
}
