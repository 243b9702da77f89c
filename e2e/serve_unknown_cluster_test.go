package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
	"github.com/exeunt/exeunt/hostsim/serve"
)

// TestAnUnknownClusterIsLoggedOncePerVM serves envoy.yaml with the store on etcd through a
// cluster the Envoy configuration does not define (an operator's typo in store.etcd.cluster,
// which the filter cannot see: Envoy refuses each call with BadArgument). Every follow of
// etcd, every tick, is such a call: the log says so at most once per VM, naming the settings that
// name clusters, instead of once per call (about 40 lines a second here).
func TestAnUnknownClusterIsLoggedOncePerVM(t *testing.T) {
	wasmFile(t, "exeunt.wasm")
	raw, err := os.ReadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := demo.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	out, err := demo.FleetConfig(raw, demo.Fleet{EtcdAddr: "127.0.0.1:9", Keys: keys, Plugin: map[string]any{
		"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "no_such_etcd", "follow_period": "50ms"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(cfg, out, 0o644); err != nil {
		t.Fatal(err)
	}
	logw := &syncbuf.Buffer{}
	s, err := serve.Start(context.Background(), serve.Options{ConfigPath: cfg, BaseDir: "..", VMs: 2, Log: logw})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(time.Second) // about 20 ticks of each VM, each with a refused call
	var lines []string
	for _, l := range strings.Split(logw.String(), "\n") {
		if strings.Contains(l, `cluster "no_such_etcd" refused by the host`) {
			lines = append(lines, l)
		}
	}
	// At most one per VM: the 2 workers' and the canary VM's (hostsim, as Envoy, first
	// starts the plugin in a canary VM to check its configuration).
	if len(lines) == 0 || len(lines) > 3 {
		t.Fatalf("%d log lines about the refused cluster, want 1 to 3 (one per VM):\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], "store.etcd.cluster") {
		t.Errorf("the log line does not say which settings name clusters: %s", lines[0])
	}
}
