package core

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkSessionLimit is the session limit's work in one sign-in on the local store
// (limitSessions; at the limit also the new session's index step, to stay there),
// natively, for a user with n live sessions: below the limit (nothing ended), at it (the
// oldest ended, its logout token queued), and near the highest limit allowed (999: what
// each of the probe's user's sign-ins read at 999 sessions, before there was a limit).
// RATIONALE.md, "Why a user's sessions are capped, and the oldest signed out".
func BenchmarkSessionLimit(b *testing.B) {
	for _, c := range []struct {
		name       string
		live, max  int
		endsOldest bool
	}{{"below_49_of_50", 49, 50, false}, {"at_50_of_50", 50, 50, true}, {"below_999_of_1000", 999, 1000, false}} {
		b.Run(c.name, func(b *testing.B) {
			s := newSignoutEnv(b, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": c.max} })
			s.e.log = func(string) {}
			now := s.now
			newSession := func(i int) *session {
				return &session{SID: "sid-" + strconv.Itoa(i) + "-aaaaaaaaaaaaaaaaaaaaaaaa", Sub: "alice", IdP: "oidc", Iss: "https://idp.test",
					PSID: "idp-sid-1", Clients: []string{"app1", "app2"}, Created: now.Unix() + int64(i), Expires: now.Add(8 * time.Hour).Unix()}
			}
			index := func(x *session) {
				s.e.indexSession(x, nil, now, func(err error) Decision {
					if err != nil {
						b.Fatal(err)
					}
					return Continue()
				})
			}
			for i := 0; i < c.live; i++ {
				index(newSession(i))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x := newSession(c.live + i)
				s.e.limitSessions(x, now, func(_ *userRead, err error) Decision {
					if err != nil {
						b.Fatal(err)
					}
					return Continue()
				})
				if c.endsOldest {
					index(x) // back at the limit for the next round
				}
			}
			b.StopTimer()
			if n := s.metrics.get(counterLogoutSessionLimit); (n > 0) != c.endsOldest {
				b.Fatalf("%d sessions ended by the limit", n)
			}
		})
	}
}
