package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// TestAFirstVisitWhoseRecordIsGoneIsASignedOutSession: through build/exeunt.wasm on the
// etcd store, a session's first request to a client whose index record is gone is
// answered as a signed-out session (the browser is sent to sign in, its cookie cleared),
// not as the store failing (503), and is not counted as a store refusal. The record is
// deleted from the real etcd by hand: the state a VM meets when a sign-out elsewhere
// dropped the record (in the same transaction as its revocation) before this VM learned
// of the revocation, which is the only way a record goes before the session expires.
func TestAFirstVisitWhoseRecordIsGoneIsASignedOutSession(t *testing.T) {
	etcd := etcdpeer.Start(t, etcdpeer.Config{})
	// A generous timeout: nothing here waits for one, and a call slower than 1 s on a
	// loaded machine made the visit a store 503 (a flake, seen once).
	e := newEnv(t, envOptions{
		config:   map[string]any{"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd", "timeout": "10s"}}},
		clusters: map[string]hostsim.Cluster{"etcd": {Handler: newEtcdCounter(t, etcd.URL)}},
	})
	waitServing(t, e, "https://exeunt.test/app1/")
	e.signIn("https://exeunt.test/app1/")
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1: %d %s", r.Status, r.Body)
	}
	sid := e.apps.seenBy("app1").Get("x-exeunt-sid")
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte("/exeunt/session/" + sid))})
	if st, out, err := etcd.Post("/v3/kv/deleterange", body, ""); err != nil || st != 200 || !strings.Contains(string(out), `"deleted":"1"`) {
		t.Fatalf("deleting the record of sid=%s: %d %s %v", sid, st, out, err)
	}

	r := e.get("https://exeunt.test/app2/page")
	if r.Status != 302 || !strings.Contains(r.HeaderValue("location"), "/auth") {
		t.Fatalf("first visit to app2 with its record gone: %d %s (location %q), want the sign-in redirect", r.Status, r.Body, r.HeaderValue("location"))
	}
	if e.apps.seenBy("app2") != nil {
		t.Fatal("app2 was reached by a signed-out session")
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Error("the signed-out session's cookie was kept")
	}
	if m, ok := e.host.Metric("exeunt.store.unavailable_refusals"); ok && m.Value != 0 {
		t.Errorf("counted as %d store refusals, want none", m.Value)
	}
}
