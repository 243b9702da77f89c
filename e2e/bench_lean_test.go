package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/exeunt/exeunt/hostsim"
)

// loadModules are the modules BenchmarkModuleLoad loads, with the plugin configuration
// each starts with: the filter with core's example configuration (two providers, three
// clients, keys to parse), the floor with no identity headers, the do-nothing module.
var loadModules = []struct{ name, configFile, config string }{
	{"exeunt.wasm", "../core/testdata/example-config.json", ""},
	{"headersonly.wasm", "", "[]"},
	{"noop.wasm", "", ""},
}

// BenchmarkModuleLoad reports, per module, what Envoy pays per worker and on each
// configuration change, as hostsim (wazero's compiler) pays it:
//
//   - compile-ms: compiling the module, without a compilation cache, in a runtime
//     configured as hostsim's (wazero.NewRuntimeConfigCompiler);
//   - host-1vm-ms: a new hostsim host with one VM, the compiled module already in
//     the process's cache: WASI and env host modules, instantiation, _initialize,
//     proxy_on_vm_start and proxy_on_configure;
//   - per-vm-ms: each further VM, (host with 5 VMs - host with 1 VM) / 4;
//   - vm-MiB: one VM's linear memory once started.
//
// The modules alternate iteration by iteration, so a noisy machine slows all alike.
func BenchmarkModuleLoad(b *testing.B) {
	ctx := context.Background()
	type mod struct {
		name               string
		bin, config        []byte
		compile, one, five time.Duration
		mem                uint64
	}
	var mods []*mod
	for _, m := range loadModules {
		x := &mod{name: m.name, bin: wasmFile(b, m.name), config: []byte(m.config)}
		if m.configFile != "" {
			c, err := os.ReadFile(filepath.FromSlash(m.configFile))
			if err != nil {
				b.Fatal(err)
			}
			x.config = localStore(b, c)
		}
		mods = append(mods, x)
	}
	start := func(m *mod, vms int) time.Duration {
		t := time.Now()
		h := startHost(b, m.name, hostsim.Options{VMs: vms, PluginConfig: m.config})
		took := time.Since(t)
		m.mem = h.MemoryBytes()[0]
		h.Close()
		return took
	}
	for _, m := range mods { // fills the compilation cache startHost uses
		start(m, 1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range mods {
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
			t := time.Now()
			if _, err := r.CompileModule(ctx, m.bin); err != nil {
				b.Fatal(err)
			}
			m.compile += time.Since(t)
			r.Close(ctx)
			m.one += start(m, 1)
			m.five += start(m, 5)
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	for _, m := range mods {
		n := m.name[:len(m.name)-len(".wasm")]
		b.ReportMetric(ms(m.compile), n+"-compile-ms")
		b.ReportMetric(ms(m.one), n+"-host-1vm-ms")
		b.ReportMetric(ms(m.five-m.one)/4, n+"-per-vm-ms")
		b.ReportMetric(float64(m.mem)/(1<<20), n+"-vm-MiB")
	}
	b.ReportMetric(float64(mods[0].compile)/float64(mods[2].compile), "exeunt/noop-compile")
}

// localStore is a configuration without its store setting: core's example shows the
// etcd store's, and what is measured here is the filter on its default, local store.
func localStore(b *testing.B, config []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(config, &m); err != nil {
		b.Fatal(err)
	}
	delete(m, "store")
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkGuestMemorySignedIn is BenchmarkGuestMemory for the request the filter
// serves most: a signed-in browser's request to a client (as in
// BenchmarkSignedInRequest), 1,000,000 times, through the test environment's two VMs.
// It reports the larger VM's linear memory after 1,000, 100,000 and 1,000,000 requests;
// growth between the last two would be a leak.
func BenchmarkGuestMemorySignedIn(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newEnv(b, envOptions{})
		e.signIn("https://exeunt.test/app1/")
		e.get("https://exeunt.test/app1/")
		ctx := context.Background()
		req := &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/app1/page",
			Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: "__Host-exeunt=" + e.jar["__Host-exeunt"]}}}
		largest := func() uint64 {
			var m uint64
			for _, v := range e.host.MemoryBytes() {
				m = max(m, v)
			}
			return m
		}
		var after1k, after100k uint64
		for n := 1; n <= 1_000_000; n++ {
			resp, err := e.host.Do(ctx, req, e.apps)
			if err != nil {
				b.Fatal(err)
			}
			if resp.Status != 200 {
				b.Fatalf("request %d: status %d: %s", n, resp.Status, resp.Body)
			}
			switch n {
			case 1000:
				after1k = largest()
			case 100_000:
				after100k = largest()
			}
		}
		b.ReportMetric(float64(after1k)/(1<<20), "MiB-after-1k")
		b.ReportMetric(float64(after100k)/(1<<20), "MiB-after-100k")
		b.ReportMetric(float64(largest())/(1<<20), "MiB-after-1M")
	}
}
