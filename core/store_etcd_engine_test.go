package core

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// The engine on the etcd store as the `store` setting configures it, against a real etcd
// (run by e2e/store_etcd_test.go): a VM refuses signed-in requests (503, the cookie kept)
// until its first follow, which leaves at start; a restarted VM has every revocation
// before it serves; a sign-out is shown only once etcd has acknowledged it, and with etcd
// down the user is told it did not happen (the session lives on); past stale_after the
// copy is no longer trusted; logs say each change of state once, counters count; and with
// etcd back everything catches up.

// logLines keeps an engine's log.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) log(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }

// count is how many lines contain s.
func (l *logLines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// etcdEngineEnv is a signoutEnv whose engine keeps its state in etcd through the `store`
// setting.
func etcdEngineEnv(t *testing.T, m map[string]any, logs *logLines) *signoutEnv {
	t.Helper()
	return etcdEngineEnvOn(t, m, logs, NewMemoryStore())
}

// etcdEngineEnvOn is etcdEngineEnv for a VM of the Envoy whose shared data is shared.
func etcdEngineEnvOn(t *testing.T, m map[string]any, logs *logLines, shared Store) *signoutEnv {
	t.Helper()
	cfg := configFrom(t, m)
	e, err := NewEngine(cfg, shared, func(s string) { logs.log(s); t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingMetrics{t: t}
	e.UseMetrics(rec)
	b := &browser{t: t, e: e, idp: newFakeIdP(t), jar: map[string]string{}, now: time.Now()}
	return &signoutEnv{browser: b, metrics: rec, apps: &listeners{t: t, tokens: map[string][]string{}}}
}

// etcdStoreConfig is signoutConfigMap with the store on the test's etcd, under a fresh
// prefix.
func etcdStoreConfig() map[string]any {
	set := etcdTestSettings()
	etcd := map[string]any{"cluster": etcdTestCluster, "key_prefix": set.Prefix, "timeout": "2s",
		"follow_period": "250ms", "stale_after": "2s"}
	if set.User != "" {
		etcd["username"], etcd["password"] = set.User, set.Password
	}
	m := signoutConfigMap()
	m["store"] = map[string]any{"backend": "etcd", "etcd": etcd}
	return m
}

// start runs the engine's start work as the glue does at plugin start.
func (s *signoutEnv) start() {
	for _, c := range s.e.Start(s.now) {
		s.follow(c)
	}
}

func (s *signoutEnv) app1(accept string) Decision {
	return s.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: accept})
}

// storeRefused checks d is the 503 of a store that cannot say, as a page or JSON, and
// that it keeps the session cookie.
func storeRefused(t *testing.T, d Decision, json bool) {
	t.Helper()
	if d.Response == nil || d.Response.Status != 503 {
		t.Fatalf("want a 503, got %+v", d)
	}
	body := string(d.Response.Body)
	if json && !strings.Contains(body, `"error":"temporarily_unavailable"`) ||
		!json && !strings.Contains(body, "the session store is not available") {
		t.Fatalf("the 503 does not say why:\n%s", body)
	}
	if headerValue(d.Response.Headers, "retry-after") == "" {
		t.Fatal("the 503 has no Retry-After")
	}
	for _, h := range d.Response.Headers {
		if h.Name == "set-cookie" {
			t.Fatalf("a 503 of the store changes cookies: %s", h.Value)
		}
	}
}

func TestEtcdEngineStartRestartAndOutage(t *testing.T) {
	etcd := etcdURL(t)
	control := os.Getenv("EXEUNT_TEST_ETCD_CONTROL")
	if control == "" {
		t.Fatal("EXEUNT_TEST_ETCD is set but EXEUNT_TEST_ETCD_CONTROL is not: run through e2e/store_etcd_test.go")
	}
	etcdFlows.url, etcdFlows.t = etcd, t // storeAnswer sends the etcd cluster's calls to etcd
	defer func() { etcdFlows.url = "" }()
	m := etcdStoreConfig()
	logs := &logLines{}
	s := etcdEngineEnv(t, m, logs)

	// Signing in needs no copy of the revocations (the state is claimed in etcd), but
	// using the session does: before the first follow, 503 and the cookie kept.
	s.signIn("https://exeunt.test/app1/")
	if s.jar["__Host-exeunt"] == "" {
		t.Fatal("no session cookie after signing in")
	}
	storeRefused(t, s.app1("text/html"), false)
	storeRefused(t, s.request("GET", "https://exeunt.test/app1/api/x", Header{Name: "accept", Value: "application/json"}), true)
	if d := s.request("GET", "https://exeunt.test/.well-known/openid-configuration"); d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("an own endpoint before the first follow: %+v", d.Response)
	}
	if got := s.metrics.get(counterStoreUnavailableRefusals); got != 2 {
		t.Fatalf("%s = %d, want 2", counterStoreUnavailableRefusals, got)
	}
	// The first follow leaves at start, not a tick later.
	s.start()
	if !s.app1("text/html").Continues() {
		t.Fatal("the session is refused after the start's follow")
	}
	if logs.count("store etcd: revocations loaded at revision") != 1 {
		t.Fatalf("the first load was not logged once: %q", logs.lines)
	}

	// Sign out (proven by the hint): shown once etcd has it, and the logout token queued.
	hint := headerValue(s.app1("text/html").SetHeaders, "x-exeunt-assertion")
	old := s.jar["__Host-exeunt"]
	if d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status/100 != 2 && d.Response.Status/100 != 3 {
		t.Fatalf("sign-out: %+v", d.Response)
	}
	if s.metrics.get(counterLogoutRPInitiated) != 1 {
		t.Fatal("the sign-out was not counted")
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 {
		t.Fatalf("app1's logout tokens after the sign-out: %d", len(s.apps.tokens["app1"]))
	}

	// A restarted VM (a new engine: nothing but etcd in common) refuses until its start's
	// follow, then refuses the signed-out cookie for its revocation, and a fresh sign-in
	// works.
	rlogs := &logLines{}
	r := etcdEngineEnv(t, m, rlogs)
	r.now = s.now
	r.jar["__Host-exeunt"] = old
	storeRefused(t, r.app1("text/html"), false)
	r.start()
	if d := r.app1("text/html"); d.Response == nil || d.Response.Status != 302 {
		t.Fatalf("the signed-out cookie on a restarted VM: %+v", d)
	}
	r.signIn("https://exeunt.test/app1/")
	if !r.app1("text/html").Continues() {
		t.Fatal("a fresh sign-in on the restarted VM does not serve")
	}

	// etcd dies. The copy is trusted until stale_after: the session still serves; but a
	// sign-out cannot be made durable, so it is not shown: a 503 that says so, the cookie
	// kept, nothing counted or queued, the session alive.
	post := func(what string) {
		resp, err := http.Post(control+"/"+what, "text/plain", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("asking the test's etcd to %s: %v %v", what, err, resp)
		}
		resp.Body.Close()
	}
	hint = headerValue(r.app1("text/html").SetHeaders, "x-exeunt-assertion")
	post("kill")
	d := r.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	if d.Response == nil || d.Response.Status != 503 || !strings.Contains(string(d.Response.Body), "You are still signed in") {
		t.Fatalf("sign-out with etcd down: %+v", d.Response)
	}
	for _, h := range d.Response.Headers {
		if h.Name == "set-cookie" && strings.HasPrefix(h.Value, "__Host-exeunt=") {
			t.Fatalf("a sign-out that did not happen cleared the session cookie: %s", h.Value)
		}
	}
	if r.metrics.get(counterLogoutRPInitiated) != 0 {
		t.Fatal("a sign-out etcd never acknowledged was counted")
	}
	if !r.app1("text/html").Continues() {
		t.Fatal("within stale_after, the session no longer serves")
	}
	// Follows fail: logged once, counted each time; past stale_after, 503.
	r.tick()
	r.now = r.now.Add(3 * time.Second)
	r.tick()
	r.tick()
	if n := rlogs.count("store etcd: unreachable since"); n != 1 {
		t.Fatalf("%d lines say etcd is unreachable, want 1: %q", n, rlogs.lines)
	}
	storeRefused(t, r.app1("text/html"), false)
	if r.metrics.get(counterEtcdFollowFailures) < 3 || r.metrics.get(counterEtcdCallsFailed) < 3 || r.metrics.get(counterStoreUnavailableRefusals) != 2 {
		t.Fatalf("counters with etcd down: %v", r.metrics.m)
	}
	if len(r.apps.tokens["app1"]) != 0 {
		t.Fatal("a logout token was queued for a sign-out that did not happen")
	}

	// etcd is back: the next follow catches up (logged once), the session serves again
	// (it was never signed out), and signing out now works.
	post("restart")
	r.now = r.now.Add(time.Second)
	r.tick()
	if !r.app1("text/html").Continues() {
		t.Fatal("with etcd back, the session does not serve")
	}
	if n := rlogs.count("store etcd: reachable again after"); n != 1 {
		t.Fatalf("%d lines say etcd is back, want 1: %q", n, rlogs.lines)
	}
	if d := r.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status == 503 {
		t.Fatalf("sign-out with etcd back: %+v", d.Response)
	}
	if r.metrics.get(counterLogoutRPInitiated) != 1 {
		t.Fatal("the sign-out with etcd back was not counted")
	}
	r.tick()
	if len(r.apps.tokens["app1"]) != 1 {
		t.Fatalf("app1's logout tokens: %d", len(r.apps.tokens["app1"]))
	}
}

// Two VMs of one Envoy (one shared data): a sign-out on one is refused on the other at
// once, before the other's next follow (the revocation is also written to shared data).
func TestEtcdEngineVMsOfOneEnvoySeeASignOutAtOnce(t *testing.T) {
	etcdFlows.url, etcdFlows.t = etcdURL(t), t
	defer func() { etcdFlows.url = "" }()
	m := etcdStoreConfig()
	shared := NewMemoryStore()
	a := etcdEngineEnvOn(t, m, &logLines{}, shared)
	b := etcdEngineEnvOn(t, m, &logLines{}, shared)
	a.start()
	b.start()
	a.signIn("https://exeunt.test/app1/")
	b.now, b.jar = a.now, a.jar
	hint := headerValue(a.app1("text/html").SetHeaders, "x-exeunt-assertion")
	if !b.app1("text/html").Continues() {
		t.Fatal("the session does not serve on the other VM: the test shows nothing")
	}
	old := a.jar["__Host-exeunt"]
	if d := a.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})); d.Response == nil || d.Response.Status == 503 {
		t.Fatalf("sign-out: %+v", d.Response)
	}
	b.jar = map[string]string{"__Host-exeunt": old}
	if d := b.app1("text/html"); d.Response == nil || d.Response.Status != 302 {
		t.Fatalf("the other VM of this Envoy, before its next follow: %+v", d)
	}
}

