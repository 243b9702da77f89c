package core

import (
	"errors"
	"fmt"
	"time"
)

// Store ports: what the flows need from state kept outside the cookie, said by domain
// (revocations, single-use claims, the session index, logout contexts, back-channel
// deliveries), never by key. Each port states its contract; a backend meets it.
//
// Every operation that may have to wait for a remote store is written in continuation
// style on the engine's call mechanism: it takes a continuation `then`, and returns the
// Decision the flow goes on with. A synchronous backend (local: Proxy-Wasm shared data)
// does its work at once and returns then's Decision; an asynchronous one (etcd through
// HTTP calls, issue 14) returns a Decision whose Call carries the request and whose
// Then runs `then` with the answer. Flows are the same for both. A continuation is run
// exactly once. The only synchronous read is the revocation check, which every request
// makes and which must never wait on anything remote.
//
// RATIONALE.md ("Why store ports by domain, and continuation style") says what each
// port promises and how an etcd backend meets it.

// storePorts are the ports one engine uses, all from one backend (newStorePorts).
//
// The backends' port types (localRevocations, etcdClaims, ...) have pointer receivers and
// are held as pointers: with value receivers, Go also compiles a pointer-receiver wrapper
// of every method of a type held in an interface, 19 KB of the module's code for these
// ten (BENCHMARKS.md, "Issue 15: Exeunt's own code, cut by function").
type storePorts struct {
	revocations revocations
	claims      claims
	sessions    sessionIndex
	contexts    logoutContextStore
	deliveries  deliveryQueue

	// follow, when not nil, is the backend's tick hook: a fleet backend brings this VM's
	// copy of the revocations up to date (its calls go out in the background of
	// Engine.OnTick), at least every followEvery. A local backend has nothing to follow.
	follow      func(now time.Time) Decision
	followEvery time.Duration
	// ready, when not nil, says whether this VM can check sessions now (nil error), or
	// why not: the same answer revocations.isRevoked gives every signed-in request. A
	// local backend is always ready.
	ready func(now time.Time) error
	// settled, when not nil, calls then(nil) once every replica of a fleet refuses sid,
	// which is revoked in the store (then(err), wrapping errOutcomeUnknown, when that
	// cannot be known): a sign-out found done already is reported only then. A local
	// backend has nothing to wait for.
	settled func(sid string, now time.Time, then func(error) Decision) Decision
	// urgent, when not nil, says whether the backend has work waiting on ticks (a
	// sign-out waiting for the fleet's acknowledgements): the engine then ticks often.
	urgent func(now time.Time) bool
	// useMetrics, when not nil, gives the backend the engine's counters.
	useMetrics func(Metrics)
	// since, when not nil, is when the backend began keeping sign-outs (Unix seconds),
	// at now or before, ok false when it cannot tell: the local backend's shared data is
	// lost when Envoy restarts, so a session created before it may have been signed out,
	// and is refused (store_local_since.go). A fleet backend keeps sign-outs across
	// restarts.
	since func(now time.Time) (since int64, ok bool)
}

// newStorePorts is the one switch that picks the backend of every port, by the `store`
// setting (config_store.go): `local`, Proxy-Wasm shared data, shared by the VMs of one
// Envoy (the Store the engine is given); or `etcd`, an etcd v3 cluster shared by a
// fleet, through calls built with core/etcdv3 (store_etcd.go).
func newStorePorts(cfg *Config, store Store, log func(string)) (storePorts, error) {
	switch b := cfg.Store.Backend; b {
	case StoreLocal:
		return newLocalPorts(cfg, store), nil
	case StoreEtcd:
		p, b, err := newEtcdPorts(cfg.etcdSettings(), log)
		if err == nil {
			// The VMs of one Envoy share revocations at once, and one follow of etcd.
			b.shared, b.sharedStore = &localRevocations{store: store}, store
		}
		return p, err
	default:
		return storePorts{}, fmt.Errorf("store: unknown backend %q (known: %q, %q)", b, StoreLocal, StoreEtcd)
	}
}

