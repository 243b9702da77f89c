package demo

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo/etcd"
	"github.com/exeunt/exeunt/hostsim/serve"
)

// startReplica runs build/exeunt.wasm in hostsim serve with the shipped envoy.yaml made a
// fleet's replica on etcd at etcdAddr, and returns its listener's address.
func startReplica(t *testing.T, etcdAddr string, keys Keys) string {
	t.Helper()
	root, _ := filepath.Abs("..")
	if _, err := os.Stat(filepath.Join(root, "build", "exeunt.wasm")); err != nil {
		t.Fatal("build/exeunt.wasm is missing: run `make test` (or `make wasm`) first")
	}
	out, err := FleetConfig(repoYAML(t), Fleet{EtcdAddr: etcdAddr, Keys: keys,
		Etcd: map[string]any{"follow_period": "100ms", "stale_after": "1s", "timeout": "300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := serve.Start(context.Background(), serve.Options{ConfigPath: path, VMs: 1, BaseDir: root,
		Log: io.Discard, CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.ListenerAddr("main")
}

// get asks the front for path with the browser's Host.
func get(t *testing.T, front, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+front+path, nil)
	req.Host = "localhost:10000"
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// The front takes a replica out of rotation while its readiness check answers 503, as the
// load balancer docs/fleet.md describes: two real replicas (hostsim serve with the built
// filter), one on a running etcd, one whose etcd cannot be reached (it never loads the
// revocations, so it refuses signed-in requests and is never ready). Every request through
// the front reaches the ready one; when etcd stops and that one goes stale too, the front
// answers 503 itself, saying no replica is ready; when etcd is back, it serves again.
func TestFrontSendsRequestsOnlyToReadyReplicas(t *testing.T) {
	srv, err := etcd.Start(etcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Kill()
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneAddr := gone.Addr().String()
	gone.Close() // nothing listens there: connections are refused
	keys, err := GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	ready := startReplica(t, srv.Addr, keys)
	unready := startReplica(t, goneAddr, keys)

	var log strings.Builder
	balancer := NewFront(FrontCheck{Host: "localhost:10000", Interval: 100 * time.Millisecond, Log: &syncWriter{w: &log}}, ready, unready)
	defer balancer.Close()
	waitFront(t, balancer, true, false)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &http.Server{Handler: balancer}
	go front.Serve(l)
	defer front.Close()
	addr := l.Addr().String()

	// Round robin would send every other request to the replica that is not ready: its
	// readiness check answers 503 there, and so would a signed-in request.
	for i := 0; i < 8; i++ {
		if status, body, _ := get(t, addr, DefaultReadyPath); status != http.StatusOK {
			t.Fatalf("request %d through the front reached a replica that is not ready: %d %s", i+1, status, body)
		}
	}

	// etcd stops: the ready replica's copy goes stale after stale_after (1s) and its
	// readiness check answers 503; two failed probes later it is out of rotation too.
	srv.Stop()
	waitFront(t, balancer, false, false)
	status, body, h := get(t, addr, "/app1/")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") ||
		!strings.Contains(body, "no replica of Exeunt is ready") || !strings.Contains(body, DefaultReadyPath) {
		t.Fatalf("with no replica ready the front answered %d %q: %s", status, h.Get("Content-Type"), body)
	}
	if !strings.Contains(log.String(), "replica 1 ("+ready+") is not ready, out of rotation: "+DefaultReadyPath+" answered 503") {
		t.Errorf("the front's log does not say why replica 1 left the rotation:\n%s", log.String())
	}

	// etcd is back: the replica catches up, answers 200 twice in a row, and is back in.
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFront(t, balancer, true, false)
	if status, body, _ := get(t, addr, DefaultReadyPath); status != http.StatusOK {
		t.Fatalf("after etcd came back the front answered %d %s", status, body)
	}
}
