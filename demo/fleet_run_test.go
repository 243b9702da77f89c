package demo

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo/etcd"
)

// TestFleetDemoStopsWhenItsEtcdDies kills the fleet demo's etcd from outside, as a crash or
// another process would: the demo fails (Failed is closed), and Err says that etcd exited,
// how, and what that means for the replicas, which cmd/demo prints as it stops. Before, the
// demo kept running silently with replicas that soon refused every signed-in request.
func TestFleetDemoStopsWhenItsEtcdDies(t *testing.T) {
	root, _ := filepath.Abs("..")
	if _, err := os.Stat(filepath.Join(root, "build", "exeunt.wasm")); err != nil {
		t.Fatal("build/exeunt.wasm is missing: run `make test` (or `make wasm`) first")
	}
	var log strings.Builder
	d, err := Start(context.Background(), Options{ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FreePorts: true,
		VMs: 1, Replicas: 2, Log: &syncWriter{w: &log}, CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	defer d.Close()
	srv := d.proxy.(*fleetProxy).etcd
	pid := srv.PID()
	if pid == 0 || d.Err() != nil {
		t.Fatalf("the fleet demo started without a running etcd (pid %d) or failed already: %v", pid, d.Err())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.Failed():
	case <-time.After(10 * time.Second):
		t.Fatalf("the demo did not notice that its etcd (pid %d) was killed", pid)
	}
	msg := d.Err().Error()
	for _, want := range []string{"the demo's etcd (" + d.EtcdURL + ") exited (signal: killed)", "refuse signed-in requests (503)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Err() = %q, want it to say %q", msg, want)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// Close stops etcd too, which is no failure: cmd/demo would exit 1 if Err said so.
	d, err = Start(context.Background(), Options{ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FreePorts: true,
		VMs: 1, Replicas: 2, Log: &syncWriter{w: &log}, CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	exited := d.proxy.(*fleetProxy).etcd.Exited()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	<-exited
	time.Sleep(100 * time.Millisecond) // time for a watcher that took the stop for a failure
	if err := d.Err(); err != nil {
		t.Fatalf("a fleet demo closed normally reports %v", err)
	}
}

// While the demo starts, it waits for each replica to be ready; if etcd dies then, the wait
// ends at once with an error that says so, instead of probing for 30 s.
func TestReplicaWaitEndsWhenEtcdDies(t *testing.T) {
	srv, err := etcd.Start(etcd.Config{DataDir: filepath.Join(t.TempDir(), "etcd")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Kill()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := l.Addr().String()
	l.Close() // a replica that never answers
	done := make(chan error, 1)
	go func() { done <- waitReplicaReady(context.Background(), nowhere, FrontCheck{}, srv) }()
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(srv.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "the demo's etcd ("+srv.URL+") exited (signal: killed)") {
			t.Fatalf("waitReplicaReady = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wait for a replica went on after etcd died")
	}
}