// revocations are the edge sessions signed out.
//
//   - isRevoked is synchronous and reads only what this Envoy holds (for a fleet
//     backend, a local cache kept current on ticks, at most a bounded time behind). An
//     error means the answer is unknown: the caller refuses the session (fail closed).
//     It runs on every signed-in request: it must not allocate beyond reading this
//     Envoy's shared data (which copies a bucket only when it holds something).
//   - revoke marks sid revoked until `until` (after which the session has ended anyway
//     and the entry may go), then calls then(nil) only once the revocation is durable:
//     every VM of this Envoy (for a fleet, every replica, within the backend's bound)
//     refuses the session from then on, and a restart does not undo it. then(err) when
//     that cannot be promised; the session must then not be reported as ended.
//   - Revoking twice is harmless.
//   - end is the sign-out's one durable step: it revokes sid until `until`, drops its
//     record from the session index, and queues job (unless it has no items) under a
//     key of its own (the sid), as ONE atomic step: all of it or none. It is idempotent:
//     when sid is revoked already (by an earlier end whose answer was lost, or another
//     trigger), it changes nothing and says so (ended.already), since whoever revoked
//     it queued its notices with it. then(err) when it cannot be promised; errors.Is(err,
//     errOutcomeUnknown) when the store may still apply it later (a timeout): the caller
//     must not say it did not happen, and a later end finds it done or does it.
//     ended.unqueued (a backend that cannot make the queue part of the step: local,
//     whose writes cannot time out) says the revocation holds but the job could not be
//     queued: the caller sends the notices once without retries.
//     end is conditional on sid's index record being the one job was built from: seen is
//     its version as sessionIndex.find returned it (sessionRecord.version; 0: the record
//     was not there, anyRecord: no condition). When sid is not revoked and its record is
//     no longer at seen (a first visit added a client since), end writes nothing and says
//     so: ended.moved, with ended.record the record as it stands (version 0 when gone);
//     the caller merges its clients and ends again (endRecorded).
type revocations interface {
	isRevoked(sid string, now time.Time) (bool, error)
	revoke(sid string, until, now time.Time, then func(error) Decision) Decision
	end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision
}

// anyRecord is revocations.end's seen for an end that is not conditional on the record.
const anyRecord int64 = -1

// ended is what revocations.end did.
type ended struct {
	already  bool  // sid was revoked before: nothing written, nothing queued now
	unqueued error // revoked, but job not queued (local backend only)
	// moved: nothing written, sid's record is not the one seen; record is it now.
	moved  bool
	record sessionRecord
}

// errOutcomeUnknown: a write the store did not answer in time (or answered with "maybe"):
// it may or may not have been made, and may still be. Repeating an idempotent write is
// the way to learn which.
var errOutcomeUnknown = errors.New("the store did not answer in time: the change may or may not have been made, and may still be")

// claimKind is the space a single-use value belongs to; the same id in two kinds are
// two claims.
type claimKind uint8

const (
	claimSignInState          claimKind = iota // a sign-in flow's state, at its callback
	claimPromptToken                           // a sign-out prompt's anti-forgery token (its jti)
	claimLogoutToken                           // a provider logout token (logoutTokenID of iss and jti)
	claimEndedProviderSession                  // a provider session its provider ended (indexKey of iss and sid)
	claimEndedProviderUser                     // every provider session of a user its provider ended (indexKey of iss and sub)
)

// claims are single-use values.
//
//   - claim marks id used until `until` and calls then(true, nil) when this call was the
//     first to claim it, then(false, nil) when it was claimed before and has not
//     expired. The test and the mark are one atomic step for every VM (for a fleet, every
//     replica): of two racing claims exactly one is fresh. then(_, err) when the store
//     cannot answer: the caller refuses, as for a replay.
//   - claimed reports whether id is claimed, claiming nothing; its answer may be stale
//     by the time it is used (the caller claims afterwards).
//   - Ids are opaque strings without spaces or newlines, at most a few hundred bytes.
//   - claimAs is claim for a use by owner (not empty): a claim made before by the same
//     owner counts as fresh too, so that a use whose answer was lost (a timeout, after
//     which the store applied it) can be repeated by the same owner, never by another.

//   - A backend may bound how many claims of a kind it keeps, forgetting first those that
//     expire soonest (the local one bounds sign-in states and prompt tokens, which anyone
//     can mint): a forgotten claim only lets a replay reach a check behind it (the
//     provider's single-use code, a session already signed out).
type claims interface {
	claim(kind claimKind, id string, until, now time.Time, then func(fresh bool, err error) Decision) Decision
	claimAs(kind claimKind, id, owner string, until, now time.Time, then func(fresh bool, err error) Decision) Decision
	claimed(kind claimKind, id string, now time.Time, then func(bool, error) Decision) Decision
	// claimedBy is claimed that also gives the owner of a standing claimAs.
	claimedBy(kind claimKind, id string, now time.Time, then func(owner string, found bool, err error) Decision) Decision
}

