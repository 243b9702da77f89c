package serve

import (
	"os"
	"strings"
	"testing"
)

// TestTwoWasmFiltersRunInOrder: a chain of two wasm filters, each its own
// plugin; the request passes both, the response passes them back.
func TestTwoWasmFiltersRunInOrder(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	yaml := config{wasm: fixture, app: app.addr()}.yaml()
	// A second copy of the filter, named apart so it is another plugin.
	i := strings.Index(yaml, "          - name: envoy.filters.http.wasm")
	j := strings.Index(yaml, "          - name: envoy.filters.http.router")
	second := strings.Replace(yaml[i:j], "name: fixture", "name: second", 1)
	yaml = yaml[:j] + second + yaml[j:]
	s, err := Start(t.Context(), Options{ConfigPath: writeConfig(t, yaml), VMs: 1, Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.plugins) != 2 {
		t.Fatalf("%d plugins, want 2", len(s.plugins))
	}
	res := get(t, "http://"+s.ListenerAddr("main")+"/headers")
	r, _ := app.last(t)
	if got := strings.Join(r.Header.Values("X-Added"), ","); got != "one,two,one,two" {
		t.Errorf("the app saw x-added %q: both filters must run", got)
	}
	if got := strings.Join(res.header.Values("Set-Cookie"), ","); got != "fixture1=1,fixture2=2,fixture1=1,fixture2=2" {
		t.Errorf("set-cookie %q: both filters' response callbacks must run", got)
	}
	if res := get(t, "http://"+s.ListenerAddr("main")+"/local"); res.status != 418 || app.count() != 1 {
		t.Errorf("a local reply from the first filter: %d, app requests %d", res.status, app.count())
	}
}

// TestListenersShareAPluginConfiguredAlike: two listeners with the same
// wasm filter share its VMs (and so shared data and metrics), as in
// Envoy; each listener is found by name.
func TestListenersShareAPluginConfiguredAlike(t *testing.T) {
	app := upstream(t, "app")
	yaml := config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), admin: true}.yaml()
	i := strings.Index(yaml, "  - name: main\n")
	j := strings.Index(yaml, "  clusters:\n")
	yaml = yaml[:j] + strings.Replace(yaml[i:j], "name: main", "name: second", 1) + yaml[j:]
	cache := t.TempDir()
	s, err := Start(t.Context(), Options{ConfigPath: writeConfig(t, yaml), VMs: 1, Log: &syncBuffer{}, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := s.ListenerAddr("main"), s.ListenerAddr("second")
	if a == "" || b == "" || a == b {
		t.Fatalf("listener addresses %q and %q", a, b)
	}
	if len(s.plugins) != 1 {
		t.Errorf("%d plugins, want the one shared", len(s.plugins))
	}
	get(t, "http://"+a+"/shared?key=k&value=from-main")
	res := get(t, "http://"+b+"/shared?key=k&value=from-second")
	if !strings.Contains(res.body, `"get_error":""`) {
		t.Errorf("the second listener's filter did not see the first's shared data: %s", res.body)
	}
	if !strings.Contains(get(t, "http://"+s.AdminAddr()+"/stats").body, "wasmcustom.fixture.requests: 2\n") {
		t.Errorf("one metric for both listeners expected")
	}
	if entries, _ := os.ReadDir(cache); len(entries) == 0 {
		t.Errorf("nothing in the compilation cache directory %s", cache)
	}
}
