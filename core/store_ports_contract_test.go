package core

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The ports' contracts (store_ports.go), checked on any backend through two "VMs" (two
// storePorts over one shared state). Issue 14's etcd backend runs the same checks.

func TestStorePortContractsLocal(t *testing.T) {
	testStorePortContracts(t, func() (vm1, vm2 storePorts) {
		store := NewMemoryStore()
		return newLocalPorts(&Config{}, store), newLocalPorts(&Config{}, store)
	})
}

func TestStorePortContractsAsynchronous(t *testing.T) {
	testStorePortContracts(t, func() (vm1, vm2 storePorts) {
		store := NewMemoryStore()
		return deferPorts(newLocalPorts(&Config{}, store)), deferPorts(newLocalPorts(&Config{}, store))
	})
}

// settle runs a port's Decision to its end: it answers the calls of an asynchronous
// backend (only the test backend's cluster, with an empty 200), and fails when the
// continuation never ran.
func settle(t *testing.T, ran *bool, d Decision) {
	t.Helper()
	settleWith(t, answerTestCluster, ran, d)
}

func answerTestCluster(t testing.TB, c *Call) CallResult {
	if c.Cluster != storeTestCluster {
		t.Fatalf("unexpected call %+v", c)
	}
	return CallResult{Status: 200}
}

// settleWith is settle with answer doing the calls, a store's calls in the Decision's
// Call chain and in its Background (work a port lets the flow go on without), all run to
// their end before it returns.
func settleWith(t *testing.T, answer func(testing.TB, *Call) CallResult, ran *bool, d Decision) {
	t.Helper()
	var pending []*Call
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("a store operation made over 1000 calls")
		}
		pending = append(pending, d.Background...)
		if d.Wait != nil {
			d = pastWait(d.Wait)
			continue
		}
		if d.Call != nil {
			c := d.Call
			d = c.Then(answer(t, c))
			continue
		}
		if len(pending) == 0 {
			break
		}
		c := pending[0]
		pending = pending[1:]
		d = c.Then(answer(t, c))
	}
	if !*ran {
		t.Fatal("the continuation never ran")
	}
}

// settleOwn runs only d's own chain of calls (and waits) to its end, as the request that
// holds on it would, and returns the background calls met on the way, unmade.
func settleOwn(t *testing.T, answer func(testing.TB, *Call) CallResult, ran *bool, d Decision) (background []*Call) {
	t.Helper()
	for i := 0; d.Call != nil || d.Wait != nil; i++ {
		if i > 1000 {
			t.Fatal("a store operation made over 1000 calls")
		}
		background = append(background, d.Background...)
		if d.Wait != nil {
			d = pastWait(d.Wait)
			continue
		}
		c := d.Call
		d = c.Then(answer(t, c))
	}
	if !*ran {
		t.Fatal("the continuation never ran")
	}
	return append(background, d.Background...)
}

func testStorePortContracts(t *testing.T, newVMs func() (vm1, vm2 storePorts)) {
	testStorePortContractsWith(t, newVMs, answerTestCluster)
}

