package e2e

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// The modules are built by `make wasm`, which `make test` runs first. A
// missing one fails with the command to run; it is never skipped.
var (
	wasmMu    sync.Mutex
	wasmCache = map[string][]byte{}
)

func wasmFile(tb testing.TB, name string) []byte {
	tb.Helper()
	wasmMu.Lock()
	defer wasmMu.Unlock()
	if b, ok := wasmCache[name]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join("..", "build", name))
	if err != nil {
		tb.Fatalf("%v: build the modules first with `make wasm`", err)
	}
	wasmCache[name] = b
	return b
}

// startHost runs a built module in hostsim; a host function the module
// calls that hostsim lacks fails the test.
func startHost(tb testing.TB, module string, opts hostsim.Options) *hostsim.Host {
	tb.Helper()
	opts.OnUnimplemented = func(name string) { tb.Errorf("%s called %s, which hostsim does not implement", module, name) }
	h, err := hostsim.New(context.Background(), wasmFile(tb, module), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return h
}
