package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// extraWASIImports are the WASI functions the filter may import beyond the do-nothing
// module's. path_open and path_filestat_get went with crypto/x509 and net (whose init
// opens /etc/protocols), which go-jose imported: core/jose replaced it (RATIONALE.md,
// "Why is JOSE hand-written in core/jose?"), and path_filestat_get is the one Envoy 1.38
// lacks. See also RATIONALE.md, "Why are the pages Go code".
var extraWASIImports = []string{"fd_read"}

// TestFilterWASIImports keeps the filter's WASI imports to the do-nothing module's plus
// extraWASIImports: a package that links os's file functions (html/template through
// reflection, templ's runtime, mime's init) brings imports that Envoys before
// proxy-wasm-cpp-host#533 do not provide, and fails here.
func TestFilterWASIImports(t *testing.T) {
	wasi := func(name string) []string {
		m, err := hostsim.Inspect(context.Background(), wasmFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, imp := range m.Imports {
			if fn, ok := strings.CutPrefix(imp, "wasi_snapshot_preview1."); ok {
				out = append(out, fn)
			}
		}
		return out
	}
	allowed := append(wasi("noop.wasm"), extraWASIImports...)
	for _, fn := range wasi("exeunt.wasm") {
		if !slices.Contains(allowed, fn) {
			t.Errorf("build/exeunt.wasm imports wasi_snapshot_preview1.%s, which the do-nothing module does not; find what links it with "+
				"`go build -ldflags=-dumpdep` (scripts/build-wasm.sh's flags) and keep it out", fn)
		}
	}
}
