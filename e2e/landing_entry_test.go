package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// The shipped configuration with App One's entry page (/app1/, its path prefix) as a
// post-logout landing: build/exeunt.wasm refuses to start, naming the field, instead of
// serving /app1/?anything to anyone without a session (core/config_landing.go).
func TestALandingOnTheAppsEntryPageFailsPluginStart(t *testing.T) {
	var cfg map[string]any
	if err := json.Unmarshal(envoyPluginConfig(t), &cfg); err != nil {
		t.Fatal(err)
	}
	app1 := cfg["clients"].([]any)[0].(map[string]any)
	if app1["client_id"] != "app1" || app1["path_prefixes"].([]any)[0] != "/app1/" {
		t.Fatalf("envoy.yaml's first client is not app1 on /app1/: %v", app1)
	}
	app1["post_logout_redirect_uris"] = append(app1["post_logout_redirect_uris"].([]any), "http://localhost:10000/app1/")
	data, _ := json.Marshal(cfg)
	_, err := hostsim.New(context.Background(), wasmFile(t, "exeunt.wasm"), hostsim.Options{PluginConfig: data})
	var se *hostsim.StartError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want the plugin to refuse to start", err)
	}
	want := `field "clients[0].post_logout_redirect_uris[1]": "http://localhost:10000/app1/" is the entry page of client "app1"`
	if len(se.Logs) == 0 || !strings.HasPrefix(se.Logs[0], "critical: ") || !strings.Contains(se.Logs[0], want) {
		t.Fatalf("the critical log does not name the problem: %q", se.Logs)
	}
}
