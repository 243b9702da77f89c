package core

import (
	"strings"
	"testing"
	"time"
)

// unindexableSessions is a session index whose writes the store does not take (etcd
// timing out between the sign-in's state claim and its record, say); reads still work.
type unindexableSessions struct{ sessionIndex }

func (unindexableSessions) index(_ sessionRecord, _ *userRead, _ time.Time, then func(error) Decision) Decision {
	return then(errClaimsDown)
}

// A session the index does not hold cannot be found by a provider's sign-out (its
// back-channel logout token and front-channel iframe carry no cookie): the provider would
// be told "no session here" (200) while the edge session lives on. So a sign-in whose
// session cannot be recorded makes no session: 503 ("try again"), no session cookie, the
// flow cookie spent, and "Try again" starts a new sign-in for the page asked for. Before,
// the sign-in went on and the provider's back-channel sign-out left the user signed in.
func TestASignInWhoseSessionCannotBeIndexedMakesNoSession(t *testing.T) {
	s := newSignoutEnv(t, nil)
	working := s.e.ports.sessions
	s.e.ports.sessions = unindexableSessions{working}
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/page?x=1")))
	d := s.request("GET", back)
	if d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "retry-after") == "" {
		t.Fatalf("callback with the index unwritable: want 503 with Retry-After, got %+v", d.Response)
	}
	body := string(d.Response.Body)
	if !strings.Contains(body, "session store is not reachable") || !strings.Contains(body, `href="https://exeunt.test/app1/page?x=1"`) {
		t.Fatalf("want the store-unreachable page with a way back to the page asked for:\n%s", body)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("a session cookie was set for a session the index does not hold")
	}
	for k := range s.jar {
		if strings.Contains(k, "-flow-") {
			t.Fatalf("the spent flow cookie %s was kept", k)
		}
	}
	if s.signedInStill() {
		t.Fatal("the app is reachable without an indexed session")
	}

	// With the index writable again, "Try again" signs the user in, and the provider's
	// back-channel sign-out finds the session and ends it.
	s.e.ports.sessions = working
	if got := s.signIn("https://exeunt.test/app1/page?x=1"); got != "https://exeunt.test/app1/page?x=1" {
		t.Fatalf("after trying again: %q", got)
	}
	if !s.signedInStill() {
		t.Fatal("not signed in after trying again")
	}
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, "RS256", nil)); d.Response == nil || d.Response.Status != 200 || s.signedInStill() {
		t.Fatalf("the provider's back-channel sign-out did not end the indexed session: %+v", d.Response)
	}
}

// unupdatableSessions is a session index that takes new sessions but not a record's
// update (the client a session visits for the first time).
type unupdatableSessions struct{ sessionIndex }

func (unupdatableSessions) update(_ sessionRecord, _ time.Time, then func(error) Decision) Decision {
	return then(errClaimsDown)
}

// The first request of a session to a client waits until the index names the client
// (RATIONALE.md, "Why a session's first visit to a client waits for etcd"): a provider's
// sign-out, which has no cookie, learns the clients to notify from that record alone. When
// the record cannot be updated, the request does not reach the client (503, try again):
// before, it went on, and the provider's back-channel sign-out then ended the session
// without telling that client, whose own session lived on.
func TestAFirstVisitTheIndexCannotRecordDoesNotReachTheClient(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signIn("https://exeunt.test/app1/")
	if d := s.request("GET", "https://exeunt.test/app1/"); !d.Continues() {
		t.Fatalf("app1: %+v", d.Response)
	}
	working := s.e.ports.sessions
	s.e.ports.sessions = unupdatableSessions{working}
	d := s.request("GET", "https://exeunt.test/app2/")
	if d.Continues() || d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "retry-after") == "" {
		t.Fatalf("first visit to app2 with the index not updatable: want 503, got continues=%v %+v", d.Continues(), d.Response)
	}
	if !s.signedInStill() {
		t.Fatal("the session itself must live on (only the new client was refused)")
	}
	api := s.request("GET", "https://exeunt.test/app2/", Header{Name: "accept", Value: "application/json"})
	if api.Continues() || api.Response == nil || api.Response.Status != 503 || !strings.Contains(string(api.Response.Body), "temporarily_unavailable") {
		t.Fatalf("an API call's first visit: want the JSON 503, got %+v", api.Response)
	}

	s.e.ports.sessions = working
	if d := s.request("GET", "https://exeunt.test/app2/"); !d.Continues() {
		t.Fatalf("app2 once the index takes the visit: %+v", d.Response)
	}
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, "RS256", nil)); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("provider back-channel sign-out: %+v", d.Response)
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 || len(s.apps.tokens["app2"]) != 1 {
		t.Fatalf("logout tokens: app1 %d, app2 %d; want one each", len(s.apps.tokens["app1"]), len(s.apps.tokens["app2"]))
	}
}
