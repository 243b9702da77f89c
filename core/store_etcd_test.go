package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
	"github.com/exeunt/exeunt/core/oidc"
)

// The etcd backend. Core's own tests need no etcd: the tests below that talk to one are
// run by e2e/store_etcd_test.go, which starts a real etcd (e2e/etcdpeer) and runs them
// with EXEUNT_TEST_ETCD set to its client URL (and EXEUNT_TEST_ETCD_CONTROL to a loopback
// endpoint that kills and restarts it). Run alone, they skip and say so.

const etcdTestCluster = "etcd"

func etcdTestSettings() etcdSettings {
	return etcdSettings{Cluster: etcdTestCluster, Authority: "etcd", Prefix: "/exeunt-test/" + oidc.RandomID(6) + "/",
		Timeout: 5 * time.Second, FollowEvery: 500 * time.Millisecond, StaleAfter: 3 * time.Second, BackchannelTimeout: 5 * time.Second,
		User: os.Getenv("EXEUNT_TEST_ETCD_USER"), Password: os.Getenv("EXEUNT_TEST_ETCD_PASSWORD")}
}

// twoEtcdReplicas are two replicas' ports over one key prefix of one etcd.
func twoEtcdReplicas(t *testing.T, set etcdSettings) (a, b storePorts) {
	t.Helper()
	a, _, err := newEtcdPorts(set, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	b, _, err = newEtcdPorts(set, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// etcdAnswer does a call as the glue would through an Envoy cluster to etcd's gateway at
// url: Status 0 when there is no answer.
func etcdAnswer(url string) func(testing.TB, *Call) CallResult {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	return func(t testing.TB, c *Call) CallResult {
		t.Helper()
		if c.Cluster != etcdTestCluster || c.Method != "POST" {
			t.Fatalf("unexpected call %s %s to cluster %q", c.Method, c.Path, c.Cluster)
		}
		req, err := http.NewRequest(c.Method, url+c.Path, bytes.NewReader(c.Body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = c.Authority
		for _, h := range c.Headers {
			req.Header.Add(h.Name, h.Value)
		}
		client.Timeout = c.Timeout
		resp, err := client.Do(req)
		if err != nil {
			return envoyLocalReply(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return CallResult{}
		}
		return CallResult{Status: resp.StatusCode, Body: body}
	}
}

// envoyLocalReply is what Envoy's router answers a callout that got no response (as
// hostsim/upstream_failure.go reproduces it): 503 with a connect-failure reason when no
// connection could be made, 504 when the call's timeout ended first, else (a connection
// cut after the request went out) the empty answer of a reset.
func envoyLocalReply(err error) CallResult {
	var opErr *net.OpError
	switch {
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return CallResult{Status: 503, Body: []byte("upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused")}
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return CallResult{Status: 504, Body: []byte("upstream request timeout")}
	}
	return CallResult{}
}

func etcdURL(t *testing.T) string {
	url := os.Getenv("EXEUNT_TEST_ETCD")
	if url == "" {
		t.Skip("needs a real etcd: run by e2e/store_etcd_test.go (TestStoreEtcdBackend)")
	}
	return url
}

func TestStorePortContractsEtcd(t *testing.T) {
	url := etcdURL(t)
	testStorePortContractsWith(t, func() (a, b storePorts) { return twoEtcdReplicas(t, etcdTestSettings()) }, etcdAnswer(url))
}

// etcdOps runs port operations on a fleet's replicas and reports their errors.
type etcdOps struct {
	t      *testing.T
	answer func(testing.TB, *Call) CallResult
}

func (o etcdOps) run(d func(then func(error) Decision) Decision) error {
	o.t.Helper()
	var got error
	ran := false
	settleWith(o.t, o.answer, &ran, d(func(err error) Decision { ran, got = true, err; return Continue() }))
	return got
}

func (o etcdOps) follow(p storePorts, at time.Time) {
	ran := true
	settleWith(o.t, o.answer, &ran, p.follow(at))
}

func (o etcdOps) revoke(p storePorts, sid string, now time.Time) error {
	return o.run(func(then func(error) Decision) Decision {
		return p.revocations.revoke(sid, now.Add(time.Hour), now, then)
	})
}

func (o etcdOps) claim(p storePorts, id string, now time.Time) (bool, error) {
	var fresh bool
	err := o.run(func(then func(error) Decision) Decision {
		return p.claims.claim(claimSignInState, id, now.Add(time.Minute), now, func(f bool, err error) Decision { fresh = f; return then(err) })
	})
	return fresh, err
}

func (o etcdOps) claimDue(p storePorts, now time.Time) ([]deliveryClaim, error) {
	var got []deliveryClaim
	err := o.run(func(then func(error) Decision) Decision {
		return p.deliveries.claimDue(now, 10, now.UnixMilli()+2000, nil, func(c []deliveryClaim, _ int64, err error) Decision { got = c; return then(err) })
	})
	return got, err
}

// The fleet's promises on a real etcd, between two replicas: a sign-out on A is refused
// at B after B's next follow; single use holds across replicas; a delivery A abandons is
// taken by B; with etcd stopped every operation fails (closed) and the revocation copy
// turns into errors past its bound; with etcd back, both catch up and nothing is lost.
func TestEtcdStoreFleet(t *testing.T) {
	url := etcdURL(t)
	control := os.Getenv("EXEUNT_TEST_ETCD_CONTROL")
	if control == "" {
		t.Fatal("EXEUNT_TEST_ETCD is set but EXEUNT_TEST_ETCD_CONTROL is not: run through e2e/store_etcd_test.go")
	}
	o := etcdOps{t, etcdAnswer(url)}
	set := etcdTestSettings()
	a, b := twoEtcdReplicas(t, set)
	now := time.Now()

	// Before its first follow a replica cannot say a session is not revoked.
	if _, err := b.revocations.isRevoked("s1", now); err == nil {
		t.Fatal("a replica that never followed etcd answered isRevoked")
	}
	o.follow(a, now)
	o.follow(b, now)
	if err := o.revoke(a, "s1", now); err != nil {
		t.Fatal(err)
	}
	if r, _ := b.revocations.isRevoked("s1", now); r {
		t.Fatal("B saw A's revocation before following etcd: the test shows nothing")
	}
	o.follow(b, now.Add(set.FollowEvery))
	if r, err := b.revocations.isRevoked("s1", now.Add(set.FollowEvery)); !r || err != nil {
		t.Fatalf("B after its next follow: revoked %v, %v", r, err)
	}

	// Single use across replicas.
	if f, err := o.claim(a, "state-1", now); !f || err != nil {
		t.Fatalf("A's first claim: %v, %v", f, err)
	}
	if f, err := o.claim(b, "state-1", now); f || err != nil {
		t.Fatalf("B's claim of what A claimed: fresh %v, %v", f, err)
	}

	// A delivery A claims and abandons (A "dies": it never finishes) is B's once A's
	// lease runs out, and not before.
	job := deliveryJob{Sub: "u", SID: "e9", Trigger: "test", Deadline: now.Add(time.Hour).Unix(),
		Items: []deliveryItem{{Client: "app1", Due: now.UnixMilli()}}}
	if err := o.run(func(then func(error) Decision) Decision { return a.deliveries.enqueue(job, now, then) }); err != nil {
		t.Fatal(err)
	}
	if got, err := o.claimDue(a, now); len(got) != 1 || err != nil {
		t.Fatalf("A claims %v, %v", got, err)
	}
	if got, err := o.claimDue(b, now.Add(time.Second)); len(got) != 0 || err != nil {
		t.Fatalf("B took a job A holds: %v, %v", got, err)
	}
	if got, err := o.claimDue(b, now.Add(3*time.Second)); len(got) != 1 || got[0].item.Client != "app1" || err != nil {
		t.Fatalf("B after A's lease ran out: %v, %v", got, err)
	}

	// etcd is killed (SIGKILL, as a crash): every operation is an error to its flow, never a "not revoked" or a
	// "fresh".
	post := func(what string) {
		resp, err := http.Post(control+"/"+what, "text/plain", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("asking the test's etcd to %s: %v %v", what, err, resp)
		}
		resp.Body.Close()
	}
	post("kill")
	down := now.Add(10 * time.Second)
	if err := o.revoke(a, "s2", down); err == nil {
		t.Fatal("a revocation was acknowledged with etcd stopped")
	}
	if f, err := o.claim(b, "state-2", down); f || err == nil {
		t.Fatalf("a claim with etcd stopped: fresh %v, err %v", f, err)
	}
	if _, err := o.claimDue(b, down); err == nil {
		t.Fatal("claimDue with etcd stopped reported no error")
	}
	var findErr error
	ran := false
	settleWith(t, o.answer, &ran, b.sessions.find("https://idp", "p", "", down, func(_ []sessionRecord, err error) Decision {
		ran, findErr = true, err
		return Continue()
	}))
	if findErr == nil {
		t.Fatal("find with etcd stopped reported no error")
	}
	o.follow(b, down)
	if r, err := b.revocations.isRevoked("s1", down); !r && err == nil {
		t.Fatal("B forgot a revocation while etcd was down")
	}
	if _, err := b.revocations.isRevoked("other", down); err == nil {
		t.Fatal("B answered from a copy older than its staleness bound")
	} else if !errors.Is(err, errRevocationsStale) {
		t.Fatalf("isRevoked past the bound: %v", err)
	}

	// etcd is back: writes go through, B catches up, and what was there before is still
	// there.
	post("restart")
	up := down.Add(time.Second)
	if err := o.revoke(a, "s2", up); err != nil {
		t.Fatalf("revoke after etcd came back: %v", err)
	}
	o.follow(b, up)
	for _, sid := range []string{"s1", "s2"} {
		if r, err := b.revocations.isRevoked(sid, up); !r || err != nil {
			t.Fatalf("B after etcd came back: %s revoked %v, %v", sid, r, err)
		}
	}
	if f, err := o.claim(b, "state-1", up); f || err != nil {
		t.Fatalf("a claim made before etcd stopped was lost: fresh %v, %v", f, err)
	}
	// A replica started now (a restart) loads every revocation in one follow.
	c, _, err := newEtcdPorts(set, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	o.follow(c, up)
	var revoked []string
	for _, sid := range []string{"s1", "s2", "s3"} {
		if r, err := c.revocations.isRevoked(sid, up); err != nil {
			t.Fatal(err)
		} else if r {
			revoked = append(revoked, sid)
		}
	}
	if !slices.Equal(revoked, []string{"s1", "s2"}) {
		t.Fatalf("a replica started after the sign-outs sees %v revoked", revoked)
	}
}

// With etcd's authentication on (EXEUNT_TEST_ETCD_USER set; the other tests then run
// authenticated too, and the fleet test's restart of etcd makes the backend authenticate
// again): a wrong password or no credentials fail every operation, closed.
func TestEtcdStoreAuth(t *testing.T) {
	url := etcdURL(t)
	if os.Getenv("EXEUNT_TEST_ETCD_USER") == "" {
		t.Skip("etcd's authentication is off in this run")
	}
	o := etcdOps{t, etcdAnswer(url)}
	now := time.Now()
	for _, c := range []struct {
		name, password string
		want           error
	}{
		{os.Getenv("EXEUNT_TEST_ETCD_USER"), "wrong", etcdv3.ErrAuthFailed},
		{"", "", etcdv3.ErrTokenRequired},
	} {
		set := etcdTestSettings()
		set.User, set.Password = c.name, c.password
		p, _, err := newEtcdPorts(set, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.revoke(p, "s1", now); !errors.Is(err, c.want) {
			t.Errorf("revoke as %q: %v, want %v", c.name, err, c.want)
		}
		o.follow(p, now)
		if _, err := p.revocations.isRevoked("s1", now); err == nil {
			t.Errorf("as %q, the revocations were loaded", c.name)
		}
	}
	p, b, err := newEtcdPorts(etcdTestSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.revoke(p, "s1", now); err != nil || b.token == "" {
		t.Fatalf("with the right password: %v (token %t)", err, b.token != "")
	}
	// A token etcd no longer takes (expired, or from before etcd's restart; here one it
	// never issued, for an index etcd has passed: a later one makes etcd wait for it) is
	// replaced, and the operation repeated once.
	b.token = "forged.1"
	if err := o.revoke(p, "s2", now); err != nil || b.token == "forged.1" {
		t.Fatalf("with a token etcd does not take: %v (token replaced %t)", err, b.token != "forged.1")
	}
}

// Without any answer from etcd (what Envoy gives a callout when the cluster is down:
// no status) every port fails closed. This needs no etcd.
func TestEtcdStoreFailsClosedWithoutAnswer(t *testing.T) {
	p, _, err := newEtcdPorts(etcdTestSettings(), func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	o := etcdOps{t, func(_ testing.TB, c *Call) CallResult {
		calls++
		if c.Cluster != etcdTestCluster || c.Timeout <= 0 {
			t.Fatalf("a call %+v", c)
		}
		return CallResult{}
	}}
	now := time.Unix(1_800_000_000, 0)
	o.follow(p, now)
	if r, err := p.revocations.isRevoked("s", now); r || err == nil {
		t.Fatalf("isRevoked with etcd never reached: %v, %v", r, err)
	}
	if err := o.revoke(p, "s", now); err == nil {
		t.Fatal("a revocation etcd never acknowledged was reported durable")
	}
	if f, err := o.claim(p, "x", now); f || err == nil {
		t.Fatalf("claim: %v, %v", f, err)
	}
	if _, err := o.claimDue(p, now); err == nil {
		t.Fatal("claimDue: no error")
	}
	if err := o.run(func(then func(error) Decision) Decision {
		return p.contexts.save("c1", "sid", []byte("{}"), now.Add(time.Minute), now, then)
	}); err == nil {
		t.Fatal("save: no error")
	}
	if calls < 5 {
		t.Fatalf("only %d calls were made", calls)
	}
	// A bad prefix is a configuration error naming it.
	set := etcdTestSettings()
	set.Prefix = "exeunt"
	if _, _, err := newEtcdPorts(set, nil); err == nil {
		t.Fatal("a prefix without slashes was taken")
	}
}

// The per-request check reads only the VM's copy (and this Envoy's shared data), without
// allocating beyond what reading shared data costs.
func TestEtcdIsRevokedDoesNotAllocate(t *testing.T) {
	p, b, err := newEtcdPorts(etcdTestSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	b.loaded, b.lastFollow = true, now
	b.revoked["s1"] = now.Add(time.Hour).UnixMilli()
	sids := []string{"s1", "s2"}
	allocs := testing.AllocsPerRun(100, func() {
		for _, sid := range sids {
			if r, err := p.revocations.isRevoked(sid, now); err != nil || r != (sid == "s1") {
				t.Fatalf("isRevoked(%s) = %v, %v", sid, r, err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("isRevoked allocates %v times", allocs)
	}
	// With this Envoy's shared data behind the copy, as the store setting makes it, the
	// check costs what the local backend's own costs (reading a bucket of shared data
	// copies it when it holds something; an empty one costs nothing), and no more.
	local := &localRevocations{store: NewMemoryStore()}
	b.shared = local
	local.revoke("s3", now.Add(time.Hour), now, func(error) Decision { return Continue() })
	sids = append(sids, "s3")
	etcdAllocs := testing.AllocsPerRun(100, func() {
		for _, sid := range sids {
			if r, err := p.revocations.isRevoked(sid, now); err != nil || r != (sid != "s2") {
				t.Fatalf("isRevoked(%s) = %v, %v", sid, r, err)
			}
		}
	})
	localAllocs := testing.AllocsPerRun(100, func() {
		for _, sid := range sids[1:] { // s1 is in the etcd copy only
			local.isRevoked(sid, now)
		}
	})
	if etcdAllocs > localAllocs {
		t.Fatalf("isRevoked with shared data allocates %v times, the local backend's %v", etcdAllocs, localAllocs)
	}
}

// The engine drives a fleet backend's follow on its ticks, at least as often as the
// backend asks.
func TestEngineTicksFollowTheFleetStore(t *testing.T) {
	e := mustEngine(t, configFrom(t, signoutConfigMap()))
	if e.TickPeriod() != idleTick {
		t.Fatalf("with the local store, tick period %v", e.TickPeriod())
	}
	set := etcdTestSettings()
	ports, _, err := newEtcdPorts(set, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.ports = ports
	if e.TickPeriod() != set.FollowEvery {
		t.Fatalf("tick period %v, want the follow period %v", e.TickPeriod(), set.FollowEvery)
	}
	var follows int
	for _, c := range e.OnTick(time.Now()) {
		// The follow is the range by revision (the other is the delivery queue's), or before
		// the first load the member record's lease (store_etcd_members.go, announce).
		if c.Cluster == etcdTestCluster && (c.Path == "/v3/kv/range" && bytes.Contains(c.Body, []byte(`"min_mod_revision"`)) || c.Path == "/v3/lease/grant") {
			follows++
		}
	}
	if follows != 1 {
		t.Fatalf("a tick made %d follow calls, want 1", follows)
	}
}

// The flows over the etcd backend: the flows' own tests (those run over the
// asynchronous test backend) with every engine's ports on a real etcd, under one key
// prefix per test (so that the VMs of a test share it). The copy of the revocations is
// loaded when the engine is made and trusted for as long as a test's clock runs: these
// tests are about the flows, TestEtcdStoreFleet about the copy's bound.
var etcdFlows struct {
	url, prefix string
	t           testing.TB
	calls       int // the calls to etcd made
}

func TestFlowsOnEtcd(t *testing.T) {
	url := etcdURL(t)
	etcdFlows.url, etcdFlows.t = url, t
	defer func() { etcdFlows.url = "" }()
	for name, test := range flowTests() {
		etcdFlows.prefix, etcdFlows.calls = etcdTestSettings().Prefix, 0
		t.Run(name, test)
		if etcdFlows.calls < 2 { // the first follow is one
			t.Errorf("%s: no store operation went to etcd", name)
		}
	}
}

// etcdFlowPorts are a new VM's ports on the etcd of TestFlowsOnEtcd, its revocations
// loaded.
func etcdFlowPorts(t testing.TB, cfg *Config) storePorts {
	t.Helper()
	set := etcdTestSettings()
	set.Prefix, set.StaleAfter, set.BackchannelTimeout = etcdFlows.prefix, 100_000*time.Hour, cfg.Logout.BackchannelTimeout
	p, _, err := newEtcdPorts(set, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	storeBackground(t, backgroundOf(p.follow(time.Now())))
	return p
}

// storeAnswer answers a store backend's call, for the flows' harnesses: the
// asynchronous test backend's with an empty 200, the etcd backend's by etcd.
func storeAnswer(t testing.TB, c *Call) (CallResult, bool) {
	switch {
	case c.Cluster == storeTestCluster:
		return CallResult{Status: 200}, true
	case c.Cluster == etcdTestCluster && etcdFlows.url != "":
		etcdFlows.calls++
		return etcdAnswer(etcdFlows.url)(t, c), true
	}
	return CallResult{}, false
}

// storeBackground makes a Decision's background calls to a store, and what they lead
// to, as the glue would (other background calls are the harness's own business).
func storeBackground(t testing.TB, calls []*Call) {
	t.Helper()
	for _, c := range calls {
		if r, ok := storeAnswer(t, c); ok {
			storeBackground(t, backgroundOf(c.Then(r)))
		}
	}
}

// TestEtcdWritesAppliedLate: a write whose answer is lost and that etcd applies later (a
// hung member, a partition holding the request): the test's transport holds the
// transaction, answers it as Envoy does when the call's timeout ends (504), and sends it to
// the real etcd afterwards. The backend must call that outcome unknown (never "not done"),
// and both writes the flows repeat must be idempotent: a sign-out's end (found ended, its
// job queued once, by the late write) and a prompt token's claim (fresh again for the same
// owner only). A write that never reached etcd (Envoy's connect failure) is not unknown.
func TestEtcdWritesAppliedLate(t *testing.T) {
	send := etcdAnswer(etcdURL(t))
	var held []*Call
	holding, refusing := false, false
	answer := func(t testing.TB, c *Call) CallResult {
		switch {
		case refusing:
			return envoyLocalReply(&net.OpError{Op: "dial", Err: errors.New("connection refused")})
		case holding && c.Path == "/v3/kv/txn":
			held = append(held, c)
			return CallResult{Status: 504, Body: []byte("upstream request timeout")}
		}
		return send(t, c)
	}
	applyHeld := func() {
		holding = false
		for _, c := range held {
			if r := send(t, c); r.Status != 200 {
				t.Fatalf("the held write, sent late: %d %s", r.Status, r.Body)
			}
		}
		held = nil
	}
	o := etcdOps{t: t, answer: answer}
	a, b := twoEtcdReplicas(t, etcdTestSettings())
	now := time.Now()
	o.follow(a, now)
	o.follow(b, now)
	job := deliveryJob{Sub: "u", SID: "late1", Trigger: "test", Deadline: now.Add(time.Hour).Unix(),
		Items: []deliveryItem{{Client: "app1", Due: now.UnixMilli()}}}
	end := func(p storePorts) (ended, error) {
		var got ended
		err := o.run(func(then func(error) Decision) Decision {
			return p.revocations.end(job.SID, anyRecord, now.Add(time.Hour), job, now, func(r ended, err error) Decision { got = r; return then(err) })
		})
		return got, err
	}

	holding = true
	if _, err := end(a); !errors.Is(err, errOutcomeUnknown) || len(held) != 1 {
		t.Fatalf("an end whose answer was lost: %v (%d held), want errOutcomeUnknown", err, len(held))
	}
	applyHeld()
	o.follow(b, now)
	if r, err := b.revocations.isRevoked("late1", now); !r || err != nil {
		t.Fatalf("the late end is not followed: %v, %v", r, err)
	}
	claimed, err := o.claimDue(b, now)
	if err != nil || len(claimed) != 1 || claimed[0].jobID != "late1" {
		t.Fatalf("the late end's job: %+v, %v", claimed, err)
	}
	if r, err := end(a); err != nil || !r.already {
		t.Fatalf("the retry: %+v, %v, want found ended", r, err)
	}
	if claimed, err := o.claimDue(a, now.Add(10*time.Second)); err != nil || len(claimed) != 1 {
		t.Fatalf("after the retry the queue holds %+v (%v), want the one job", claimed, err)
	}

	claimAs := func(p storePorts, owner string) (bool, error) {
		var fresh bool
		err := o.run(func(then func(error) Decision) Decision {
			return p.claims.claimAs(claimPromptToken, "late-token", owner, now.Add(time.Minute), now, func(f bool, err error) Decision { fresh = f; return then(err) })
		})
		return fresh, err
	}
	holding = true
	if _, err := claimAs(a, "late1"); !errors.Is(err, errOutcomeUnknown) {
		t.Fatalf("a claim whose answer was lost: %v, want errOutcomeUnknown", err)
	}
	applyHeld()
	if fresh, err := claimAs(b, "late1"); !fresh || err != nil {
		t.Fatalf("the same owner's repeat of a claim applied late: %v, %v", fresh, err)
	}
	if fresh, err := claimAs(b, "someone-else"); fresh || err != nil {
		t.Fatalf("another owner's claim of it: %v, %v", fresh, err)
	}

	refusing = true
	job.SID = "late2"
	if _, err := end(a); err == nil || errors.Is(err, errOutcomeUnknown) {
		t.Fatalf("an end that never reached etcd: %v, want a known failure", err)
	}
}
