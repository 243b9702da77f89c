package core

import (
	"fmt"
	"testing"
	"time"
)

// On etcd a sign-out deletes a session's record, not its index links (they go with their
// lease, at the session's end). The session limit keeps a user's links as few as the
// limit: it deletes the links of the sessions it ends, and each sign-in deletes the
// user's links whose record is gone (here, a record forgotten as a sign-out drops it).
func TestEtcdSessionLimitKeepsTheUsersLinksBounded(t *testing.T) {
	etcdFlows.url, etcdFlows.t = etcdURL(t), t
	defer func() { etcdFlows.url = "" }()
	m := etcdStoreConfig()
	m["session"] = map[string]any{"max_per_user": 2}
	s := etcdEngineEnv(t, m, &logLines{})
	s.start()
	sessions := s.e.ports.sessions.(*etcdSessions)
	// links counts the links from (iss, psid), or from the user when psid is "".
	links := func(psid string, now time.Time) (live, dead int) {
		t.Helper()
		d := sessions.scan("https://idp.test", psid, "alice", now, func(recs []sessionRecord, gone [][]byte, _ int64, err error) Decision {
			if err != nil {
				t.Fatal(err)
			}
			live, dead = len(recs), len(gone)
			return Continue()
		})
		for d.Call != nil {
			r, ok := storeAnswer(t, d.Call)
			if !ok {
				t.Fatalf("a call to %s", d.Call.Cluster)
			}
			d = d.Call.Then(r)
		}
		return live, dead
	}
	base := s.now
	for i := 1; i <= 4; i++ {
		b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: base.Add(time.Duration(i) * time.Minute)}
		s.idp.mutate = func(c map[string]any) { c["sid"] = fmt.Sprintf("idp-sid-%d", i) }
		b.signIn("https://exeunt.test/app1/")
		if live, dead := links("", b.now); live != min(i, 2) || dead != 0 {
			t.Errorf("after sign-in %d: the user's links lead to %d live and %d ended sessions; want %d and 0", i, live, dead, min(i, 2))
		}
	}
	if live, dead := links("idp-sid-1", base.Add(4*time.Minute)); live+dead != 0 {
		t.Errorf("the provider session of the first sign-in, ended by the limit, still has %d links", live+dead)
	}
	// A session ended otherwise (its record dropped, its links left): the next sign-in
	// deletes its link.
	recs := func() []sessionRecord {
		var out []sessionRecord
		d := sessions.find("https://idp.test", "", "alice", base.Add(4*time.Minute), func(r []sessionRecord, err error) Decision {
			if err != nil {
				t.Fatal(err)
			}
			out = r
			return Continue()
		})
		for d.Call != nil {
			r, _ := storeAnswer(t, d.Call)
			d = d.Call.Then(r)
		}
		return out
	}()
	d := sessions.forget(recs[0].SID, base, func(err error) Decision {
		if err != nil {
			t.Fatal(err)
		}
		return Continue()
	})
	for d.Call != nil {
		r, _ := storeAnswer(t, d.Call)
		d = d.Call.Then(r)
	}
	if live, dead := links("", base.Add(5*time.Minute)); live != 1 || dead != 1 {
		t.Fatalf("setup: %d live and %d ended, want 1 and 1", live, dead)
	}
	b := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: base.Add(5 * time.Minute)}
	b.signIn("https://exeunt.test/app1/")
	if live, dead := links("", b.now); live != 2 || dead != 0 {
		t.Errorf("after a sign-in: %d live and %d ended sessions linked, want 2 and 0", live, dead)
	}
}
