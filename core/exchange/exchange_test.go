package exchange

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestHeaderLookups(t *testing.T) {
	hs := []Header{{Name: "set-cookie", Value: "a=1"}, {Name: "x", Value: "y"}, {Name: "set-cookie", Value: "b=2"}}
	if got := (Request{Headers: hs}).Header("set-cookie"); got != "a=1" {
		t.Errorf("Request.Header = %q, want the first value", got)
	}
	if got := (CallResult{Headers: hs}).Header("X"); got != "" {
		t.Errorf("CallResult.Header(%q) = %q, want \"\" (names are matched as given, lower-case)", "X", got)
	}
	if got := HeaderValue(hs, "missing"); got != "" {
		t.Errorf("HeaderValue(missing) = %q", got)
	}
}

func TestContinues(t *testing.T) {
	for _, tt := range []struct {
		d    Decision
		want bool
	}{
		{Continue(), true},
		{Decision{SetHeaders: []Header{{Name: "a", Value: "b"}}, Background: []*Call{{}}}, true},
		{Respond(&Response{Status: 204}), false},
		{Decision{Call: &Call{}}, false},
		{Decision{ReadBody: true}, false},
		{Decision{Wait: &Wait{}}, false},
	} {
		if got := tt.d.Continues(); got != tt.want {
			t.Errorf("%+v.Continues() = %v, want %v", tt.d, got, tt.want)
		}
	}
}

// The package is a leaf: the standard library only, so that every package under core
// may import it.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	for _, f := range files {
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: package exchange must import only the standard library", f, path)
			}
		}
	}
}
