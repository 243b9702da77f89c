package e2e

import (
	"bytes"
	"testing"

	"github.com/exeunt/exeunt/core"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TestEnvoyYAMLPluginConfiguration: every wasm filter of the shipped envoy.yaml hands the
// filter a plugin configuration that the filter itself accepts, so that the file users copy
// starts a working Envoy and not one whose filter fails in proxy_on_configure.
func TestEnvoyYAMLPluginConfiguration(t *testing.T) {
	cfg, err := envoyconfig.LoadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plugins := 0
	for _, l := range cfg.Listeners {
		for _, f := range l.HTTPFilters {
			if f.Wasm == nil {
				continue
			}
			plugins++
			if f.Wasm.RootID != "exeunt" {
				t.Errorf("listener %q, filter %q: root_id %q, want exeunt", l.Name, f.Name, f.Wasm.RootID)
			}
			// An empty configuration would parse as all defaults and prove nothing.
			if len(bytes.TrimSpace(f.Wasm.Configuration)) == 0 {
				t.Errorf("listener %q, filter %q: no plugin configuration", l.Name, f.Name)
				continue
			}
			if _, err := core.ParseConfig(f.Wasm.Configuration); err != nil {
				t.Errorf("listener %q, filter %q: the plugin configuration does not parse: %v\n%s",
					l.Name, f.Name, err, f.Wasm.Configuration)
			}
		}
	}
	if plugins == 0 {
		t.Fatal("envoy.yaml has no wasm filter")
	}
}
