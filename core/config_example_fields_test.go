package core

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// docs/configuration.md's complete example promises "every field, with its default where
// it has one": every field the parser reads must be in it. ready_path and
// cookie.forward_to_apps were not.
func TestTheCompleteExampleHasEveryField(t *testing.T) {
	data, err := os.ReadFile("testdata/example-config.json")
	if err != nil {
		t.Fatal(err)
	}
	fields, err := ConfigFields(data)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if !hasPath(doc, strings.Split(f.Path, ".")) {
			t.Errorf("field %q is missing from docs/configuration.md's complete example (core/testdata/example-config.json)", f.Path)
		}
	}
}

// hasPath tells whether v holds the field path, where "name[]" is every element of list
// name (a list needs at least one element holding the rest).
func hasPath(v any, path []string) bool {
	if len(path) == 0 {
		return true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	name, list := strings.CutSuffix(path[0], "[]")
	next, ok := obj[name]
	if !ok {
		return false
	}
	if !list {
		return hasPath(next, path[1:])
	}
	items, _ := next.([]any)
	for _, it := range items {
		if hasPath(it, path[1:]) {
			return true
		}
	}
	return len(items) > 0 && len(path) == 1
}
