package core

import (
	"slices"
	"strings"
	"testing"
)

// checkSessionAllows is the check_session_iframe's origin test (assets/checksession.js,
// allowed): the origin is listed, or its scheme and host are listed with ":*".
func checkSessionAllows(origins []string, origin string) bool {
	if slices.Contains(origins, origin) {
		return true
	}
	rest, ok := strings.CutPrefix(origin, "https://")
	scheme := "https://"
	if !ok {
		rest, ok = strings.CutPrefix(origin, "http://")
		scheme = "http://"
	}
	if !ok {
		return false
	}
	host := rest
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host = rest[:i]
	}
	return slices.Contains(origins, scheme+host+":*")
}

// A client whose host is written with the scheme's default port (app.example.test:443)
// is reached at the origin https://app.example.test: browsers never spell a default port
// in an origin (RFC 6454 §6.1), and the filter computes session_state with that spelling
// (requestOrigin). The check_session_iframe must answer that origin's messages, as
// Session Management 1.0 §3.2 asks ("unchanged", "changed" or "error"); it listed
// https://app.example.test:443, which no message's origin ever is, and so stayed silent.
func TestCheckSessionAnswersAClientWrittenWithTheDefaultPort(t *testing.T) {
	cfg, err := parseConfigReaching(configWith(t, set("logout.session_management", true),
		appendTo("clients", map[string]any{"client_id": "wiki", "hosts": []any{"wiki.acme.com:443"}}),
		appendTo("clients", map[string]any{"client_id": "dev", "hosts": []any{"localhost:80"}})), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ client, scheme, authority string }{
		{"wiki", "https", "wiki.acme.com"},
		{"wiki", "https", "wiki.acme.com:443"},
		{"dev", "http", "localhost"},
		{"dev", "http", "localhost:80"},
	} {
		r := Request{Method: "GET", Scheme: c.scheme, Authority: c.authority, Path: "/"}
		if got := cfg.Classify(r); got.Class != ClassClient || got.Client.ClientID != c.client {
			t.Fatalf("%s://%s/ is %v (%s), want owned by %s", c.scheme, c.authority, got.Class, got.Rule, c.client)
		}
		origins := cfg.checkSessionOrigins[c.client]
		if o := requestOrigin(r); !checkSessionAllows(origins, o) {
			t.Errorf("%s: the iframe answers %q, not %q, the origin session_state is computed for", c.client, origins, o)
		}
	}
}
