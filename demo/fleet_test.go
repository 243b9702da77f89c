package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// The shipped envoy.yaml made a fleet's: valid for Envoy's schema, the store on etcd through
// the added cluster, the shared keys in place of dev_generate, free ports for the replicas.
func TestFleetConfigOfTheShippedEnvoyYAML(t *testing.T) {
	keys, err := GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	out, err := FleetConfig(repoYAML(t), Fleet{EtcdAddr: "127.0.0.1:2379", Keys: keys,
		Etcd: map[string]any{"follow_period": "100ms"}, Plugin: map[string]any{"ui": map[string]any{"title": "Fleet"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := envoyconfig.Load(out)
	if err != nil {
		t.Fatalf("the fleet's envoy.yaml does not load: %v", err)
	}
	cl, ok := cfg.Cluster(EtcdCluster)
	if !ok || len(cl.Endpoints) != 1 || cl.Endpoints[0] != "127.0.0.1:2379" {
		t.Fatalf("etcd cluster: %+v %v", cl, ok)
	}
	if len(cfg.Listeners) == 0 || !strings.HasSuffix(cfg.Listeners[0].Address, ":0") {
		t.Fatalf("the replicas' listener is not on a free port: %+v", cfg.Listeners)
	}
	var plugin struct {
		Store struct {
			Backend string         `json:"backend"`
			Etcd    map[string]any `json:"etcd"`
		} `json:"store"`
		Keys map[string]any         `json:"keys"`
		UI   struct{ Title string } `json:"ui"`
	}
	var raw []byte
	for _, f := range cfg.Listeners[0].HTTPFilters {
		if f.Wasm != nil && f.Wasm.RootID == "exeunt" {
			raw = f.Wasm.Configuration
		}
	}
	if err := json.Unmarshal(raw, &plugin); err != nil {
		t.Fatal(err)
	}
	if plugin.Store.Backend != "etcd" || plugin.Store.Etcd["cluster"] != EtcdCluster || plugin.Store.Etcd["follow_period"] != "100ms" {
		t.Errorf("store = %+v", plugin.Store)
	}
	if _, dev := plugin.Keys["dev_generate"]; dev || plugin.Keys["sealing"] == nil || plugin.Keys["signing"] == nil {
		t.Errorf("keys = %v", plugin.Keys)
	}
	if plugin.UI.Title != "Fleet" {
		t.Errorf("ui = %+v", plugin.UI)
	}
	if _, err := FleetConfig(repoYAML(t), Fleet{EtcdAddr: "no-port", Keys: keys}); err == nil {
		t.Error("an etcd address without a port was taken")
	}
}

// The front sends requests to the (ready) replicas in turn, with the browser's Host.
func TestFrontRoundRobinKeepsTheHost(t *testing.T) {
	var mu sync.Mutex
	var hosts [2][]string
	var backends []string
	for i := range hosts {
		i := i
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == DefaultReadyPath {
				return // the front's probe: ready
			}
			mu.Lock()
			hosts[i] = append(hosts[i], r.Host)
			mu.Unlock()
		}))
		defer s.Close()
		backends = append(backends, strings.TrimPrefix(s.URL, "http://"))
	}
	balancer := NewFront(FrontCheck{Interval: 50 * time.Millisecond}, backends...)
	defer balancer.Close()
	waitFront(t, balancer, true, true)
	front := httptest.NewServer(balancer)
	defer front.Close()
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest("GET", front.URL+"/app1/", nil)
		req.Host = "localhost:10000"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for i, hs := range hosts {
		if len(hs) != 2 || hs[0] != "localhost:10000" || hs[1] != "localhost:10000" {
			t.Errorf("replica %d saw hosts %q, want two requests for localhost:10000", i+1, hs)
		}
	}
}

// docs/fleet.md's Envoy cluster for etcd is valid for Envoy's schema (the same check
// envoy.yaml gets), with its TLS settings where a real Envoy reads them.
func TestTheFleetDocsEtcdClusterLoads(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "fleet.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.HasPrefix(block, "  clusters:\n") {
		t.Fatal("docs/fleet.md no longer starts its first yaml block with `  clusters:`: update this test")
	}
	cfg, err := envoyconfig.Load([]byte("static_resources:\n" + block))
	if err != nil {
		t.Fatalf("docs/fleet.md's cluster does not load: %v", err)
	}
	cl, ok := cfg.Cluster("exeunt_etcd")
	if !ok || len(cl.Endpoints) != 3 || cl.TLS == nil {
		t.Fatalf("docs/fleet.md's cluster: %+v", cl)
	}
}

// waitFront waits (at most 10 s) until the front's rotation is want.
func waitFront(t *testing.T, f *Front, want ...bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.Ready()
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the front's replicas in rotation: %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The replicas' log lines get their replica's prefix; the front's probes answered 200 are
// left out, a failed probe and a user's own request for the readiness path are not.
func TestReplicaLogLeavesOutSuccessfulProbes(t *testing.T) {
	var out strings.Builder
	w := &prefixWriter{prefix: []byte("[replica 1] "), w: &out, drop: isProbeOK}
	probe := func(status string) string {
		return `[t] "GET /exeunt/readyz HTTP/1.1" ` + status + ` - 0 18 0 - "127.0.0.1" "` + ProbeUserAgent + `" "id" "localhost:10000" "-"` + "\n"
	}
	user := `[t] "GET /exeunt/readyz HTTP/1.1" 200 - 0 18 0 - "127.0.0.1" "curl/8.0" "id" "localhost:10000" "-"` + "\n"
	io.WriteString(w, "started\n"+probe("200"))
	io.WriteString(w, probe("200"))
	io.WriteString(w, probe("503")+user+"half a ")
	io.WriteString(w, "line\n")
	want := "[replica 1] started\n[replica 1] " + probe("503") + "[replica 1] " + user + "[replica 1] half a line\n"
	if out.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", out.String(), want)
	}
}
