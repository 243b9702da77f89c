package core

import (
	"sync"
	"time"
)

// The test harnesses' answer to a Decision.Wait (a sign-out's barrier waiting for other
// replicas that the test never ticks): ask again an hour later, each time later still, so
// that every member the barrier sees has been silent for longer than memberLiveness by
// then and is passed over. The barrier's own decisions are tested with real ticks in
// store_etcd_barrier_test.go.
var waitClock = struct {
	sync.Mutex
	at time.Time
}{at: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

func pastWait(w *Wait) Decision {
	waitClock.Lock()
	waitClock.at = waitClock.at.Add(time.Hour)
	at := waitClock.at
	waitClock.Unlock()
	return w.Then(at)
}
