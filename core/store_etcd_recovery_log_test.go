package core

import (
	"strings"
	"testing"
	"time"
)

// A VM that never led a follow during an outage learns of it only from the Envoy's stale
// follow (checkStale): it has no "unreachable since" of its own. When etcd answers again,
// whether it follows itself or adopts another worker's follow, its "reachable again" line
// must say a true duration (since its copy was last refreshed), not the distance from the
// zero time (2562047h47m16.854s, Go's largest duration).
func TestEtcdRecoveryLogOfAVMThatNeverLedDuringTheOutage(t *testing.T) {
	url := etcdURL(t)
	for _, adopts := range []bool{true, false} {
		name := "FollowsItself"
		if adopts {
			name = "AdoptsAnotherWorkersFollow"
		}
		t.Run(name, func(t *testing.T) {
			answer := etcdAnswer(url)
			down := false
			var during func() // runs while the leading VM's call is in flight
			o := etcdOps{t, func(tb testing.TB, c *Call) CallResult {
				if f := during; f != nil {
					during = nil
					f()
				}
				if down {
					return CallResult{Status: 504, Body: []byte("upstream request timeout")}
				}
				return answer(tb, c)
			}}
			set := etcdTestSettings()
			set.StaleAfter = 2 * time.Second
			shared := NewMemoryStore()
			vm := func(log func(string)) storePorts {
				p, b, err := newEtcdPorts(set, log)
				if err != nil {
					t.Fatal(err)
				}
				b.shared, b.sharedStore = &localRevocations{store: shared}, shared
				return p
			}
			logsB := &logLines{}
			a := vm(func(s string) { t.Log("a: " + s) })
			b := vm(func(s string) { logsB.log(s); t.Log("b: " + s) })
			t0 := time.Now().Truncate(time.Millisecond) // shared stamps are in milliseconds
			o.follow(a, t0)
			o.follow(b, t0)

			// etcd hangs: a leads every follow and each times out; b ticks while a's call is
			// in flight, so it never leads and only sees the Envoy's copy go stale.
			down = true
			at := t0
			for i := 0; i < 8; i++ {
				at = at.Add(set.FollowEvery)
				tick := at
				during = func() { o.follow(b, tick) }
				o.follow(a, at)
				if during != nil {
					t.Fatal("a did not lead the follow during the outage")
				}
			}
			if logsB.count("no follow of etcd by this Envoy for over stale_after") != 1 {
				t.Fatalf("b did not log its stale copy once: %q", logsB.lines)
			}
			down = false
			at = at.Add(set.FollowEvery)
			if adopts {
				o.follow(a, at)
			}
			o.follow(b, at)
			want := "reachable again after " + at.Sub(t0).Round(time.Millisecond).String()
			if logsB.count("reachable again after") != 1 || logsB.count(want) != 1 {
				t.Fatalf("b's log when etcd answered again, want one line with %q:\n%s", want, strings.Join(logsB.lines, "\n"))
			}
		})
	}
}