// The log of an outage: one line when follows start failing, one when the copy goes
// stale, one when etcd is back; never one per request or per failed follow.
func TestEtcdOutageIsLoggedOncePerChange(t *testing.T) {
	url := etcdURL(t)
	control := os.Getenv("EXEUNT_TEST_ETCD_CONTROL")
	if control == "" {
		t.Fatal("EXEUNT_TEST_ETCD_CONTROL is not set: run through e2e/store_etcd_test.go")
	}
	logs := &logLines{}
	set := etcdTestSettings()
	set.StaleAfter = 2 * time.Second
	p, _, err := newEtcdPorts(set, logs.log)
	if err != nil {
		t.Fatal(err)
	}
	o := etcdOps{t, etcdAnswer(url)}
	now := time.Now()
	o.follow(p, now)
	post := func(what string) {
		resp, err := http.Post(control+"/"+what, "text/plain", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("asking the test's etcd to %s: %v %v", what, err, resp)
		}
		resp.Body.Close()
	}
	post("kill")
	for i := 1; i <= 5; i++ {
		at := now.Add(time.Duration(i) * time.Second)
		o.follow(p, at)
		p.revocations.isRevoked("s", at)
	}
	post("restart")
	o.follow(p, now.Add(6*time.Second))
	o.follow(p, now.Add(7*time.Second))
	for line, want := range map[string]int{
		"store etcd: revocations loaded at revision":                  1,
		"store etcd: unreachable since":                               1,
		"serving from the copy of the revocations until":              1,
		"older than stale_after (2s): refusing signed-in requests":    1,
		"store etcd: reachable again after 5s, caught up to revision": 1,
	} {
		if got := logs.count(line); got != want {
			t.Errorf("%d lines with %q, want %d; the log:\n%s", got, line, want, strings.Join(logs.lines, "\n"))
		}
	}
}

