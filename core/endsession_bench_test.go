package core

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// endSessionBench is an engine with a signed-in session minted directly (no provider
// round trip), the provider's metadata already fetched, and the means to make fresh
// sessions: each sign-out ends one.
type endSessionBench struct {
	s *signoutEnv
}

func newEndSessionBench(b *testing.B) *endSessionBench {
	eb := &endSessionBench{s: newSignoutEnv(b, nil)}
	eb.s.e.log = func(string) {}
	// Sign out once through the provider: fetches its metadata, warms the caches.
	cookie, hint := eb.session(b)
	eb.endSession(b, cookie, hint)
	return eb
}

// session mints a session cookie for a fresh sid that visited app1 and app2, and
// returns it with the assertion app1 received for it: what the app sends back as
// id_token_hint.
func (eb *endSessionBench) session(b *testing.B) (cookie, hint string) {
	e, now := eb.s.e, eb.s.now
	s := session{SID: oidc.RandomID(24), Sub: "alice", IdP: "oidc", Iss: "https://idp.test", Email: "alice@example.test",
		AuthTime: now.Unix(), Created: now.Unix(), Expires: now.Add(time.Hour).Unix(), Seen: now.Unix(), Clients: []string{"app1", "app2"}}
	set, err := e.sessionCookies(&s, now, 0)
	if err != nil || len(set) != 1 {
		b.Fatalf("cannot mint a session cookie: %v", err)
	}
	cookie, _, _ = strings.Cut(set[0].Value, ";")
	d := e.OnRequestHeaders(Request{Method: "GET", Path: "/app1/", Authority: "exeunt.test", Scheme: "https",
		Headers: []Header{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookie}}}, now)
	if hint = headerValue(d.SetHeaders, "x-exeunt-assertion"); hint == "" {
		b.Fatalf("not signed in: %+v", d)
	}
	return cookie, hint
}

// endSession sends the end session request with hint and checks that it signs out
// without a prompt.
func (eb *endSessionBench) endSession(b *testing.B, cookie, hint string) {
	e := eb.s.e
	d := e.OnRequestHeaders(Request{Method: "GET", Path: "/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode(),
		Authority: "exeunt.test", Scheme: "https", Headers: []Header{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookie}}}, eb.s.now)
	for d.Call != nil {
		d = d.Call.Then(eb.s.idp.answer(d.Call))
	}
	if d.Response == nil || d.Response.Status != 302 {
		b.Fatalf("end session did not sign out: %+v", d.Response)
	}
}

// BenchmarkEndSession is the engine's own work for an end session request with a valid
// id_token_hint (the assertion the app received) from the signed-in browser: the
// request that signs out without a prompt. Run it compiled as the filter is with
// GOOS=wasip1 (see `make bench`).
func BenchmarkEndSession(b *testing.B) {
	eb := newEndSessionBench(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cookie, hint := eb.session(b)
		b.StartTimer()
		eb.endSession(b, cookie, hint)
	}
}
