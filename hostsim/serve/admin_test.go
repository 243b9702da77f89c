package serve

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestAdminStatsShowTheFiltersMetrics: the guest's metrics, under Envoy's
// "wasmcustom." namespace, beside the connection manager's and clusters'
// own, in Envoy's text and JSON formats.
func TestAdminStatsShowTheFiltersMetrics(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), admin: true}, Options{VMs: 2})
	base := "http://" + s.ListenerAddr("main")
	get(t, base+"/metrics") // gauge +3, histogram 7 and 9; every request counts
	get(t, base+"/metrics")
	get(t, base+"/anything")
	admin := "http://" + s.AdminAddr()

	res := get(t, admin+"/stats")
	for _, want := range []string{
		"wasmcustom.fixture.requests: 3\n",
		"wasmcustom.fixture.gauge: 6\n",
		"wasmcustom.fixture.histogram: P0(nan,7) P25(nan,7) P50(nan,8) ",
		"http.ingress_http.downstream_rq_total: 3\n",
		"http.ingress_http.downstream_rq_2xx: 3\n",
		"cluster.app.upstream_rq_total: 1\n",
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("/stats lacks %q:\n%s", want, res.body)
		}
	}
	// Sorted by name, counters and gauges together, histograms last.
	var names []string
	lines := strings.Split(strings.TrimSpace(res.body), "\n")
	for _, l := range lines[:len(lines)-1] {
		names = append(names, l[:strings.Index(l, ":")])
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Errorf("/stats is not sorted: %s before %s", names[i-1], names[i])
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "wasmcustom.fixture.histogram: ") {
		t.Errorf("the histogram is not last: %q", lines[len(lines)-1])
	}

	res = get(t, admin+"/stats?filter=^wasmcustom\\.fixture\\.(requests|gauge)$")
	if res.body != "wasmcustom.fixture.gauge: 6\nwasmcustom.fixture.requests: 3\n" {
		t.Errorf("/stats?filter: %q", res.body)
	}

	res = get(t, admin+"/stats?format=json")
	var doc struct {
		Stats []map[string]any `json:"stats"`
	}
	if err := json.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatalf("/stats?format=json: %v\n%s", err, res.body)
	}
	found := map[string]any{}
	var hist map[string]any
	for _, st := range doc.Stats {
		if h, ok := st["histograms"].(map[string]any); ok {
			hist = h
			continue
		}
		found[st["name"].(string)] = st["value"]
	}
	if found["wasmcustom.fixture.requests"] != float64(3) || found["wasmcustom.fixture.gauge"] != float64(6) {
		t.Errorf("json stats: %v", found)
	}
	cq, _ := hist["computed_quantiles"].([]any)
	if len(cq) != 1 || !strings.Contains(mustJSON(t, cq[0]), `"name":"wasmcustom.fixture.histogram"`) || !strings.Contains(mustJSON(t, cq[0]), `"cumulative":9`) {
		t.Errorf("json histograms: %v", hist)
	}

	if res := get(t, admin+"/ready"); res.status != 200 || res.body != "LIVE\n" {
		t.Errorf("/ready: %d %q", res.status, res.body)
	}
	res = get(t, admin+"/server_info")
	if res.status != 200 || !regexp.MustCompile(`"state": "LIVE"`).MatchString(res.body) {
		t.Errorf("/server_info: %d %s", res.status, res.body)
	}
	if res := get(t, admin+"/config_dump"); res.status != 404 || !strings.Contains(res.body, "/stats") {
		t.Errorf("unknown admin path: %d %q, want 404 with the list of commands", res.status, res.body)
	}
}

func TestNoAdminSectionNoAdmin(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{app: app.addr()}, Options{})
	if s.AdminAddr() != "" {
		t.Errorf("AdminAddr %q without an admin section", s.AdminAddr())
	}
	if s.ListenerAddr("nope") != "" {
		t.Errorf("ListenerAddr of an unknown listener: %q", s.ListenerAddr("nope"))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
