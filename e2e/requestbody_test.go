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
