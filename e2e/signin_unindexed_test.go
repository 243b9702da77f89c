package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// indexRefusingEtcd passes a cluster's calls on to a real etcd, except, while refuse is
// set, the puts and transactions that write a session's record (keys under /exeunt/session/):
// those get 503, as an etcd that times out between the sign-in's state claim and its
// session record would answer.
type indexRefusingEtcd struct {
	*etcdCounter
	refuse  atomic.Bool
	refused atomic.Int64
}

func (c *indexRefusingEtcd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if c.refuse.Load() && (r.URL.Path == "/v3/kv/txn" || r.URL.Path == "/v3/kv/put") && writesUnder(body, "/exeunt/session/") {
		c.refused.Add(1)
		http.Error(w, `{"error":"refused by the test"}`, http.StatusServiceUnavailable)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.etcdCounter.ServeHTTP(w, r)
}

// writesUnder reports whether a JSON gateway request names a key (base64) under prefix.
func writesUnder(body []byte, prefix string) bool {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "key" {
					if raw, err := base64.StdEncoding.DecodeString(s); err == nil && strings.HasPrefix(string(raw), prefix) {
						return true
					}
				}
				if walk(x) {
					return true
				}
			}
		case []any:
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}

// TestASignInEtcdCannotIndexMakesNoSession: through build/exeunt.wasm on the etcd store,
// a sign-in whose session record etcd does not take makes no session (503, no session
// cookie, the app still asks for a sign-in): a session missing from the index would
// outlive the provider's sign-out. Once etcd takes the record, "Try again" signs in.
func TestASignInEtcdCannotIndexMakesNoSession(t *testing.T) {
	etcd := etcdpeer.Start(t, etcdpeer.Config{})
	proxy := &indexRefusingEtcd{etcdCounter: newEtcdCounter(t, etcd.URL)}
	e := newEnv(t, envOptions{
		config:   map[string]any{"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd", "timeout": "1s"}}},
		clusters: map[string]hostsim.Cluster{"etcd": {Handler: proxy}},
	})
	proxy.refuse.Store(true)
	start := "https://exeunt.test/app1/dashboard"
	authURL := redirectOf(t, waitServing(t, e, start))
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp := e.get(back.String())
	if resp.Status != 503 || resp.HeaderValue("retry-after") == "" || proxy.refused.Load() == 0 {
		t.Fatalf("callback with the session record refused (%d refusals): want 503 with Retry-After, got %d %s", proxy.refused.Load(), resp.Status, resp.Body)
	}
	if !hasLink(resp.Body, start) {
		t.Fatalf("the page's Try again does not lead back to %s:\n%s", start, resp.Body)
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set for a session etcd does not hold")
	}
	if r := e.get(start); r.Status != 302 {
		t.Fatalf("the app without an indexed session: %d, want the sign-in redirect", r.Status)
	}

	proxy.refuse.Store(false)
	if got := e.signIn(start); got != start {
		t.Fatalf("trying again: landed on %q", got)
	}
	if r := e.get(start); r.Status != 200 {
		t.Fatalf("signed in after trying again: %d %s", r.Status, r.Body)
	}
}

// waitServing sends GETs of rawURL until the filter answers otherwise than 503 (a VM on
// etcd refuses sessions until its first load of the revocations), and returns that answer.
func waitServing(t *testing.T, e *signinEnv, rawURL string) *hostsim.Response {
	t.Helper()
	for i := 0; ; i++ {
		r := e.get(rawURL)
		if r.Status != 503 || i == 100 {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAFirstVisitEtcdCannotRecordDoesNotReachTheClient: through build/exeunt.wasm on the
// etcd store, the first request of a session to a client whose visit etcd does not record
// is refused (503) and never reaches the client: a provider's sign-out would not know to
// notify it. The session itself lives on, and the visit goes through once etcd records it.
func TestAFirstVisitEtcdCannotRecordDoesNotReachTheClient(t *testing.T) {
	etcd := etcdpeer.Start(t, etcdpeer.Config{})
	proxy := &indexRefusingEtcd{etcdCounter: newEtcdCounter(t, etcd.URL)}
	e := newEnv(t, envOptions{
		config:   map[string]any{"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd", "timeout": "1s"}}},
		clusters: map[string]hostsim.Cluster{"etcd": {Handler: proxy}},
	})
	waitServing(t, e, "https://exeunt.test/app1/")
	e.signIn("https://exeunt.test/app1/")
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1: %d %s", r.Status, r.Body)
	}
	proxy.refuse.Store(true)
	if r := e.get("https://exeunt.test/app2/"); r.Status != 503 || e.apps.seenBy("app2") != nil || proxy.refused.Load() == 0 {
		t.Fatalf("first visit to app2 with its record refused (%d refusals): %d, app2 reached: %v", proxy.refused.Load(), r.Status, e.apps.seenBy("app2") != nil)
	}
	// The log says what happened: the request was refused. It must not say a later
	// sign-out may miss the client: the refusal is what keeps that from happening.
	said := false
	for _, l := range e.host.Logs() {
		if strings.Contains(l.Message, "may miss a client") {
			t.Fatalf("the log claims a consequence the refusal prevents: %s", l.Message)
		}
		said = said || strings.Contains(l.Message, "to this client is refused")
	}
	if !said {
		t.Fatalf("no log line says the first visit was refused: %+v", e.host.Logs())
	}
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1, visited before: %d", r.Status)
	}
	proxy.refuse.Store(false)
	if r := e.get("https://exeunt.test/app2/"); r.Status != 200 || e.apps.seenBy("app2") == nil {
		t.Fatalf("app2 once etcd records the visit: %d", r.Status)
	}
}
