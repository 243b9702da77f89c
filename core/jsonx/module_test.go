package jsonx

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The Proxy-Wasm module must not link encoding/json again: one Marshal or Unmarshal call
// anywhere in its packages brings back its whole reflection-driven encoder and decoder
// (about 0.86 MB; BENCHMARKS.md, "Issue 15: encoding/json out of the module"). The module's
// packages are those `go list -deps` gives for ./cmd/exeunt built as scripts/build-wasm.sh
// builds it (GOOS=wasip1 GOARCH=wasm, no build tags; its SDK overlay changes files of the
// SDK's internal package, which imports neither). Tests may use encoding/json freely.
func TestModuleDoesNotLinkEncodingJSON(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go tool to list the module's packages: %v", err)
		}
	}
	cmd := exec.Command(goTool, "list", "-deps", "./cmd/exeunt")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/exeunt: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	// The list is the module's: it has the filter's packages, this one among them.
	for _, want := range []string{"github.com/exeunt/exeunt/cmd/exeunt", "github.com/exeunt/exeunt/core", "github.com/exeunt/exeunt/core/jsonx"} {
		if !slices.Contains(deps, want) {
			t.Fatalf("go list -deps ./cmd/exeunt does not list %s: not the module's packages?\n%s", want, out)
		}
	}
	for _, banned := range []string{"encoding/json"} {
		if slices.Contains(deps, banned) {
			t.Errorf("the module links %s again; find the importer with\n"+
				"  GOOS=wasip1 GOARCH=wasm go list -f '{{.ImportPath}}: {{.Imports}}' -deps ./cmd/exeunt | grep %s\n"+
				"and use core/jsonx there instead", banned, banned)
		}
	}
}