// testStorePortContractsWith runs the contracts with answer doing the backend's calls
// (a real etcd's gateway, for the etcd backend).
func testStorePortContractsWith(t *testing.T, newVMs func() (vm1, vm2 storePorts), answer func(testing.TB, *Call) CallResult) {
	now := time.Unix(1_800_000_000, 0)
	done := func() Decision { return Continue() }
	settle := func(t *testing.T, ran *bool, d Decision) {
		t.Helper()
		settleWith(t, answer, ran, d)
	}
	// follow runs a fleet backend's tick hook (its copy of the revocations catches up).
	follow := func(t *testing.T, p storePorts, at time.Time) {
		t.Helper()
		if p.follow != nil {
			ran := true
			settle(t, &ran, p.follow(at))
		}
	}

	t.Run("revocations", func(t *testing.T) {
		a, b := newVMs()
		follow(t, a, now)
		follow(t, b, now)
		if r, err := b.revocations.isRevoked("s1", now); r || err != nil {
			t.Fatalf("isRevoked before revoke = %v, %v", r, err)
		}
		ran := false
		settle(t, &ran, a.revocations.revoke("s1", now.Add(time.Hour), now, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatal(err)
			}
			// Durable when told: the VM that revoked refuses the session from now on, and
			// so does every other VM of one Envoy (a fleet's replicas: after their next
			// follow, below).
			if r, err := a.revocations.isRevoked("s1", now); !r || err != nil {
				t.Fatalf("revoked, but the revoking VM does not see it when told: %v, %v", r, err)
			}
			if b.follow == nil {
				if r, _ := b.revocations.isRevoked("s1", now); !r {
					t.Fatal("revoked, but another VM does not see it when told")
				}
			}
			return done()
		}))
		follow(t, b, now)
		if r, err := b.revocations.isRevoked("s1", now); !r || err != nil {
			t.Fatalf("another VM (after its next follow) does not see a revocation: %v, %v", r, err)
		}
		follow(t, b, now.Add(2*time.Hour))
		if r, err := b.revocations.isRevoked("s1", now.Add(2*time.Hour)); r || err != nil {
			t.Fatalf("a revocation outlived its until: %v, %v", r, err)
		}
	})

	t.Run("claims", func(t *testing.T) {
		a, b := newVMs()
		claim := func(p storePorts, kind claimKind, id string, at time.Time) bool {
			var fresh, ran bool
			settle(t, &ran, p.claims.claim(kind, id, now.Add(time.Minute), at, func(f bool, err error) Decision {
				ran, fresh = true, f
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return fresh
		}
		claimed := func(p storePorts, kind claimKind, id string) bool {
			var seen, ran bool
			settle(t, &ran, p.claims.claimed(kind, id, now, func(s bool, err error) Decision {
				ran, seen = true, s
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return seen
		}
		if claimed(a, claimSignInState, "x") {
			t.Fatal("claimed before any claim")
		}
		if !claim(a, claimSignInState, "x", now) {
			t.Fatal("a first claim is not fresh")
		}
		if claim(b, claimSignInState, "x", now) {
			t.Fatal("a second claim, from another VM, is fresh")
		}
		if !claimed(b, claimSignInState, "x") {
			t.Fatal("claimed does not see a claim")
		}
		for _, k := range []claimKind{claimPromptToken, claimLogoutToken} {
			if !claim(b, k, "x", now) {
				t.Fatalf("kind %d shares its ids with another kind", k)
			}
		}
		if !claim(a, claimSignInState, "x", now.Add(2*time.Minute)) {
			t.Fatal("an expired claim still counts")
		}
	})

	t.Run("claimAs", func(t *testing.T) {
		a, b := newVMs()
		claimAs := func(p storePorts, owner string) bool {
			var fresh, ran bool
			settle(t, &ran, p.claims.claimAs(claimPromptToken, "t1", owner, now.Add(time.Minute), now, func(f bool, err error) Decision {
				ran, fresh = true, f
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return fresh
		}
		if !claimAs(a, "s1") {
			t.Fatal("a first claim is not fresh")
		}
		if !claimAs(b, "s1") {
			t.Fatal("the same owner's repeat (from another VM) is not fresh")
		}
		if claimAs(b, "s2") || claimAs(a, "") {
			t.Fatal("a claim by another owner, or by none, is fresh")
		}
	})

	t.Run("end", func(t *testing.T) {
		a, b := newVMs()
		follow(t, a, now)
		follow(t, b, now)
		exp := now.Add(time.Hour)
		rec := sessionRecord{SID: "e9", Sub: "u", IdP: "oidc", Iss: "https://idp", PSID: "p9", Expires: exp.Unix()}
		ran := false
		settle(t, &ran, a.sessions.index(rec, nil, now, func(err error) Decision { ran = true; return done() }))
		job := deliveryJob{Sub: "u", SID: "e9", Trigger: "test", Deadline: now.Add(time.Hour).Unix(),
			Items: []deliveryItem{{Client: "app1", Due: now.UnixMilli()}}}
		endAt := func(p storePorts, sid string, seen int64, job deliveryJob) ended {
			var got ended
			ran := false
			settle(t, &ran, p.revocations.end(sid, seen, exp, job, now, func(r ended, err error) Decision {
				ran, got = true, r
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return got
		}
		end := func(p storePorts, sid string, job deliveryJob) ended { return endAt(p, sid, anyRecord, job) }
		findE9 := func(p storePorts) []sessionRecord {
			var out []sessionRecord
			ran := false
			settle(t, &ran, p.sessions.find("https://idp", "p9", "", now, func(recs []sessionRecord, err error) Decision {
				ran, out = true, recs
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return out
		}
		// A sign-out reads the record, then a first visit's update lands (the record is
		// still there: the request reaches app2), then the end built from the read comes:
		// it must not drop the record and revoke with a job that leaves app2 out. It writes
		// nothing and returns the record as it stands, whose version then ends it.
		read := findE9(b)
		if len(read) != 1 || read[0].version == 0 || read[0].version == anyRecord {
			t.Fatalf("find before the visit: %+v, want e9 with a version", read)
		}
		visit := rec
		visit.Clients = []string{"app2"}
		ran = false
		settle(t, &ran, b.sessions.update(visit, now, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatalf("the first visit's update, before any end: %v", err)
			}
			return done()
		}))
		for _, seen := range []int64{read[0].version, 0} { // 0: the end of a sign-out that found no record
			r := endAt(a, "e9", seen, job)
			if !r.moved || r.already || r.record.version == seen || !slices.Contains(r.record.Clients, "app2") {
				t.Fatalf("an end at version %d after a visit moved the record: %+v, want moved with app2", seen, r)
			}
		}
		if r, err := a.revocations.isRevoked("e9", now); r || err != nil {
			t.Fatalf("an end that found the record moved revoked the session: %v, %v", r, err)
		}
		moved := findE9(b)
		if len(moved) != 1 || !slices.Contains(moved[0].Clients, "app2") {
			t.Fatalf("an end that found the record moved dropped it: %+v", moved)
		}
		if r := endAt(a, "e9", moved[0].version, job); r.already || r.moved || r.unqueued != nil {
			t.Fatalf("a first end, at the version read: %+v", r)
		}
		// After the end, a first visit's update is refused (errRecordGone).
		visit.Clients = []string{"app3"}
		ran = false
		settle(t, &ran, b.sessions.update(visit, now, func(err error) Decision {
			ran = true
			if !errors.Is(err, errRecordGone) {
				t.Fatalf("a first visit's update after the end: %v, want errRecordGone", err)
			}
			return done()
		}))
		if r, err := a.revocations.isRevoked("e9", now); !r || err != nil {
			t.Fatalf("ended, but the VM that ended it does not refuse it: %v, %v", r, err)
		}
		follow(t, b, now)
		if r, err := b.revocations.isRevoked("e9", now); !r || err != nil {
			t.Fatalf("ended, but another VM (after its next follow) does not refuse it: %v, %v", r, err)
		}
		ran = false
		settle(t, &ran, b.sessions.find("https://idp", "p9", "", now, func(recs []sessionRecord, err error) Decision {
			ran = true
			if len(recs) != 0 || err != nil {
				t.Fatalf("the ended session is still in the index: %v, %v", recs, err)
			}
			return done()
		}))
		claim := func(p storePorts) []deliveryClaim {
			var out []deliveryClaim
			ran := false
			settle(t, &ran, p.deliveries.claimDue(now, 10, now.UnixMilli()+5000, nil, func(cl []deliveryClaim, _ int64, err error) Decision {
				ran, out = true, cl
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return out
		}
		if cl := claim(b); len(cl) != 1 || cl[0].jobID != "e9" || cl[0].item.Client != "app1" {
			t.Fatalf("the job queued with the end: %+v", cl)
		}
		// Ending it again (a retry whose first answer was lost) changes nothing: the job
		// is not queued again (its item stays leased by the claim above).
		if r := end(b, "e9", job); !r.already {
			t.Fatalf("a second end: %+v, want already", r)
		}
		if cl := claim(a); len(cl) != 0 {
			t.Fatalf("a second end queued again: %+v", cl)
		}
		if r := end(a, "e10", deliveryJob{SID: "e10"}); r.already {
			t.Fatal("another session's end found it ended")
		} else if cl := claim(a); len(cl) != 0 {
			t.Fatalf("an end without notices queued %+v", cl)
		}
	})

	t.Run("indexAfterAStaleCount", func(t *testing.T) {
		// A sign-in counts the user's sessions on VM a, another sign-in of the user is
		// indexed on VM b, then a's write with its count is refused and writes nothing;
		// with a fresh count it is taken. An ended session's link gone since is no
		// change (the limit's own unlink runs between the count and the write).
		a, b := newVMs()
		exp := now.Add(time.Hour)
		rec := func(sid string) sessionRecord {
			return sessionRecord{SID: sid, Sub: "racer", IdP: "oidc", Iss: "https://idp", PSID: "p-" + sid, Created: now.Unix(), Expires: exp.Unix()}
		}
		count := func(p storePorts) ([]sessionRecord, *userRead) {
			var recs []sessionRecord
			var seen *userRead
			ran := false
			settle(t, &ran, p.sessions.ofUser("https://idp", "racer", now, func(r []sessionRecord, s *userRead, err error) Decision {
				ran, recs, seen = true, r, s
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
			return recs, seen
		}
		index := func(p storePorts, r sessionRecord, seen *userRead) error {
			var got error
			ran := false
			settle(t, &ran, p.sessions.index(r, seen, now, func(err error) Decision { ran, got = true, err; return done() }))
			return got
		}
		if err := index(b, rec("r0"), nil); err != nil {
			t.Fatal(err)
		}
		_, stale := count(a)
		if err := index(b, rec("r1"), nil); err != nil {
			t.Fatal(err)
		}
		if err := index(a, rec("r2"), stale); !errors.Is(err, errUserChanged) {
			t.Fatalf("an index write after another session of the user was indexed since the count: %v, want errUserChanged", err)
		}
		if recs, _ := count(b); len(recs) != 2 {
			t.Fatalf("after the refused write the user has %d sessions, want 2 (r0, r1): it wrote something", len(recs))
		}
		var found []sessionRecord
		ran := false
		settle(t, &ran, b.sessions.find("https://idp", "p-r2", "", now, func(r []sessionRecord, err error) Decision { ran, found = true, r; return done() }))
		if len(found) != 0 {
			t.Fatalf("the refused write linked its provider session: %+v", found)
		}
		recs, fresh := count(a)
		var r0 sessionRecord
		for _, r := range recs {
			if r.SID == "r0" {
				r0 = r
			}
		}
		ran = false
		settle(t, &ran, a.sessions.forget("r0", now, func(error) Decision { ran = true; return done() }))
		ran = false
		settle(t, &ran, a.sessions.unlink(r0, now, func(error) Decision { ran = true; return done() }))
		if err := index(a, rec("r2"), fresh); err != nil {
			t.Fatalf("an index write after a fresh count (one session ended and unlinked since): %v", err)
		}
		if recs, _ := count(b); len(recs) != 2 {
			t.Fatalf("the user has %d sessions, want 2 (r1, r2)", len(recs))
		}
	})

	t.Run("sessionIndex", func(t *testing.T) {
		a, b := newVMs()
		exp := now.Add(time.Hour).Unix()
		r1 := sessionRecord{SID: "e1", Sub: "u", IdP: "oidc", Iss: "https://idp", PSID: "p1", Expires: exp}
		r2 := sessionRecord{SID: "e2", Sub: "u", IdP: "oidc", Iss: "https://idp", PSID: "p2", Expires: exp}
		for _, r := range []sessionRecord{r1, r2} {
			ran := false
			settle(t, &ran, a.sessions.index(r, nil, now, func(err error) Decision {
				ran = true
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
		}
		find := func(iss, psid, sub string, at time.Time) []string {
			var sids []string
			ran := false
			settle(t, &ran, b.sessions.find(iss, psid, sub, at, func(recs []sessionRecord, err error) Decision {
				ran = true
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					sids = append(sids, r.SID+":"+strconv.Itoa(len(r.Clients)))
				}
				slices.Sort(sids)
				return done()
			}))
			return sids
		}
		for _, c := range []struct {
			iss, psid, sub string
			want           []string
		}{
			{"https://idp", "p1", "", []string{"e1:0"}},
			{"https://idp", "", "u", []string{"e1:0", "e2:0"}},
			{"https://idp", "p2", "u", []string{"e2:0"}},
			{"https://idp", "p2", "someone-else", nil},
			{"https://other", "p1", "", nil},
		} {
			if got := find(c.iss, c.psid, c.sub, now); !slices.Equal(got, c.want) {
				t.Errorf("find(%q, %q, %q) = %v, want %v", c.iss, c.psid, c.sub, got, c.want)
			}
		}
		// update's continuation runs once the record is durable: the request it holds then
		// reaches the client, so a provider-initiated sign-out found anywhere at that
		// moment must notify that client. No work the port left in the background is done
		// before the other VM's find (the glue makes it only after the request went on).
		r1.Clients = []string{"app1", "app2"}
		ran, err := false, error(nil)
		left := settleOwn(t, answer, &ran, a.sessions.update(r1, now, func(e error) Decision { ran, err = true, e; return done() }))
		if err != nil {
			t.Fatal(err)
		}
		if got := find("https://idp", "p1", "", now); !slices.Equal(got, []string{"e1:2"}) {
			t.Fatalf("when update's continuation ran (%d calls left in the background): %v", len(left), got)
		}
		ran = true
		settle(t, &ran, Decision{Background: left}) // made late, as the glue would
		// A first visit sent with the same cookie as the one above, to another client,
		// written on the other VM: the record keeps both (withClients), or the client
		// reached first would never be told of a sign-out.
		raced := r1
		raced.Clients = []string{"app1", "app3"}
		ran = false
		settle(t, &ran, b.sessions.update(raced, now, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatal(err)
			}
			return done()
		}))
		if got := find("https://idp", "p1", "", now); !slices.Equal(got, []string{"e1:3"}) {
			t.Fatalf("after two updates from the same record, one per new client: %v, want e1 with 3 clients", got)
		}
		ran = false
		settle(t, &ran, a.sessions.forget("e1", now, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatal(err)
			}
			return done()
		}))
		if got := find("https://idp", "", "u", now); !slices.Equal(got, []string{"e2:0"}) {
			t.Fatalf("after forget: %v", got)
		}
		// A first visit whose update comes after the record went (a sign-out dropped it
		// with the notices of the clients it named) is refused, and writes no record that
		// names a client no sign-out will tell.
		late := r1
		late.Clients = []string{"app1", "app4"}
		ran = false
		settle(t, &ran, b.sessions.update(late, now, func(err error) Decision {
			ran = true
			if !errors.Is(err, errRecordGone) {
				t.Fatalf("an update of a record that is gone: %v, want errRecordGone", err)
			}
			return done()
		}))
		if got := find("https://idp", "", "u", now); !slices.Equal(got, []string{"e2:0"}) {
			t.Fatalf("an update after forget wrote the record again: %v", got)
		}
		if got := find("https://idp", "", "u", now.Add(2*time.Hour)); got != nil {
			t.Fatalf("records outlived their session: %v", got)
		}
	})

	t.Run("logoutContexts", func(t *testing.T) {
		a, b := newVMs()
		save := func(id, sid string) {
			ran := false
			settle(t, &ran, a.contexts.save(id, sid, []byte(`{"id":"`+id+`"}`), now.Add(time.Hour), now, func(err error) Decision {
				ran = true
				if err != nil {
					t.Fatal(err)
				}
				return done()
			}))
		}
		load := func(id string, at time.Time) string {
			var got string
			ran := false
			settle(t, &ran, b.contexts.load(id, at, func(p []byte, found bool, err error) Decision {
				ran = true
				if err != nil {
					t.Fatal(err)
				}
				if found {
					got = string(p)
				}
				return done()
			}))
			return got
		}
		save("sA", "")
		if got := load("sA", now); got != `{"id":"sA"}` {
			t.Fatalf("load = %q", got)
		}
		if got := load("sB", now); got != "" {
			t.Fatalf("an unknown id loads %q", got)
		}
		for i := 0; i <= maxContextsPerSession; i++ {
			save("s"+strconv.Itoa(i), "sid1")
		}
		if got := load("s0", now); got != "" {
			t.Fatal("a session kept more than maxContextsPerSession contexts")
		}
		if got := load("s"+strconv.Itoa(maxContextsPerSession), now); got == "" {
			t.Fatal("the newest context of a session was dropped")
		}
		if got := load("sA", now.Add(2*time.Hour)); got != "" {
			t.Fatal("a context outlived its until")
		}
	})

	t.Run("deliveryQueue", func(t *testing.T) {
		a, b := newVMs()
		ms := now.UnixMilli()
		job := deliveryJob{Sub: "u", SID: "e1", Trigger: "test", Deadline: now.Add(time.Hour).Unix(),
			Items: []deliveryItem{{Client: "app1", Due: ms}, {Client: "app2", Due: ms}}}
		ran := false
		settle(t, &ran, a.deliveries.enqueue(job, now, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatal(err)
			}
			return done()
		}))
		claimDue := func(p storePorts, at time.Time, limit int) (clients []string, jobID string, next int64) {
			ran := false
			settle(t, &ran, p.deliveries.claimDue(at, limit, at.UnixMilli()+5000, nil, func(cl []deliveryClaim, n int64, err error) Decision {
				ran, next = true, n
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cl {
					clients, jobID = append(clients, c.item.Client), c.jobID
				}
				slices.Sort(clients)
				return done()
			}))
			return clients, jobID, next
		}
		if got, _, next := claimDue(a, now, 1); len(got) != 1 || next != ms {
			t.Fatalf("claimDue with max 1 = %v, next %d (want one, next now)", got, next)
		}
		got, jobID, _ := claimDue(b, now, 10)
		if len(got) != 1 {
			t.Fatalf("the other VM claimed %v: a leased item was claimed twice, or a due one missed", got)
		}
		if got, _, next := claimDue(a, now, 10); got != nil || next != ms+5000 {
			t.Fatalf("with every item leased: %v, next %d (want none, next at the lease's end)", got, next)
		}
		// A worker that dies lets its lease run out: the items are due again.
		later := now.Add(6 * time.Second)
		if got, _, _ := claimDue(b, later, 10); !slices.Equal(got, []string{"app1", "app2"}) {
			t.Fatalf("after the leases ran out: %v", got)
		}
		ran = false
		settle(t, &ran, a.deliveries.finish(jobID, "app1", later, func(*deliveryItem) bool { return true }, func(err error) Decision {
			ran = true
			if err != nil {
				t.Fatal(err)
			}
			return done()
		}))
		ran = false
		settle(t, &ran, a.deliveries.finish(jobID, "app2", later, func(it *deliveryItem) bool {
			it.Attempts, it.Due, it.Lease = 1, later.UnixMilli()+1000, 0
			return false
		}, func(err error) Decision {
			ran = true
			return done()
		}))
		if got, _, next := claimDue(b, later, 10); got != nil || next != later.UnixMilli()+1000 {
			t.Fatalf("before the retry is due: %v, next %d", got, next)
		}
		if got, _, _ := claimDue(b, later.Add(time.Second), 10); !slices.Equal(got, []string{"app2"}) {
			t.Fatalf("the dropped item came back, or the retried one did not: %v", got)
		}
		ran = false
		settle(t, &ran, a.deliveries.finish(jobID, "app2", later, func(*deliveryItem) bool { return true }, func(error) Decision { ran = true; return done() }))
		if got, _, next := claimDue(b, later.Add(time.Minute), 10); got != nil || next != 0 {
			t.Fatalf("a job with no items left is still queued: %v, next %d", got, next)
		}
	})
}
