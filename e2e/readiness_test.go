package e2e

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// TestServeReadinessTellsTheTruthOnEtcd runs the shipped envoy.yaml in `hostsim serve` (a
// process, 2 VMs) with build/exeunt.wasm and the store on a real etcd, and probes it as a
// load balancer and an orchestrator would (hostsim gives each stream the next VM in turn,
// so every run of 6 probes is answered by both VMs): the readiness check (/exeunt/readyz) says 503, with the reason, exactly
// while a signed-in request gets the store's 503 (its copy of the revocations older than
// stale_after with etcd killed; not loaded yet after a restart with etcd still down), and
// 200 once signed-in requests are served again; the health check (/exeunt/healthz, liveness)
// stays 200 throughout, since a restart would not bring etcd back.
func TestServeReadinessTellsTheTruthOnEtcd(t *testing.T) {
	hostsimBin, etcd, peer, cfg := serveOnEtcdSetup(t, `"key_prefix": "/exeunt-ready/", "timeout": "500ms", "follow_period": "250ms", "stale_after": "1s"`,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "APP PAGE %s", r.URL.Path) }))
	cache := t.TempDir()
	proc := startServeProcess(t, hostsimBin, cfg, cache)
	b := &serveBrowser{t: t, addr: proc.addr, jar: map[string]string{}}

	// until waits (at most 15 s) for 6 probes in a row of path to answer status with a body
	// containing want.
	until := func(path string, status int, want string) {
		t.Helper()
		deadline, inARow := time.Now().Add(15*time.Second), 0
		var last string
		for inARow < 6 {
			res, body := b.get(path)
			last = fmt.Sprintf("%d %s", res.StatusCode, body)
			if res.StatusCode == status && strings.Contains(body, want) && res.Header.Get("Cache-Control") == "no-store" {
				inARow++
				continue
			}
			inARow = 0
			if time.Now().After(deadline) {
				t.Fatalf("%s: want %d %q, last answer %s\nlog:\n%s", path, status, want, last, proc.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// always checks that every one of 6 probes of path answers status with want.
	always := func(path string, status int, want string) {
		t.Helper()
		for i := 0; i < 6; i++ {
			if res, body := b.get(path); res.StatusCode != status || !strings.Contains(body, want) {
				t.Fatalf("%s: want %d %q, got %d %s\nlog:\n%s", path, status, want, res.StatusCode, body, proc.out)
			}
		}
	}
	appAnswers := func(status int, want string) {
		t.Helper()
		for i := 0; i < 6; i++ {
			if res, body := b.get("/app1/"); res.StatusCode != status || !strings.Contains(body, want) {
				t.Fatalf("/app1/ signed in: want %d %q, got %d %.200q\nlog:\n%s", status, want, res.StatusCode, body, proc.out)
			}
		}
	}

	until("/exeunt/readyz", 200, `{"status":"ready"}`)
	b.signIn(peer, func() *cookiejar.Jar { j, _ := cookiejar.New(nil); return j }())
	appAnswers(200, "APP PAGE")

	// etcd dies: within stale_after and a follow, every VM is not ready and says why, and
	// a signed-in request is refused; the process is alive.
	etcd.Kill()
	until("/exeunt/readyz", 503, "older than store.etcd.stale_after")
	appAnswers(503, "")
	always("/exeunt/healthz", 200, `{"status":"ok"}`)

	// A restart with etcd still down: not ready, because nothing is loaded.
	proc.kill()
	proc = startServeProcess(t, hostsimBin, cfg, cache)
	b.addr = proc.addr
	always("/exeunt/readyz", 503, "have not been loaded from etcd yet")
	appAnswers(503, "")
	always("/exeunt/healthz", 200, `{"status":"ok"}`)

	// etcd is back: ready, and the session serves.
	etcd.Restart()
	until("/exeunt/readyz", 200, `{"status":"ready"}`)
	appAnswers(200, "APP PAGE")
}
