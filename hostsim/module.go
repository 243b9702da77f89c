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

// Compilation caches, one per directory, shared by every Host of the
// process, so that a test binary compiles a given .wasm once however many
// hosts it starts. Without a directory (Options.CacheDir, else the
// HOSTSIM_CACHE_DIR environment variable, which the Makefile sets to
// build/wazero-cache) the cache lives in memory; with one it also survives
// across processes.
var (
	cacheMu sync.Mutex
	caches  = map[string]wazero.CompilationCache{}
)

func compilationCache(dir string) (wazero.CompilationCache, error) {
	explicit := dir != ""
	if !explicit {
		dir = os.Getenv("HOSTSIM_CACHE_DIR")
	}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err == nil {
			dir = abs
		}
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := caches[dir]; ok {
		return c, nil
	}
	c := wazero.NewCompilationCache()
	if dir != "" {
		dc, err := wazero.NewCompilationCacheWithDir(dir)
		switch {
		case err == nil:
			c = dc
		case explicit:
			return nil, fmt.Errorf("hostsim: compilation cache directory %s: %w", dir, err)
		}
		// A bad HOSTSIM_CACHE_DIR only costs compile time: use memory.
	}
	caches[dir] = c
	return c, nil
}

func newRuntime(ctx context.Context, cache wazero.CompilationCache) wazero.Runtime {
	// The compiler, not the interpreter; no WithCloseOnContextDone: its checks
	// on every loop and call would slow every guest for contexts that are never
	// cancelled here (VM calls run on a background context, as Envoy's do).
	cfg := wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache).
		WithMemoryLimitPages(maxMemoryPages)
	return wazero.NewRuntimeWithConfig(ctx, cfg)
}

// maxMemoryPages caps every VM's linear memory at 1 GiB, as cpp-host does
// (include/proxy-wasm/limits.h, PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES,
// handed to V8 as --wasm_max_mem_pages in src/v8/v8.cc; the same at 09e5f8d
// and beb8a4ec): memory.grow past it fails (returns -1) and the guest runs
// out of memory there.
const maxMemoryPages = (1 << 30) / (64 << 10)

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
	cache, err := compilationCache("")
	if err != nil {
		return nil, err
	}
	r := newRuntime(ctx, cache)
	defer r.Close(ctx)
	m, err := compile(ctx, r, bin)
	if err != nil {
		return nil, err
	}
	return &Module{ABI: m.ABI, Exports: m.Exports, Imports: m.Imports}, nil
}
