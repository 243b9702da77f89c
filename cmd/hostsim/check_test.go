package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	if code := check([]string{"--envoy-version", "1.38", exeunt}); code != 1 {
		t.Errorf("Envoy 1.38, whose host lacks ten of its WASI imports: exit %d, want 1", code)
	}
	if code := check([]string{"--envoy-version", "1.20", exeunt}); code != 2 {
		t.Errorf("an Envoy without a profile: exit %d, want 2", code)
	}
}

func TestServeFollowsTheEnvoyVersionAsked(t *testing.T) {
	wasm, _ := filepath.Abs(filepath.Join("..", "..", "build", "exeunt.wasm"))
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(cfg, []byte(strings.ReplaceAll(minimalYAML, "WASM", wasm)), 0o644)
	var out, errs strings.Builder
	code := serveCommand(context.Background(), []string{"-c", cfg, "--cache-dir", "", "--envoy-version", "1.38"}, &out, &errs)
	if code != 1 || !strings.Contains(errs.String(), "Failed to load Wasm module due to a missing import: wasi_snapshot_preview1.") {
		t.Errorf("Envoy 1.38: exit %d, stderr %q; want Envoy's refusal", code, errs.String())
	}
}