// A follower catches up after etcd compacted its history past the follower's revision
// (a range by revision reads the current keys, never the history), and one whose
// revision etcd is behind (etcd restored from a backup) reloads everything.
func TestEtcdFollowAfterCompactionAndRestore(t *testing.T) {
	url := etcdURL(t)
	o := etcdOps{t, etcdAnswer(url)}
	set := etcdTestSettings()
	logs := &logLines{}
	a, ab, err := newEtcdPorts(set, logs.log)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := newEtcdPorts(set, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	o.follow(a, now)
	if err := o.revoke(b, "s1", now); err != nil {
		t.Fatal(err)
	}
	if err := o.revoke(b, "s2", now); err != nil {
		t.Fatal(err)
	}
	// Compact everything up to now (as root when etcd's authentication is on: only root
	// may compact).
	compactAll(t, url)
	o.follow(a, now)
	for _, sid := range []string{"s1", "s2"} {
		if r, err := a.revocations.isRevoked(sid, now); !r || err != nil {
			t.Fatalf("after a compaction past the follower's revision, %s: %v, %v", sid, r, err)
		}
	}
	// The follower is ahead of etcd: as after etcd was restored from an older backup.
	ab.revision += 1_000_000
	if err := o.revoke(b, "s3", now); err != nil {
		t.Fatal(err)
	}
	o.follow(a, now.Add(time.Second))
	for _, sid := range []string{"s1", "s2", "s3"} {
		if r, err := a.revocations.isRevoked(sid, now.Add(time.Second)); !r || err != nil {
			t.Fatalf("after a reload, %s: %v, %v", sid, r, err)
		}
	}
	if ab.revision >= 1_000_000 || logs.count("reloading every revocation") != 1 {
		t.Fatalf("no reload: revision %d, log %q", ab.revision, logs.lines)
	}
}

// compactAll compacts etcd's history up to its current revision.
func compactAll(t *testing.T, url string) {
	t.Helper()
	var gw etcdv3.Gateway
	answer := etcdAnswer(url)
	do := func(op etcdv3.Op, token string) CallResult {
		req, err := gw.Request(op, token)
		if err != nil {
			t.Fatal(err)
		}
		c := &Call{Cluster: etcdTestCluster, Method: req.Method, Path: req.Path, Authority: "etcd", Body: req.Body, Timeout: 5 * time.Second}
		for _, h := range req.Headers {
			c.Headers = append(c.Headers, Header{Name: h[0], Value: h[1]})
		}
		return answer(t, c)
	}
	token := ""
	if root := os.Getenv("EXEUNT_TEST_ETCD_ROOT_PASSWORD"); root != "" {
		r := do(&etcdv3.AuthenticateRequest{Name: "root", Password: root}, "")
		resp, err := gw.ParseAuthenticate(r.Status, r.Body)
		if err != nil {
			t.Fatal(err)
		}
		token = resp.Token
	}
	r := do(&etcdv3.RangeRequest{Key: []byte("/"), Limit: 1}, token)
	rng, err := gw.ParseRange(r.Status, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r = do(&etcdv3.CompactionRequest{Revision: rng.Header.Revision, Physical: true}, token)
	if _, err := gw.ParseCompaction(r.Status, r.Body); err != nil {
		t.Fatalf("compacting at %d: %v", rng.Header.Revision, err)
	}
}

// Without any answer from etcd (what Envoy gives a callout when the cluster is down), a
// VM never loads the revocations: a valid session cookie gets the 503 and is kept, a
// public path still passes, and the failed follow is counted. This needs no etcd.
func TestEtcdEngineWithoutEtcdRefusesSessionsOnly(t *testing.T) {
	m := signoutConfigMap()
	m["public_path_prefixes"] = []any{"/favicon.ico"}
	local := newSignoutEnv(t, func(c map[string]any) { c["public_path_prefixes"], c["keys"] = m["public_path_prefixes"], m["keys"] })
	local.signIn("https://exeunt.test/app1/")
	m["store"] = map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": etcdTestCluster}}
	s := etcdEngineEnv(t, m, &logLines{})
	s.jar = local.jar
	for _, c := range s.e.Start(s.now) {
		backgroundOf(c.Then(CallResult{})) // no answer
	}
	storeRefused(t, s.app1("text/html"), false)
	if d := s.request("GET", "https://exeunt.test/favicon.ico"); !d.Continues() {
		t.Fatalf("a public path with the store unreachable: %+v", d.Response)
	}
	if s.metrics.get(counterEtcdFollowFailures) != 1 || s.metrics.get(counterEtcdCallsFailed) < 1 || s.metrics.get(counterStoreUnavailableRefusals) != 1 {
		t.Fatalf("counters: %v", s.metrics.m)
	}
	if !local.app1("text/html").Continues() {
		t.Fatal("the cookie does not serve on the local store: the test shows nothing")
	}
}

// The VMs of one Envoy share one follow: after their own first loads, one VM per follow
// period follows etcd and writes what it read to shared data; the other adopts it, and
// refuses a session revoked on another replica without following etcd itself.
func TestEtcdVMsOfOneEnvoyShareOneFollow(t *testing.T) {
	url := etcdURL(t)
	follows := 0
	answer := etcdAnswer(url)
	o := etcdOps{t, func(tb testing.TB, c *Call) CallResult {
		if strings.Contains(string(c.Body), `"min_mod_revision"`) {
			follows++
		}
		return answer(tb, c)
	}}
	set := etcdTestSettings()
	shared := NewMemoryStore()
	vm := func() storePorts {
		p, b, err := newEtcdPorts(set, func(s string) { t.Log(s) })
		if err != nil {
			t.Fatal(err)
		}
		b.shared, b.sharedStore = &localRevocations{store: shared}, shared
		return p
	}
	a, b := vm(), vm()
	other, _, err := newEtcdPorts(set, nil) // another replica
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	o.follow(a, t0)
	o.follow(b, t0)
	if follows != 2 {
		t.Fatalf("%d first loads, want one per VM", follows)
	}
	if err := o.revoke(other, "x", t0); err != nil {
		t.Fatal(err)
	}
	follows = 0
	const ticks = 8
	at := t0
	for i := 0; i < ticks; i++ {
		at = at.Add(set.FollowEvery)
		o.follow(a, at)
		o.follow(b, at)
	}
	if follows != ticks {
		t.Fatalf("two VMs ticking %d times made %d follows, want one per period (%d)", ticks, follows, ticks)
	}
	// b never followed after its first load: it knows of x through a's follow.
	if r, err := b.revocations.isRevoked("x", at); !r || err != nil {
		t.Fatalf("the VM that did not follow: x revoked %v, %v", r, err)
	}
	// and its copy is as fresh as a's last follow: well within stale_after (3s), though
	// its own last follow was 2s ago.
	if _, err := b.revocations.isRevoked("y", at.Add(2*time.Second)); err != nil {
		t.Fatalf("the VM that adopted the Envoy's follows: %v", err)
	}
	// a stops (its worker is stuck): b takes the follow over once a's claim lapses.
	follows = 0
	for i := 0; i < 20; i++ {
		at = at.Add(set.FollowEvery)
		o.follow(b, at)
	}
	if follows < 15 {
		t.Fatalf("b alone made %d follows in 20 periods", follows)
	}
}

// A VM whose copy ends before what shared data holds does not adopt the Envoy's follow:
// G loaded before x was revoked, F loaded after (its load is its own, not in shared
// data), F's next follow is stamped from there; G must follow etcd itself and see x.
func TestEtcdVMBehindTheSharedFollowFollowsItself(t *testing.T) {
	o := etcdOps{t, etcdAnswer(etcdURL(t))}
	set := etcdTestSettings()
	shared := NewMemoryStore()
	vm := func() storePorts {
		p, b, err := newEtcdPorts(set, func(s string) { t.Log(s) })
		if err != nil {
			t.Fatal(err)
		}
		b.shared, b.sharedStore = &localRevocations{store: shared}, shared
		return p
	}
	other, _, err := newEtcdPorts(set, nil) // another replica
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	g := vm()
	o.follow(g, t0)
	if err := o.revoke(other, "x", t0); err != nil {
		t.Fatal(err)
	}
	f := vm()
	o.follow(f, t0)
	at := t0.Add(set.FollowEvery)
	o.follow(f, at) // leads, stamps from its own load's revision
	o.follow(g, at)
	if r, err := g.revocations.isRevoked("x", at); !r || err != nil {
		t.Fatalf("a VM that loaded before x, after the Envoy's follow: x revoked %v, %v", r, err)
	}
}

// The VMs of one Envoy read the delivery queue once per period between them, and a job
// queued by one is read by the next tick of any.
func TestEtcdVMsOfOneEnvoyShareQueueReads(t *testing.T) {
	answer := etcdAnswer(etcdURL(t))
	reads := 0
	o := etcdOps{t, func(tb testing.TB, c *Call) CallResult {
		if c.Path == "/v3/kv/range" && !strings.Contains(string(c.Body), `"min_mod_revision"`) {
			reads++
		}
		return answer(tb, c)
	}}
	set := etcdTestSettings()
	shared := NewMemoryStore()
	vm := func() storePorts {
		p, b, err := newEtcdPorts(set, func(s string) { t.Log(s) })
		if err != nil {
			t.Fatal(err)
		}
		b.shared, b.sharedStore = &localRevocations{store: shared}, shared
		return p
	}
	a, b := vm(), vm()
	at := time.Now()
	const ticks = 6
	for i := 0; i < ticks; i++ {
		at = at.Add(set.FollowEvery)
		for _, p := range []storePorts{a, b, a, b} {
			if got, err := o.claimDue(p, at); len(got) != 0 || err != nil {
				t.Fatalf("an empty queue: %v, %v", got, err)
			}
		}
	}
	if reads != ticks {
		t.Fatalf("two VMs ticking twice each per period read the queue %d times in %d periods, want once a period", reads, ticks)
	}
	job := deliveryJob{Sub: "u", SID: "e1", Trigger: "test", Deadline: at.Add(time.Hour).Unix(),
		Items: []deliveryItem{{Client: "app1", Due: at.UnixMilli()}}}
	if err := o.run(func(then func(error) Decision) Decision { return a.deliveries.enqueue(job, at, then) }); err != nil {
		t.Fatal(err)
	}
	if got, err := o.claimDue(b, at); len(got) != 1 || err != nil {
		t.Fatalf("the other VM's next tick after a job was queued: %v, %v", got, err)
	}
}