// sessionIndex keeps the records that provider-initiated sign-out needs to find edge
// sessions without the browser: each record by edge sid, and the links from the
// provider's session (iss+sid) and user (iss+sub) to edge sids. Entries expire with
// their session (rec.Expires).
//
//   - index writes rec and its links; then(nil) once durable. On a failure the caller
//     makes no session: one the index lacks would outlive a provider-initiated sign-out.
//   - update rewrites rec (the clients it visited grew), keeping the clients the record
//     already names (two first visits sent with one cookie: withClients); then(nil) once durable, as the
//     request it holds then reaches the new client, which a provider-initiated sign-out
//     found anywhere from that moment must notify. On a failure the caller refuses that
//     request (recordVisit): the error says what failed, the caller what follows.
//     A record that is gone (a sign-out dropped it) is not written again: errRecordGone.
//   - find returns the live records linked from (iss, psid) or, when psid is empty,
//     (iss, sub), that match them (and sub too when given), each with its version
//     (sessionRecord.version, for revocations.end; never 0 or anyRecord). It may miss a session
//     indexed a moment ago elsewhere in a fleet (the backend's bound), never return a
//     forgotten one. then(nil, err) when the index cannot be read.
//   - forget drops sid's record (its links then lead nowhere and are pruned later).
//   - ofUser returns the live records of one user (iss, sub), as find(iss, "", sub) does,
//     for the session limit, and what it read (userRead) for index to check; a backend
//     whose links to that user's ended sessions stay until they expire (etcd) drops them
//     here, so that the user's links stay as few as the limit allows. then(nil, _, err)
//     when the index cannot be read.
//   - index with seen (a sign-in's ofUser) writes nothing and answers errUserChanged
//     when another session of the user was indexed after that read: the limit counted
//     without it (racing sign-ins each finding room for one more). seen nil: no check.
//   - unlink drops the links of rec, a session just ended (a backend that prunes a
//     list's dead members when it next writes it, local, does nothing). A failure leaves
//     links that lead nowhere until they expire.
type sessionIndex interface {
	index(rec sessionRecord, seen *userRead, now time.Time, then func(error) Decision) Decision
	update(rec sessionRecord, now time.Time, then func(error) Decision) Decision
	find(iss, psid, sub string, now time.Time, then func([]sessionRecord, error) Decision) Decision
	forget(sid string, now time.Time, then func(error) Decision) Decision
	ofUser(iss, sub string, now time.Time, then func([]sessionRecord, *userRead, error) Decision) Decision
	unlink(rec sessionRecord, now time.Time, then func(error) Decision) Decision
}

// logoutContextStore keeps logout contexts server-side (when too long for a URL, or
// configured so), by an opaque random id.
//
//   - save keeps payload (compact JSON) until `until`; then(nil) once any VM (for a
//     fleet, any replica) can load it. Stored contexts are bounded in total and per
//     session sid (when not empty): past maxContextsPerSession the session's oldest
//     contexts are dropped, and under a flood the oldest contexts go first; a dropped
//     context loads as not found, never as another's.
//   - load returns the payload of id, found false when it is unknown, expired or
//     dropped; then(nil, false, err) when the store cannot answer (the caller treats it
//     as not found: a context it cannot read is not one it may act on).
type logoutContextStore interface {
	save(id, sid string, payload []byte, until, now time.Time, then func(error) Decision) Decision
	load(id string, now time.Time, then func(payload []byte, found bool, err error) Decision) Decision
}

// deliveryQueue is the back-channel delivery queue: one job per ended session, one item
// per client to notify, each item worked by one VM (for a fleet, one replica) at a time
// under a lease.
//
//   - enqueue keeps job until job.keepUntil (a little past its deadline, so the last
//     attempt's answer finds it); then(nil) once durable (a restart does not lose it).
//     then(err) when it cannot be queued: the caller sends without retries.
//   - claimDue leases, atomically, up to max items that are due and not leased (Due and
//     Lease <= now), setting their Lease to leaseUntil (Unix ms), and returns them with
//     their jobs. A backend whose claim is written later than now (a chain of calls)
//     moves leaseUntil on by as much, so a lease never starts before its write is sent.
//     landed, when not nil, gets each batch of claims as soon as its write is
//     acknowledged (at: when; the item's Lease is the lease written) and the calls it
//     returns go out then, not after the rest of the claim. An item whose lease ran out
//     (its worker died) is due again. then gets every claim too. next is
//     the earliest Unix ms at which an item of a job seen is due or its lease ends (now
//     when max stopped the scan; 0 when nothing is queued). A job that cannot be
//     claimed is skipped; err reports the first such failure with what was claimed.
//   - finish changes one client's item of a job: change returns true to drop it (a job
//     with no items left goes). A job already gone is left alone.
type deliveryQueue interface {
	enqueue(job deliveryJob, now time.Time, then func(error) Decision) Decision
	claimDue(now time.Time, max int, leaseUntil int64, landed func(claimed []deliveryClaim, at time.Time) []*Call, then func(claimed []deliveryClaim, next int64, err error) Decision) Decision
	finish(jobID, client string, now time.Time, change func(*deliveryItem) bool, then func(error) Decision) Decision
}

// deliveryClaim is one leased item with its job.
type deliveryClaim struct {
	jobID string
	job   deliveryJob
	item  deliveryItem
}
