package serve

import (
	"strings"
	"testing"
)

// TestRequestsRunThroughTheFilterToTheCluster: the fixture guest changes
// the request (headers, body) and the response; the app sees the first,
// the client the second, with what Envoy's connection manager and router
// add.
func TestRequestsRunThroughTheFilterToTheCluster(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")

	res := send(t, "GET", base+"/headers?q=1", "", "")
	if res.status != 200 || res.body != "app GET /headers?q=1" {
		t.Fatalf("GET /headers: %d %q", res.status, res.body)
	}
	r, _ := app.last(t)
	if got := r.Header.Values("X-Added"); strings.Join(got, ",") != "one,two" {
		t.Errorf("the app saw x-added %q, want the filter's one,two", got)
	}
	if r.Header.Get("X-Forwarded-Proto") != "http" || len(r.Header.Get("X-Request-Id")) != 36 {
		t.Errorf("the app saw x-forwarded-proto %q, x-request-id %q: Envoy adds both", r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Request-Id"))
	}
	if r.Header.Get("X-Envoy-Expected-Rq-Timeout-Ms") != "15000" {
		t.Errorf("x-envoy-expected-rq-timeout-ms %q, want Envoy's default route timeout 15000", r.Header.Get("X-Envoy-Expected-Rq-Timeout-Ms"))
	}
	if r.Host != s.ListenerAddr("main") {
		t.Errorf("the app saw Host %q, want the client's", r.Host)
	}
	if got := res.header.Values("Set-Cookie"); strings.Join(got, ",") != "fixture1=1,fixture2=2" {
		t.Errorf("set-cookie %q: the filter's response callbacks did not run", got)
	}
	if res.header.Get("X-Upstream-Secret") != "" || res.header.Get("X-Seen-Status") != "200" || res.header.Get("X-Upstream") != "app" {
		t.Errorf("response headers %v: the filter must see and edit the app's response", res.header)
	}
	if res.header.Get("Server") != "envoy" || res.header.Get("X-Envoy-Upstream-Service-Time") == "" {
		t.Errorf("server %q, x-envoy-upstream-service-time %q: Envoy sets both", res.header.Get("Server"), res.header.Get("X-Envoy-Upstream-Service-Time"))
	}

	// The body reaches the filter, and the app gets the filter's version.
	res = send(t, "POST", base+"/body", "", "a=1&b=2")
	_, body := app.last(t)
	if body != "prepended+A=1&B=2+appended" {
		t.Errorf("the app received the body %q, want the filter's rewrite", body)
	}
	if res.body != "app POST /body!" {
		t.Errorf("response body %q: want the app's with the filter's '!'", res.body)
	}

	// A local reply never reaches the app.
	n := app.count()
	res = get(t, base+"/local")
	if res.status != 418 || res.body != "teapot" || app.count() != n {
		t.Errorf("local reply: %d %q, app requests %d -> %d", res.status, res.body, n, app.count())
	}
}

// TestExeuntPassThrough runs the real filter in its pass-through mode: it
// answers its health path itself and lets the rest through.
func TestExeuntPassThrough(t *testing.T) {
	app := upstream(t, "app")
	s, log := start(t, config{wasm: wasmPath(t, "exeunt.wasm"), pluginConfig: `{"health_path": "/exeunt/healthz"}`, app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")
	res := get(t, base+"/exeunt/healthz")
	if res.status != 200 || app.count() != 0 {
		t.Fatalf("health: %d %q, app requests %d: the filter must answer it", res.status, res.body, app.count())
	}
	res = get(t, base+"/some/page")
	if res.status != 200 || res.body != "app GET /some/page" {
		t.Fatalf("pass-through: %d %q", res.status, res.body)
	}
	if strings.Contains(log.String(), "[critical]") || strings.Contains(log.String(), "[error]") {
		t.Errorf("errors in the log:\n%s", log)
	}
}

func TestListenerWithoutWasmFilterProxies(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{app: app.addr()}, Options{})
	if res := get(t, "http://"+s.ListenerAddr("main")+"/x"); res.status != 200 || res.body != "app GET /x" {
		t.Fatalf("%d %q", res.status, res.body)
	}
}

// TestAFailedVMAnswers503OrPassesWhenFailOpen: a guest that panics breaks
// its VM for good, as in Envoy; fail closed answers 503, fail_open skips
// the filter.
func TestAFailedVMAnswers503OrPassesWhenFailOpen(t *testing.T) {
	app := upstream(t, "app")
	for _, failOpen := range []bool{false, true} {
		s, log := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), failOpen: failOpen}, Options{})
		base := "http://" + s.ListenerAddr("main")
		want := 503
		if failOpen {
			want = 200
		}
		for _, path := range []string{"/panic", "/headers"} {
			if res := get(t, base+path); res.status != want {
				t.Errorf("fail_open %v: %s after the panic: %d %q, want %d", failOpen, path, res.status, res.body, want)
			}
		}
		if n := strings.Count(log.String(), "failed ("); n != 1 {
			t.Errorf("fail_open %v: the VM's failure logged %d times, want once:\n%s", failOpen, n, log)
		}
		if !strings.Contains(log.String(), "fixture panic on purpose") {
			t.Errorf("the log does not quote the guest's panic:\n%s", log)
		}
	}
}
