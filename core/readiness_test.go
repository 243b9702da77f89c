package core

import (
	"strings"
	"testing"
	"time"
)

// The health check (liveness) and the readiness check differ only where a restart would
// not help: on the etcd store, readiness says 503 exactly while signed-in requests get
// the store's 503, and health stays 200.

// probe asks path on a host that is not the issuer's (a load balancer's probe) and
// checks the status and, for GET, that the body contains want.
func probe(t *testing.T, b *browser, method, path string, status int, want string) {
	t.Helper()
	d := b.request(method, "http://10.0.0.7:10000"+path)
	if d.Response == nil || d.Response.Status != status {
		t.Fatalf("%s %s: want %d, got %+v", method, path, status, d)
	}
	if headerValue(d.Response.Headers, "cache-control") != "no-store" {
		t.Fatalf("%s %s: the answer may be cached: %+v", method, path, d.Response.Headers)
	}
	if method == "HEAD" && len(d.Response.Body) != 0 {
		t.Fatalf("HEAD %s has a body: %q", path, d.Response.Body)
	}
	if method == "GET" && !strings.Contains(string(d.Response.Body), want) {
		t.Fatalf("GET %s: body %q lacks %q", path, d.Response.Body, want)
	}
}

func TestReadinessOnTheLocalStore(t *testing.T) {
	s := newSignoutEnv(t, nil)
	probe(t, s.browser, "GET", DefaultReadyPath, 200, `{"status":"ready"}`)
	probe(t, s.browser, "HEAD", DefaultReadyPath, 200, "")
	probe(t, s.browser, "GET", DefaultHealthPath, 200, `{"status":"ok"}`)
	if d := s.request("POST", "http://10.0.0.7"+DefaultReadyPath); d.Response == nil || d.Response.Status != 405 || headerValue(d.Response.Headers, "allow") != "GET, HEAD" {
		t.Fatalf("POST to the readiness path: %+v", d.Response)
	}
	// Pass-through mode has no sessions to check: ready.
	cfg, err := ParseConfig([]byte(`{"ready_path": "/ready", "health_path": "/live"}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pass := &browser{t: t, e: e, jar: map[string]string{}, now: time.Now()}
	probe(t, pass, "GET", "/ready", 200, `"ready"`)
	probe(t, pass, "GET", "/live", 200, `"ok"`)
}

func TestReadyPathConfig(t *testing.T) {
	for _, c := range []struct{ json, field string }{
		{`{"ready_path": "/exeunt/healthz"}`, "ready_path"},
		{`{"health_path": "/exeunt/readyz"}`, "health_path"},
		{`{"ready_path": "/a", "health_path": "/a"}`, "ready_path"},
		{`{"ready_path": "readyz"}`, "ready_path"},
		{`{"ready_path": "/r?x"}`, "ready_path"},
	} {
		_, err := ParseConfig([]byte(c.json))
		ce, ok := err.(*ConfigError)
		if !ok || ce.Field != c.field {
			t.Errorf("%s: want an error naming %s, got %v", c.json, c.field, err)
		}
	}
	cfg, err := ParseConfig([]byte(`{"health_path": "/exeunt/readyz", "ready_path": "/exeunt/ready"}`))
	if err != nil || cfg.ReadyPath() != "/exeunt/ready" || cfg.HealthPath() != "/exeunt/readyz" {
		t.Fatalf("two distinct paths: %v %v", cfg, err)
	}
	// Signed in, the readiness path may not be a path of Exeunt's too.
	m := signoutConfigMap()
	m["ready_path"] = "/connect/endsession"
	if _, err := ParseConfig([]byte(mustJSON(m))); err == nil || !strings.Contains(err.Error(), "ready_path") {
		t.Fatalf("ready_path on the end session path: %v", err)
	}
}

// Without any answer from etcd a VM is not ready (and says why), and is still alive.
// This needs no etcd.
func TestReadinessWithoutEtcd(t *testing.T) {
	m := signoutConfigMap()
	m["store"] = map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": etcdTestCluster}}
	s := etcdEngineEnv(t, m, &logLines{})
	probe(t, s.browser, "GET", DefaultReadyPath, 503, "have not been loaded from etcd yet")
	for _, c := range s.e.Start(s.now) {
		backgroundOf(c.Then(CallResult{})) // no answer
	}
	probe(t, s.browser, "GET", DefaultReadyPath, 503, "have not been loaded from etcd yet")
	probe(t, s.browser, "HEAD", DefaultReadyPath, 503, "")
	probe(t, s.browser, "GET", DefaultHealthPath, 200, `{"status":"ok"}`)
}

// Against a real etcd (run by e2e/store_etcd_test.go): ready once the start's follow has
// loaded the revocations, not ready (with the same 503 for a signed-in request) once the
// copy is older than stale_after, ready again after the next follow.
func TestEtcdReadinessFollowsTheCopy(t *testing.T) {
	etcd := etcdURL(t)
	etcdFlows.url, etcdFlows.t = etcd, t
	defer func() { etcdFlows.url = "" }()
	s := etcdEngineEnv(t, etcdStoreConfig(), &logLines{})
	s.signIn("https://exeunt.test/app1/")
	probe(t, s.browser, "GET", DefaultReadyPath, 503, "have not been loaded from etcd yet")
	storeRefused(t, s.app1("text/html"), false)
	s.start()
	probe(t, s.browser, "GET", DefaultReadyPath, 200, `{"status":"ready"}`)
	if !s.app1("text/html").Continues() {
		t.Fatal("ready, but the session is refused")
	}
	s.now = s.now.Add(3 * time.Second) // stale_after is 2s; no tick has followed since
	probe(t, s.browser, "GET", DefaultReadyPath, 503, "older than store.etcd.stale_after")
	probe(t, s.browser, "GET", DefaultHealthPath, 200, `{"status":"ok"}`)
	storeRefused(t, s.app1("text/html"), false)
	s.tick()
	probe(t, s.browser, "GET", DefaultReadyPath, 200, `{"status":"ready"}`)
	if !s.app1("text/html").Continues() {
		t.Fatal("ready again, but the session is refused")
	}
}
