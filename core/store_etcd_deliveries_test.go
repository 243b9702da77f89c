package core

import (
	"net/url"
	"testing"
	"time"
)

// TestEtcdDeliveryHeldBackIsClaimedOnce: replica A's tick claims a logout delivery but
// etcd answers its claim chain late (3 s, as under load), and A's POST is then in
// flight. Replica B must not claim the item, and send a second token, while A's POST
// may still be running (until its timeout) nor before A has had its reserve to record
// the outcome; once that has passed too (A died with the POST in flight), B sends it:
// the retry of a dead replica's delivery.
func TestEtcdDeliveryHeldBackIsClaimedOnce(t *testing.T) {
	etcdFlows.url, etcdFlows.t = etcdURL(t), t
	defer func() { etcdFlows.url = "" }()
	m := etcdStoreConfig()
	a := etcdEngineEnv(t, m, &logLines{})
	b := etcdEngineEnv(t, m, &logLines{}) // another replica: shared data of its own
	a.start()
	b.start()
	a.signIn("https://exeunt.test/app1/")
	hint := headerValue(a.app1("text/html").SetHeaders, "x-exeunt-assertion")
	if d := a.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status == 503 {
		t.Fatalf("sign-out: %+v", d.Response)
	}

	// A's tick: every etcd answer arrives 3 s after the tick; the POSTs are held.
	const late = 3 * time.Second
	t0 := a.now
	type post struct {
		at time.Time
		c  *Call
	}
	var inFlight []post
	var run func(c *Call, sentAt time.Time)
	run = func(c *Call, sentAt time.Time) {
		r, ok := storeAnswer(t, c)
		if !ok {
			inFlight = append(inFlight, post{sentAt, c})
			return
		}
		r.At = t0.Add(late)
		d := c.Then(r)
		if d.Call != nil {
			run(d.Call, r.At)
		}
		for _, bc := range d.Background {
			run(bc, r.At)
		}
	}
	for _, c := range a.e.OnTick(t0) {
		run(c, t0)
	}
	if len(inFlight) != 1 || inFlight[0].c.Cluster != "app1" {
		t.Fatalf("A's tick: %d logout POSTs in flight, want app1's: the test shows nothing", len(inFlight))
	}
	end := inFlight[0].at.Add(inFlight[0].c.Timeout) // A's POST may run until then

	b.now = end.Add(-10 * time.Millisecond)
	b.tick()
	if n := len(b.apps.tokens["app1"]); n != 0 {
		t.Fatalf("B sent app1 %d logout token(s) while A's POST could still be in flight (A's claim answered %s after its tick): a second token for one sign-out", n, late)
	}
	b.now = end.Add(2*time.Second - 10*time.Millisecond)
	b.tick()
	if n := len(b.apps.tokens["app1"]); n != 0 {
		t.Fatalf("B sent app1 %d logout token(s) before A had its 2 s to record its POST's outcome", n)
	}
	b.now = end.Add(2*time.Second + 10*time.Millisecond)
	b.tick()
	if n := len(b.apps.tokens["app1"]); n != 1 {
		t.Fatalf("B sent app1 %d logout token(s) once A's lease ran out (A died), want 1", n)
	}
}
