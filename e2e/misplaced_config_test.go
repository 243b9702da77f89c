package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// Exeunt's configuration written under vm_config.configuration (the VM's, handed to
// proxy_on_vm_start) instead of config.configuration (the plugin's) left the plugin's
// empty: the filter started in pass-through mode and every app was served without a
// session, with nothing in the log. Such a plugin now refuses to start, so that Envoy
// fails closed, and says where the configuration belongs.
func TestAConfigurationInTheVMConfigurationFailsPluginStart(t *testing.T) {
	cfg := envoyPluginConfig(t)
	for _, plugin := range [][]byte{nil, []byte("  \n"), []byte("{}"), []byte(`{"health_path": "/healthz"}`)} {
		_, err := hostsim.New(context.Background(), wasmFile(t, "exeunt.wasm"), hostsim.Options{VMConfig: cfg, PluginConfig: plugin})
		var se *hostsim.StartError
		if !errors.As(err, &se) {
			t.Fatalf("plugin configuration %q: err = %v, want the plugin to refuse to start", plugin, err)
		}
		if len(se.Logs) == 0 || !strings.HasPrefix(se.Logs[0], "critical: ") ||
			!strings.Contains(se.Logs[0], "vm_config.configuration") || !strings.Contains(se.Logs[0], "config.configuration") {
			t.Fatalf("the critical log does not say where the configuration belongs: %q", se.Logs)
		}
	}
}

// A plugin configuration beside a VM configuration is the plugin's; pass-through mode on
// purpose (no configuration anywhere) still starts, and says in the log that it signs
// nobody in.
func TestPassThroughModeStartsAndSaysSo(t *testing.T) {
	h := startHost(t, "exeunt.wasm", hostsim.Options{VMConfig: []byte(`{"something": "for the VM"}`), PluginConfig: envoyPluginConfig(t)})
	h.Close()
	h = startHost(t, "exeunt.wasm", hostsim.Options{})
	found := false
	for _, e := range h.Logs() {
		if strings.Contains(e.Message, "pass-through mode") {
			found = true
		}
	}
	if !found {
		t.Fatalf("pass-through mode started without a word in the log: %+v", h.Logs())
	}
}
