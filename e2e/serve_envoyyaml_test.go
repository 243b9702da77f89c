package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/exeunt/exeunt/hostsim/serve"
	"sigs.k8s.io/yaml"
)

// TestServeTheShippedEnvoyYAML runs `hostsim serve` on the repository's
// envoy.yaml, as `make wasm && hostsim serve -c envoy.yaml` would from the
// repository root, with only its ports changed to free ones: every part of
// it is servable, the plugin starts with the shipped configuration, the
// filter answers its health path and the admin interface is live.
func TestServeTheShippedEnvoyYAML(t *testing.T) {
	wasmFile(t, "exeunt.wasm") // fails with `make wasm` when missing
	s, logw := serveShippedYAML(t, nil, nil)

	health := "/exeunt/healthz"
	var pc struct {
		HealthPath string `json:"health_path"`
	}
	if json.Unmarshal(envoyPluginConfig(t), &pc) == nil && pc.HealthPath != "" {
		health = pc.HealthPath
	}
	for _, name := range s.Listeners() {
		res, body := serveGet(t, "http://"+s.ListenerAddr(name)+health)
		if res.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("listener %s: GET %s: %d %q\nlog:\n%s", name, health, res.StatusCode, body, logw)
		}
	}
	if s.AdminAddr() != "" {
		if res, body := serveGet(t, "http://"+s.AdminAddr()+"/ready"); res.StatusCode != 200 || body != "LIVE\n" {
			t.Errorf("admin /ready: %d %q", res.StatusCode, body)
		}
	}
	if strings.Contains(logw.String(), "[critical]") {
		t.Errorf("critical lines in the log:\n%s", logw)
	}
}

// serveFreePorts sets the port of every listener and of the admin interface to

// serveShippedYAML serves the repository's envoy.yaml in hostsim serve (2 VMs) on free
// ports, as from the repository root: each key of replace is first replaced by its value in
// the file's text, and edit (if any) changes the parsed document. The server closes with
// the test.
func serveShippedYAML(t *testing.T, replace map[string]string, edit func(doc map[string]any)) (*serve.Server, *serveLog) {
	t.Helper()
	cfg := shippedYAMLFile(t, replace, edit)
	logw := &serveLog{}
	s, err := serve.Start(context.Background(), serve.Options{ConfigPath: cfg, BaseDir: "..", VMs: 2, Log: logw})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logw
}

// shippedYAMLFile writes the repository's envoy.yaml, changed as for serveShippedYAML, to
// a temporary file and returns its path.
func shippedYAMLFile(t *testing.T, replace map[string]string, edit func(doc map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for from, to := range replace {
		text = strings.ReplaceAll(text, from, to)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	serveFreePorts(doc)
	if edit != nil {
		edit(doc)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(cfg, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// 0, so that the test takes free ones.
func serveFreePorts(doc map[string]any) {
	zero := func(addr any) {
		if a, ok := addr.(map[string]any); ok {
			if sa, ok := a["socket_address"].(map[string]any); ok {
				sa["port_value"] = 0
			}
		}
	}
	if admin, ok := doc["admin"].(map[string]any); ok {
		zero(admin["address"])
	}
	sr, _ := doc["static_resources"].(map[string]any)
	listeners, _ := sr["listeners"].([]any)
	for _, l := range listeners {
		if l, ok := l.(map[string]any); ok {
			zero(l["address"])
		}
	}
}

func serveGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// serveLog collects the server's log lines from its goroutines.
type serveLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
