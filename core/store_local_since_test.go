package core

import (
	"net/url"
	"testing"
	"time"
)

// The local store forgets sign-outs when Envoy restarts (a new process, new shared data),
// but a cookie sealed with configured keys still opens: the restarted engine refuses
// every session created before its store began, so a signed-out session never comes
// back; a plugin reload (new VMs, the same shared data) keeps the sessions; and a session
// made after the restart is served. Everything here happens within one second, the
// precision of a session's creation time: the restart's second is ambiguous, and must
// still refuse the old session and keep the new one.
func TestLocalStoreRefusesSessionsOlderThanItself(t *testing.T) {
	if deferStorePorts || etcdFlows.url != "" {
		t.Skip("the local backend's own behaviour")
	}
	s := newSignoutEnv(t, nil)
	s.now = time.Unix(s.now.Unix(), 0) // the start of a second: every step below is within it
	s.e.Start(s.now.Add(-time.Minute))
	assertion, _ := s.signedIn()
	cfg := s.e.cfg
	alive := s.jar["__Host-exeunt"]

	// A plugin reload: new VMs on the same shared data keep the session.
	reloaded, err := NewEngine(cfg, s.e.store, func(msg string) { t.Log(msg) })
	if err != nil {
		t.Fatal(err)
	}
	reloaded.Start(s.now)
	before := s.e
	s.e = reloaded
	if !s.signedInStill() {
		t.Fatal("a plugin reload (same shared data) dropped a live session")
	}

	s.e = before
	s.request("GET", endSessionURL(url.Values{"id_token_hint": {assertion}}))
	s.jar["__Host-exeunt"] = alive
	if s.signedInStill() {
		t.Fatal("the signed-out session is still served before the restart")
	}

	// Envoy restarts: a fresh store, the same configuration and keys.
	restarted := mustEngine(t, cfg)
	restarted.Start(s.now)
	s.e = restarted
	s.jar["__Host-exeunt"] = alive
	if s.signedInStill() {
		t.Fatal("after a restart of Envoy on the local store, a session signed out before it is served again")
	}
	s.jar = map[string]string{}
	s.signedIn()
	if !s.signedInStill() {
		t.Fatal("a session made after the restart is refused")
	}
}

// VMs starting together each write their start (shared data has no create-if-absent):
// the store keeps the earliest, which every VM then reads, and a later VM or tick keeps it.
func TestLocalStoreSinceIsTheEarliestStart(t *testing.T) {
	store := NewMemoryStore()
	t0 := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		at   time.Time
		want int64
	}{{t0.Add(time.Second), t0.Unix() + 1}, {t0, t0.Unix()}, {t0.Add(time.Hour), t0.Unix()}} {
		if got, ok := localStoreSince(store, c.at); !ok || got != c.want {
			t.Fatalf("at %v: since %d (%v), want %d", c.at.Unix(), got, ok, c.want)
		}
	}
}
