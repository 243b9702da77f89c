package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// Requests whose body the filter reads (core's Decision.ReadBody) through
// build/exeunt.wasm in hostsim: the body reaches core whole, and one past the limit is
// refused without being read.

func (e *signinEnv) post(path, contentType string, body []byte) *hostsim.Response {
	e.t.Helper()
	resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: "POST", Scheme: "https", Authority: "exeunt.test", Path: path,
		Header: []hostsim.Pair{{Name: "content-type", Value: contentType}}, Body: body}, e.apps)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func TestTheFilterReadsRequestBodies(t *testing.T) {
	e := newSigninEnv(t)
	for _, tt := range []struct {
		name, path, contentType string
		body                    []byte
		status                  int
		inBody                  string
	}{
		{"a logout token that is not a JWT", "/backchannel-oidc", "application/x-www-form-urlencoded", []byte("logout_token=not-a-jwt"), 400, `"error":"invalid_request"`},
		{"no logout token at all", "/backchannel-oidc", "application/x-www-form-urlencoded", nil, 400, `"error":"invalid_request"`},
		{"a body past the limit", "/backchannel-oidc", "application/x-www-form-urlencoded", bytes.Repeat([]byte("a"), 64<<10+1), 413, "larger than"},
		{"an end session form that is not a form", "/connect/endsession", "text/plain", []byte("id_token_hint=x"), 415, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.post(tt.path, tt.contentType, tt.body)
			if resp.Status != tt.status || !resp.LocalReply || !strings.Contains(string(resp.Body), tt.inBody) {
				t.Fatalf("%d (local reply: %v) %s; want %d with %q", resp.Status, resp.LocalReply, resp.Body, tt.status, tt.inBody)
			}
		})
	}
	if len(e.apps.seen) != 0 {
		t.Fatalf("requests reached the apps: %v", e.apps.seen)
	}
}

// core's counters reach the host as Proxy-Wasm counters, defined once per VM and added
// to from both.
func TestTheFilterCountsIntoHostCounters(t *testing.T) {
	e := newSigninEnv(t)
	for i := 0; i < 2; i++ { // one on each VM
		resp := e.post("/connect/endsession", "application/x-www-form-urlencoded", []byte("id_token_hint=not-a-token&client_id=app1"))
		if resp.Status < 400 || !resp.LocalReply {
			t.Fatalf("a logout request with a bad hint: %d %s", resp.Status, resp.Body)
		}
	}
	m, ok := e.host.Metric("exeunt.logout.rejected")
	if !ok || m.Type != hostsim.MetricCounter || m.Value != 2 {
		t.Fatalf("exeunt.logout.rejected = %+v (defined: %v), want a counter at 2", m, ok)
	}
}
