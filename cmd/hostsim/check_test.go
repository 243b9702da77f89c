package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oldEnvoyRefuses writes a module of a few bytes that declares the Proxy-Wasm ABI 0.2.0,
// exports what hostsim checks before the imports, and imports
// wasi_snapshot_preview1.path_filestat_get, which Envoy 1.39's host provides and 1.38's
// does not (proxy-wasm-cpp-host#533). build/exeunt.wasm no longer imports it (issue 15:
// core/jose took crypto/x509 and net out), so the refusal is tested with this module.
func oldEnvoyRefuses(t *testing.T) string {
	t.Helper()
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	section := func(id byte, content ...[]byte) []byte {
		var c []byte
		for _, b := range content {
			c = append(c, b...)
		}
		return append([]byte{id, byte(len(c))}, c...)
	}
	var bin []byte
	for _, b := range [][]byte{
		{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}, // "\0asm", version 1
		// types: 0 () -> (), 1 (i32 x5) -> i32, 2 (i32) -> i32, 3 (i32, i32) -> ()
		section(1, []byte{4, 0x60, 0, 0, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f,
			0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0}),
		section(2, []byte{1}, name("wasi_snapshot_preview1"), name("path_filestat_get"), []byte{0x00, 1}),
		section(3, []byte{3, 0, 2, 3}), // functions 1, 2, 3 (0 is the import)
		section(5, []byte{1, 0, 1}),    // one memory of one page
		section(7, []byte{5}, name("proxy_abi_version_0_2_0"), []byte{0x00, 1},
			name("_initialize"), []byte{0x00, 1},
			name("proxy_on_memory_allocate"), []byte{0x00, 2},
			name("proxy_on_context_create"), []byte{0x00, 3},
			name("memory"), []byte{0x02, 0}),
		section(10, []byte{3, 2, 0, 0x0b, 4, 0, 0x41, 0, 0x0b, 2, 0, 0x0b}),
	} {
		bin = append(bin, b...)
	}
	f := filepath.Join(t.TempDir(), "old-envoy-refuses.wasm")
	if err := os.WriteFile(f, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// hostsim check passes a module only if the Envoy it names (default: the
// minimum the README names) provides every function it imports; make wasm
// runs it on every module it builds.
func TestCheckHoldsTheModuleToAnEnvoyVersion(t *testing.T) {
	exeunt := filepath.Join("..", "..", "build", "exeunt.wasm")
	if _, err := os.Stat(exeunt); err != nil {
		t.Fatalf("%v: build the modules first with `make wasm`", err)
	}
	if code := check([]string{exeunt}); code != 0 {
		t.Errorf("the default Envoy: exit %d, want 0", code)
	}
	// Since issue 15 (core/jose), build/exeunt.wasm imports nothing 1.38's host lacks.
	if code := check([]string{"--envoy-version", "1.38", exeunt}); code != 0 {
		t.Errorf("Envoy 1.38, whose host has every WASI function the filter imports: exit %d, want 0", code)
	}
	old := oldEnvoyRefuses(t)
	if code := check([]string{old}); code != 0 {
		t.Errorf("a module importing path_filestat_get, the default Envoy: exit %d, want 0", code)
	}
	if code := check([]string{"--envoy-version", "1.38", old}); code != 1 {
		t.Errorf("a module importing path_filestat_get, Envoy 1.38: exit %d, want 1", code)
	}
	if code := check([]string{"--envoy-version", "1.20", exeunt}); code != 2 {
		t.Errorf("an Envoy without a profile: exit %d, want 2", code)
	}
}

func TestServeFollowsTheEnvoyVersionAsked(t *testing.T) {
	wasm := oldEnvoyRefuses(t)
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(cfg, []byte(strings.ReplaceAll(minimalYAML, "WASM", wasm)), 0o644)
	var out, errs strings.Builder
	code := serveCommand(context.Background(), []string{"-c", cfg, "--cache-dir", "", "--envoy-version", "1.38"}, &out, &errs)
	if code != 1 || !strings.Contains(errs.String(), "Failed to load Wasm module due to a missing import: wasi_snapshot_preview1.path_filestat_get") {
		t.Errorf("Envoy 1.38: exit %d, stderr %q; want Envoy's refusal", code, errs.String())
	}
}
