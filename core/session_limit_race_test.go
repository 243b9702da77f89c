package core

import (
	"strings"
	"testing"
	"time"
)

// Two sign-ins of one user that race (on two VMs, two replicas, or two requests of one
// VM waiting on etcd) must not both find room under session.max_per_user: the second
// one read the user's sessions before the first was indexed. Each racer saw the same
// count, and an attacker who fires many sign-ins at once (one provider session gives a
// code per request, silently) kept as many sessions as he could start in parallel, the
// limit being a bound on nothing. Here browser B signs in completely between A's read
// of the user's sessions and A's own index write; afterwards at most one of them may be
// signed in with max_per_user 1. Run over the local store, the asynchronous test backend
// and etcd (flowTests).
func TestRacingSignInsStayWithinTheLimit(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 1} })
	s.tick()
	a := s.browser
	b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now.Add(time.Minute)}
	a.now = s.now.Add(2 * time.Minute) // A's session is the newer one: B's is the one past the limit
	inner := s.e.ports.sessions
	hooked := &racingSessions{sessionIndex: inner}
	hooked.between = func() {
		hooked.between = nil
		b.signIn("https://exeunt.test/app1/")
	}
	s.e.ports.sessions = hooked
	a.signIn("https://exeunt.test/app1/")
	if hooked.between != nil {
		t.Fatal("A's sign-in never read the user's sessions: the race was not set up")
	}
	s.e.ports.sessions = inner
	in := func(br *browser) bool {
		br.now = a.now
		return br.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues()
	}
	inA, inB := in(a), in(b)
	if inA && inB {
		t.Fatal("both racing sign-ins kept a session with session.max_per_user 1: the limit must hold whatever the order of reads and writes")
	}
	if !inA {
		t.Error("A, the sign-in that finished last, is not signed in: the limit ends the oldest session, B's")
	}
}

// racingSessions runs between once, right after the first read of a user's sessions
// (ofUser) and before the flow goes on with what it read.
type racingSessions struct {
	sessionIndex
	between func()
}

func (r *racingSessions) ofUser(iss, sub string, now time.Time, then func([]sessionRecord, *userRead, error) Decision) Decision {
	return r.sessionIndex.ofUser(iss, sub, now, func(recs []sessionRecord, seen *userRead, err error) Decision {
		if f := r.between; f != nil {
			f()
		}
		return then(recs, seen, err)
	})
}

// A sign-in that another sign-in of the same user overtakes at every count of the
// user's sessions (maxLimitRounds) is refused, fail closed; its page must say why, not
// that the session store is unreachable: the store answered every time. (Before, it got
// "the session store is not reachable", a claim of what did not happen.)
func TestASignInOvertakenAtEveryCountSaysSoNotThatTheStoreIsDown(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 1} })
	s.tick()
	inner := s.e.ports.sessions
	hooked := &racingSessions{sessionIndex: inner}
	rounds, busy := 0, false
	hooked.between = func() {
		if busy {
			return // the overtaking sign-in's own count
		}
		busy, rounds = true, rounds+1
		b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
		b.signIn("https://exeunt.test/app1/")
		busy = false
	}
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	s.e.ports.sessions = hooked
	d := s.request("GET", back)
	s.e.ports.sessions = inner
	if rounds != maxLimitRounds {
		t.Fatalf("the sign-in counted the user's sessions %d times, want %d", rounds, maxLimitRounds)
	}
	if d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("a sign-in overtaken at every count: %+v, want a 503 page", d.Response)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the refused sign-in set a session cookie")
	}
	body := string(d.Response.Body)
	if strings.Contains(body, "not reachable") || !strings.Contains(body, "other sign-ins") {
		t.Fatalf("the page of a sign-in overtaken at every count does not say so:\n%s", body)
	}
}
