package hostsim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
)

// ABIVersion is the Proxy-Wasm ABI a module was built for.
type ABIVersion string

const (
	ABI020 ABIVersion = "0.2.0"
	ABI021 ABIVersion = "0.2.1"
)

// abiExports maps the marker export a module carries to the version it
// declares. proxy-wasm-cpp-host detects the version the same way.
var abiExports = map[string]ABIVersion{
	"proxy_abi_version_0_2_0": ABI020,
	"proxy_abi_version_0_2_1": ABI021,
}

// DetectABI returns the ABI version a module declares through its exports.
// A module with no marker, with a marker of a version this host does not
// speak (0.1.0 or a future one), or with more than one marker is refused
// with an error that says what was found.
func DetectABI(exports []string) (ABIVersion, error) {
	var found []string
	var version ABIVersion
	for _, name := range exports {
		if !strings.HasPrefix(name, "proxy_abi_version_") {
			continue
		}
		found = append(found, name)
		version = abiExports[name]
	}
	switch {
	case len(found) == 0:
		return "", fmt.Errorf("hostsim: the module exports no proxy_abi_version_* function: it is not a Proxy-Wasm module (was it built without the SDK bridge? see _bridge/README.md)")
	case len(found) > 1:
		sort.Strings(found)
		return "", fmt.Errorf("hostsim: the module declares several ABI versions (%s); exactly one is allowed", strings.Join(found, ", "))
	case version == "":
		return "", fmt.Errorf("hostsim: the module declares %s, which this host does not speak; supported: proxy_abi_version_0_2_0, proxy_abi_version_0_2_1", found[0])
	}
	return version, nil
}

// requiredExports are the guest functions without which no HTTP filter can
// work; Envoy refuses such a module too.
var requiredExports = []string{"_initialize", "proxy_on_memory_allocate", "proxy_on_context_create"}

// Module is a compiled Proxy-Wasm module, ready to be instantiated by a Host.
type Module struct {
	compiled wazero.CompiledModule
	runtime  wazero.Runtime
	ABI      ABIVersion
	// Exports lists the module's exported function names, sorted.
	Exports []string
	// Imports lists the functions it imports as "module.name", sorted.
	Imports []string
}

// process-wide compilation cache: every Host shares it, so a test binary
// compiles a given .wasm once however many hosts it starts. When
// HOSTSIM_CACHE_DIR is set (the Makefile sets it to build/wazero-cache) the
// cache is also kept on disk across test binaries.
var (
	cacheOnce sync.Once
	cache     wazero.CompilationCache
)

func compilationCache() wazero.CompilationCache {
	cacheOnce.Do(func() {
		if dir := os.Getenv("HOSTSIM_CACHE_DIR"); dir != "" {
			if abs, err := filepath.Abs(dir); err == nil {
				if c, err := wazero.NewCompilationCacheWithDir(abs); err == nil {
					cache = c
					return
				}
			}
		}
		cache = wazero.NewCompilationCache()
	})
	return cache
}

func newRuntime(ctx context.Context) wazero.Runtime {
	// The compiler, not the interpreter; no WithCloseOnContextDone: its checks
	// on every loop and call would slow every guest for contexts that are never
	// cancelled here (VM calls run on a background context, as Envoy's do).
	cfg := wazero.NewRuntimeConfigCompiler().WithCompilationCache(compilationCache())
	return wazero.NewRuntimeWithConfig(ctx, cfg)
}

// compile compiles bin in r and checks that it is a Proxy-Wasm module this
// host can run.
func compile(ctx context.Context, r wazero.Runtime, bin []byte) (*Module, error) {
	cm, err := r.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("hostsim: compiling the module: %w", err)
	}
	var exports []string
	for name := range cm.ExportedFunctions() {
		exports = append(exports, name)
	}
	sort.Strings(exports)
	var imports []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		imports = append(imports, mod+"."+name)
	}
	sort.Strings(imports)
	abi, err := DetectABI(exports)
	if err != nil {
		cm.Close(ctx)
		return nil, err
	}
	have := cm.ExportedFunctions()
	for _, name := range requiredExports {
		if _, ok := have[name]; !ok {
			cm.Close(ctx)
			return nil, fmt.Errorf("hostsim: the module does not export %s, which a Proxy-Wasm HTTP filter needs", name)
		}
	}
	return &Module{compiled: cm, runtime: r, ABI: abi, Exports: exports, Imports: imports}, nil
}

// Inspect compiles a module and reports its ABI version and exports without
// running it. `hostsim check` uses it to fail a build that lost its exports.
func Inspect(ctx context.Context, bin []byte) (*Module, error) {
	r := newRuntime(ctx)
	defer r.Close(ctx)
	m, err := compile(ctx, r, bin)
	if err != nil {
		return nil, err
	}
	return &Module{ABI: m.ABI, Exports: m.Exports, Imports: m.Imports}, nil
}
