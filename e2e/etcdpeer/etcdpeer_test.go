package etcdpeer_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// put writes key=value and fails the test on any refusal.
func put(t *testing.T, p *etcdpeer.Peer, key, value, token string) {
	t.Helper()
	status, body, err := p.Post("/v3/kv/put", []byte(`{"key":"`+b64(key)+`","value":"`+b64(value)+`"}`), token)
	if err != nil || status != http.StatusOK {
		t.Fatalf("put %s: %d %s %v", key, status, body, err)
	}
}

// get reads one key's value ("" when absent) and fails the test on any refusal.
func get(t *testing.T, p *etcdpeer.Peer, key, token string) string {
	t.Helper()
	status, body, err := p.Post("/v3/kv/range", []byte(`{"key":"`+b64(key)+`"}`), token)
	if err != nil || status != http.StatusOK {
		t.Fatalf("range %s: %d %s %v", key, status, body, err)
	}
	var resp struct {
		Kvs []struct{ Value []byte }
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("range %s: %v in %s", key, err, body)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

// An etcd that is stopped refuses connections, and one started again on the same ports has
// everything it acknowledged before, after a graceful stop and after a kill.
func TestStopRestartKeepsData(t *testing.T) {
	p := etcdpeer.Start(t, etcdpeer.Config{})
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want a loopback address", p.URL)
	}
	if !strings.HasPrefix(p.Version, "3.") {
		t.Errorf("Version = %q, want 3.x", p.Version)
	}
	put(t, p, "/t/a", "one", "")

	p.Stop()
	if p.Running() {
		t.Fatal("Running after Stop")
	}
	if status, body, err := p.Post("/v3/kv/range", []byte(`{"key":"`+b64("/t/a")+`"}`), ""); err == nil {
		t.Fatalf("a stopped etcd answered: %d %s", status, body)
	}

	p.Restart()
	if got := get(t, p, "/t/a", ""); got != "one" {
		t.Fatalf("after a stop and restart /t/a = %q, want %q", got, "one")
	}
	put(t, p, "/t/b", "two", "")

	p.Kill()
	p.Restart()
	if got := get(t, p, "/t/b", ""); got != "two" {
		t.Fatalf("after a kill and restart /t/b = %q, want %q", got, "two")
	}
}

// With authentication on, a request without a token is refused, a user's token reaches its
// own prefix and nothing else, and a wrong password gets no token.
func TestEnableAuth(t *testing.T) {
	p := etcdpeer.Start(t, etcdpeer.Config{})
	p.EnableAuth("rootpw", etcdpeer.User{Name: "app", Password: "apppw", Prefix: "/app/"})

	if status, body, _ := p.Post("/v3/kv/range", []byte(`{"key":"`+b64("/app/x")+`"}`), ""); status == http.StatusOK {
		t.Fatalf("a request without a token was served: %s", body)
	}
	if status, body, _ := p.Post("/v3/auth/authenticate", []byte(`{"name":"app","password":"wrong"}`), ""); status == http.StatusOK {
		t.Fatalf("a wrong password got an answer: %s", body)
	}
	status, body, err := p.Post("/v3/auth/authenticate", []byte(`{"name":"app","password":"apppw"}`), "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("authenticate: %d %s %v", status, body, err)
	}
	var auth struct{ Token string }
	if err := json.Unmarshal(body, &auth); err != nil || auth.Token == "" {
		t.Fatalf("authenticate: no token in %s (%v)", body, err)
	}
	put(t, p, "/app/x", "mine", auth.Token)
	if got := get(t, p, "/app/x", auth.Token); got != "mine" {
		t.Fatalf("/app/x = %q, want %q", got, "mine")
	}
	if status, body, _ := p.Post("/v3/kv/put", []byte(`{"key":"`+b64("/other/x")+`","value":"eA=="}`), auth.Token); status == http.StatusOK || !strings.Contains(string(body), "permission denied") {
		t.Fatalf("a put outside the user's prefix: %d %s, want permission denied", status, body)
	}
}
