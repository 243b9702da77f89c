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

// The store keeps the instant first recorded: a later VM or tick keeps it, also one whose
// clock reads earlier. A clock stepped back (NTP correcting a clock that ran ahead) moved
// it back to the stepped clock's now, on the next tick of any VM, and the previous
// process's sessions made after that now were served again, signed out or not.
func TestLocalStoreSinceNeverMovesBack(t *testing.T) {
	store := NewMemoryStore()
	t0 := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		at   time.Time
		want int64
	}{{t0, t0.Unix()}, {t0.Add(time.Hour), t0.Unix()}, {t0.Add(-10 * time.Minute), t0.Unix()}} {
		if got, ok := localStoreSince(store, c.at); !ok || got != c.want {
			t.Fatalf("at %v: since %d (%v), want %d", c.at.Unix(), got, ok, c.want)
		}
	}
}

// A session of the previous Envoy process, signed out there, is refused after a restart
// even once this process's clock has been stepped back to before the session was made
// (its engines re-read the store's instant on every tick).
func TestLocalStoreRefusesOldSessionsAfterAClockStepBack(t *testing.T) {
	if deferStorePorts || etcdFlows.url != "" {
		t.Skip("the local backend's own behaviour")
	}
	s := newSignoutEnv(t, nil)
	s.now = time.Unix(s.now.Unix(), 0)
	s.e.Start(s.now.Add(-time.Hour))
	s.signedIn()
	cfg := s.e.cfg
	old := s.jar["__Host-exeunt"]

	// Envoy restarts ten minutes later; then NTP steps its clock back by a quarter hour.
	restarted := mustEngine(t, cfg)
	restarted.Start(s.now.Add(10 * time.Minute))
	restarted.OnTick(s.now.Add(-5 * time.Minute))
	s.e = restarted
	s.jar["__Host-exeunt"] = old
	if s.signedInStill() {
		t.Fatal("after a restart and a clock step back, a session of the previous process is served again")
	}
}
