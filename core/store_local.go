package core

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/jsonx"
)

// The local backend: every port on Proxy-Wasm shared data (the Store), shared by the
// VMs of one Envoy. Shared data can neither delete nor expire a key, so each key space
// is an expiringMap or expiringSet of hashed buckets (store_local_map.go). Every
// operation is done at once and its continuation called before it returns.
//
// The key spaces below are the backend's alone: no flow names them (store_ports_test.go
// checks). Their prefixes and bucket counts must not change between releases: a proxy
// upgraded in place keeps its shared data.
var (
	// revokedSessions marks edge sessions signed out; every request checks it.
	revokedSessions = newExpiringSet("exeunt/revoked/", 1024)
	// usedStates holds sign-in states and (prefixed "csrf:") prompt tokens used, at most
	// maxClaimBucketBytes a bucket: anyone can mint sign-in states to claim.
	usedStates = func() expiringSet {
		s := newExpiringSet("exeunt/used-state/", 256)
		s.entries.maxBucketBytes = maxClaimBucketBytes
		return s
	}()
	// usedLogoutTokens holds the provider logout tokens acted on (prefixed "jti:").
	usedLogoutTokens = newExpiringSet("exeunt/used-jti/", 256)

	// The session index: records by edge sid, and lists of edge sids (space-separated)
	// by provider session (iss+sid) and by provider user (iss+sub).
	sessionRecords   = newExpiringMap("exeunt/session/", 1024)
	providerSessions = newExpiringMap("exeunt/by-psid/", 1024)
	subjectSessions  = newExpiringMap("exeunt/by-sub/", 1024)

	// logoutContexts keeps stored logout contexts. Each of the 256 buckets holds at
	// most maxContextBucketBytes (4 MiB in all; a context is at most about 5 KB, its
	// parameters being limited, limits.go), dropping its oldest contexts first.
	logoutContexts = func() expiringMap {
		m := newExpiringMap("exeunt/logout/", 256)
		m.maxBucketBytes = maxContextBucketBytes
		return m
	}()
	// contextsBySID lists each session's stored contexts (ids separated by spaces),
	// bounded like the contexts themselves (a dropped list only loosens the per-session
	// bound for that session; the total bound holds).
	contextsBySID = func() expiringMap {
		m := newExpiringMap("exeunt/logout-sid/", 256)
		m.maxBucketBytes = 8 << 10
		return m
	}()

	// deliveries is the back-channel delivery queue, one entry per job.
	deliveries = newExpiringMap("exeunt/backchannel/", 64)
)

const maxContextBucketBytes = 16 << 10

// maxClaimBucketBytes bounds each bucket of usedStates: 2 MiB in all, some 40,000 claims
// of about 50 bytes, more than ten minutes of 60 sign-ins a second.
const maxClaimBucketBytes = 8 << 10

func newLocalPorts(cfg *Config, store Store) storePorts {
	return storePorts{
		revocations: &localRevocations{store: store, timeout: cfg.Logout.BackchannelTimeout},
		claims:      &localClaims{store},
		sessions:    &localSessions{store},
		contexts:    &localContexts{store},
		deliveries:  &localDeliveries{store: store, timeout: cfg.Logout.BackchannelTimeout},
		since:       func(now time.Time) (int64, bool) { return localStoreSince(store, now) },
	}
}

// localRevocations: a revocation is durable once written to shared data.
type localRevocations struct {
	store   Store
	timeout time.Duration // the back-channel timeout, for job.keepUntil
}

func (r *localRevocations) isRevoked(sid string, now time.Time) (bool, error) {
	return revokedSessions.contains(r.store, sid, now)
}

// all lists the revocations in force in shared data, sid to end in Unix ms (the etcd
// backend's copy of an Envoy, to give back to an etcd that lost them). Shared data keeps
// an end in whole Unix seconds, cut down (store_local_map.go): it is given in ms, rounded
// up to the next second, so that a revocation given back never ends before its session.
func (r *localRevocations) all(now time.Time) (map[string]int64, error) {
	entries, err := revokedSessions.entries.all(r.store, now)
	out := make(map[string]int64, len(entries))
	for _, e := range entries {
		out[e.id] = max(out[e.id], (e.until+1)*1000)
	}
	return out, err
}

func (r *localRevocations) revoke(sid string, until, now time.Time, then func(error) Decision) Decision {
	_, err := revokedSessions.add(r.store, sid, until, now)
	return then(err)
}

// end drops the record, by compare-and-swap on the version seen (else it writes nothing:
// ended.moved), then writes the revocation and queues the job under the sid. The record
// goes first so that a first visit's update (a compare-and-swap of the same bucket) is
// either seen by the drop or refused after it (errRecordGone): endRecorded. Shared data
// answers at once and never "maybe", so the steps need no transaction: a failure is
// known where it happens. Revoked before: nothing else is done (whoever revoked it
// queued its notices).
func (r *localRevocations) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	if revoked, err := revokedSessions.contains(r.store, sid, now); err != nil || revoked {
		return then(ended{already: revoked}, err)
	}
	var moved, found bool
	var cur string
	err := sessionRecords.update(r.store, sid, now, func(old string, f bool) mapUpdate {
		cur, found = old, f
		if moved = seen != anyRecord && localRecordVersion(old, f) != seen; moved {
			return mapUpdate{keep: true}
		}
		return mapUpdate{delete: true}
	})
	if err != nil {
		return then(ended{}, err)
	}
	if moved {
		var rec sessionRecord // a value that does not parse names no clients
		if found {
			_ = jsonx.Unmarshal([]byte(cur), &rec)
		}
		rec.version = localRecordVersion(cur, found)
		return then(ended{moved: true, record: rec}, nil)
	}
	added, err := revokedSessions.add(r.store, sid, until, now)
	if err != nil {
		// Not ended: the record goes back (unless a write took its place), so that a
		// provider's sign-out still finds the session.
		if found {
			_ = sessionRecords.update(r.store, sid, now, func(_ string, there bool) mapUpdate {
				if there {
					return mapUpdate{keep: true}
				}
				var rec sessionRecord
				_ = jsonx.Unmarshal([]byte(cur), &rec)
				return mapUpdate{value: cur, until: time.Unix(rec.Expires, 0)}
			})
		}
		return then(ended{}, err)
	}
	if !added { // revoked meanwhile by another end, which queued its notices
		return then(ended{already: true}, nil)
	}
	if len(job.Items) == 0 {
		return then(ended{}, nil)
	}
	raw, _ := jsonx.Marshal(&job)
	if err := deliveries.put(r.store, sid, string(raw), job.keepUntil(r.timeout), now); err != nil {
		return then(ended{unqueued: err}, nil)
	}
	return then(ended{}, nil)
}

// localRecordVersion is a record's version on the local backend (sessionRecord.version):
// a hash of its stored value (FNV-1a, 64 bits, made positive and not 0), 0 when absent.
// An equal value names the same clients, which is all the end's condition is for.
func localRecordVersion(value string, found bool) int64 {
	if !found {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(value))
	return int64(h.Sum64()>>1) | 1
}

// localClaims: compare-and-swap on the bucket makes a claim atomic between VMs.
type localClaims struct{ store Store }

func claimSet(kind claimKind, id string) (expiringSet, string) {
	switch kind {
	case claimPromptToken:
		return usedStates, "csrf:" + id
	case claimLogoutToken:
		return usedLogoutTokens, "jti:" + id
	case claimEndedProviderSession: // made only from a provider's verified logout token
		return usedLogoutTokens, "ended:" + id
	case claimEndedProviderUser: // made only from a provider's verified logout token
		return usedLogoutTokens, "ended-user:" + id
	}
	return usedStates, id
}

func (c *localClaims) claim(kind claimKind, id string, until, now time.Time, then func(bool, error) Decision) Decision {
	set, key := claimSet(kind, id)
	fresh, err := set.add(c.store, key, until, now)
	return then(fresh, err)
}

// claimAs keeps the owner as the claim's value: the same owner's claim again is fresh.
func (c *localClaims) claimAs(kind claimKind, id, owner string, until, now time.Time, then func(bool, error) Decision) Decision {
	set, key := claimSet(kind, id)
	fresh := false
	err := set.entries.update(c.store, key, now, func(old string, found bool) mapUpdate {
		fresh = !found || (owner != "" && old == owner) // the last run counts
		if found {
			return mapUpdate{keep: true}
		}
		return mapUpdate{value: owner, until: until}
	})
	return then(fresh && err == nil, err)
}

func (c *localClaims) claimedBy(kind claimKind, id string, now time.Time, then func(string, bool, error) Decision) Decision {
	set, key := claimSet(kind, id)
	owner, found, err := set.entries.get(c.store, key, now)
	return then(owner, found, err)
}

func (c *localClaims) claimed(kind claimKind, id string, now time.Time, then func(bool, error) Decision) Decision {
	set, key := claimSet(kind, id)
	seen, err := set.contains(c.store, key, now)
	return then(seen, err)
}

// localSessions keeps the index in three maps.
type localSessions struct{ store Store }

func (l *localSessions) put(rec sessionRecord, now time.Time) error {
	raw, _ := jsonx.Marshal(&rec)
	return sessionRecords.put(l.store, rec.SID, string(raw), time.Unix(rec.Expires, 0), now)
}

func (l *localSessions) index(rec sessionRecord, seen *userRead, now time.Time, then func(error) Decision) Decision {
	if err := l.put(rec, now); err != nil {
		return then(fmt.Errorf("cannot record sid=%s: %w", rec.SID, err))
	}
	until := time.Unix(rec.Expires, 0)
	var errs []error
	changed := false // the user's list is not the one seen read (set by the last run of the swap)
	link := func(m expiringMap, key string, seen *userRead) {
		// Keep only sessions still alive: the list expires as a whole with its
		// longest-lived member, so old members are pruned here. Which members live is
		// read before the compare-and-swap, whose function must have no side effects
		// (it may run more than once); a member added meanwhile by another VM is kept.
		old, _, _ := m.get(l.store, key, now)
		dead := map[string]bool{}
		for _, sid := range strings.Fields(old) {
			if _, ok, _ := sessionRecords.get(l.store, sid, now); !ok {
				dead[sid] = true
			}
		}
		err := m.update(l.store, key, now, func(old string, _ bool) mapUpdate {
			// Only a sign-in that counted the user's sessions passes seen: the list is
			// written only by index, always adding a sid, so a list unlike the one
			// ofUser read means another session of the user was indexed since.
			if changed = seen != nil && old != seen.list; changed {
				return mapUpdate{keep: true}
			}
			sids := strings.Fields(old)
			if slices.Contains(sids, rec.SID) {
				return mapUpdate{keep: true}
			}
			live := sids[:0]
			for _, sid := range sids {
				if !dead[sid] {
					live = append(live, sid)
				}
			}
			live = append(live, rec.SID)
			return mapUpdate{value: strings.Join(live, " "), until: until}
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot link sid=%s: %w", rec.SID, err))
		}
	}
	// The user's list first: when it changed since seen, the record goes again and
	// nothing else is written (the provider session's list is not touched).
	link(subjectSessions, indexKey(rec.Iss, rec.Sub), seen)
	if changed {
		if err := sessionRecords.update(l.store, rec.SID, now, func(string, bool) mapUpdate { return mapUpdate{delete: true} }); err != nil {
			// Not linked from the user's list, so never counted or found by the user;
			// it expires with the session's lifetime.
			return then(fmt.Errorf("sid=%s: %w (and its record stays until it expires: %v)", rec.SID, errUserChanged, err))
		}
		return then(errUserChanged)
	}
	if rec.PSID != "" {
		link(providerSessions, indexKey(rec.Iss, rec.PSID), nil)
	}
	return then(errors.Join(errs...))
}

func (l *localSessions) update(rec sessionRecord, now time.Time, then func(error) Decision) Decision {
	// By compare-and-swap, keeping the clients the record holds (withClients): another
	// VM may have just written a first visit sent with the same cookie.
	gone := false
	err := sessionRecords.update(l.store, rec.SID, now, func(old string, found bool) mapUpdate {
		if gone = !found; gone {
			return mapUpdate{keep: true} // ended (errRecordGone)
		}
		merged := rec
		var was sessionRecord
		if found && jsonx.Unmarshal([]byte(old), &was) == nil {
			merged.Clients = withClients(rec.Clients, was.Clients)
		}
		raw, _ := jsonx.Marshal(&merged)
		return mapUpdate{value: string(raw), until: time.Unix(rec.Expires, 0)}
	})
	if err == nil && gone {
		err = errRecordGone
	}
	if err != nil {
		return then(fmt.Errorf("cannot update sid=%s: %w", rec.SID, err))
	}
	return then(nil)
}

func (l *localSessions) record(sid string, now time.Time) (sessionRecord, bool) {
	raw, ok, err := sessionRecords.get(l.store, sid, now)
	if err != nil || !ok {
		return sessionRecord{}, false
	}
	var r sessionRecord
	if jsonx.Unmarshal([]byte(raw), &r) != nil {
		return sessionRecord{}, false
	}
	r.version = localRecordVersion(raw, true)
	return r, true
}

func (l *localSessions) find(iss, psid, sub string, now time.Time, then func([]sessionRecord, error) Decision) Decision {
	var raw string
	var err error
	if psid != "" {
		raw, _, err = providerSessions.get(l.store, indexKey(iss, psid), now)
	} else {
		raw, _, err = subjectSessions.get(l.store, indexKey(iss, sub), now)
	}
	if err != nil {
		return then(nil, err)
	}
	return then(l.listed(raw, iss, psid, sub, now), nil)
}

// listed is the live records of a list's sids that match iss, psid and sub.
func (l *localSessions) listed(raw, iss, psid, sub string, now time.Time) []sessionRecord {
	var out []sessionRecord
	for _, sid := range strings.Fields(raw) {
		r, ok := l.record(sid, now)
		if !ok || r.Iss != iss || (psid != "" && r.PSID != psid) || (sub != "" && r.Sub != sub) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func (l *localSessions) forget(sid string, now time.Time, then func(error) Decision) Decision {
	err := sessionRecords.update(l.store, sid, now, func(string, bool) mapUpdate { return mapUpdate{delete: true} })
	return then(err)
}

// ofUser is find by the user: the list's dead members are pruned when the user's next
// session is linked (index), which follows a sign-in's ofUser.
func (l *localSessions) ofUser(iss, sub string, now time.Time, then func([]sessionRecord, *userRead, error) Decision) Decision {
	raw, _, err := subjectSessions.get(l.store, indexKey(iss, sub), now)
	if err != nil {
		return then(nil, nil, err)
	}
	return then(l.listed(raw, iss, "", sub, now), &userRead{list: raw}, nil)
}

// unlink does nothing: a list drops its dead members when it is next written (index).
func (l *localSessions) unlink(_ sessionRecord, _ time.Time, then func(error) Decision) Decision {
	return then(nil)
}

// localContexts keeps contexts in logoutContexts, and each session's list in
// contextsBySID to bound them per session.
type localContexts struct{ store Store }

func (l *localContexts) save(id, sid string, payload []byte, until, now time.Time, then func(error) Decision) Decision {
	if err := logoutContexts.put(l.store, id, string(payload), until, now); err != nil {
		return then(err)
	}
	if sid == "" {
		return then(nil)
	}
	// A failure to bound the session's contexts leaves one more context than the bound
	// until it expires: not fatal, the context itself was stored.
	var evict []string
	err := contextsBySID.update(l.store, sid, now, func(old string, _ bool) mapUpdate {
		ids := strings.Fields(old)
		ids = append(ids, id)
		evict = nil
		if n := len(ids) - maxContextsPerSession; n > 0 {
			evict, ids = ids[:n], ids[n:]
		}
		return mapUpdate{value: strings.Join(ids, " "), until: until}
	})
	if err != nil {
		return then(&boundError{fmt.Errorf("cannot bound the contexts of sid=%s: %w", sid, err)})
	}
	var errs []error
	for _, old := range evict {
		if err := logoutContexts.update(l.store, old, now, func(string, bool) mapUpdate { return mapUpdate{delete: true} }); err != nil {
			errs = append(errs, fmt.Errorf("cannot drop an old context of sid=%s: %w", sid, err))
		}
	}
	if len(errs) > 0 {
		return then(&boundError{errors.Join(errs...)})
	}
	return then(nil)
}

func (l *localContexts) load(id string, now time.Time, then func([]byte, bool, error) Decision) Decision {
	raw, ok, err := logoutContexts.get(l.store, id, now)
	if err != nil || !ok {
		return then(nil, false, err)
	}
	return then([]byte(raw), true, nil)
}

// boundError is a save whose context was stored but whose per-session bound could not
// be kept: the caller logs it and goes on.
type boundError struct{ err error }

func (b *boundError) Error() string { return b.err.Error() }
func (b *boundError) Unwrap() error { return b.err }

// localDeliveries keeps one job per map entry; claims and changes are compare-and-swap.
type localDeliveries struct {
	store   Store
	timeout time.Duration // the back-channel timeout, for job.keepUntil
}

func (l *localDeliveries) enqueue(job deliveryJob, now time.Time, then func(error) Decision) Decision {
	raw, _ := jsonx.Marshal(&job)
	return then(deliveries.put(l.store, newDeliveryJobID(), string(raw), job.keepUntil(l.timeout), now))
}

func (l *localDeliveries) claimDue(now time.Time, limit int, leaseUntil int64, landed func([]deliveryClaim, time.Time) []*Call, then func([]deliveryClaim, int64, error) Decision) Decision {
	entries, firstErr := deliveries.all(l.store, now)
	if firstErr != nil {
		firstErr = fmt.Errorf("cannot read the delivery queue: %w", firstErr)
	}
	nowMs := now.UnixMilli()
	var next int64
	var out []deliveryClaim
	for _, ent := range entries {
		if len(out) >= limit {
			next = nowMs
			break
		}
		var claimed []deliveryItem
		var job deliveryJob
		err := deliveries.update(l.store, ent.id, now, func(old string, found bool) mapUpdate {
			claimed = claimed[:0]
			job = deliveryJob{}
			if !found || jsonx.Unmarshal([]byte(old), &job) != nil {
				return mapUpdate{keep: true}
			}
			for i := range job.Items {
				it := &job.Items[i]
				if it.Due > nowMs || it.Lease > nowMs || len(out)+len(claimed) >= limit {
					continue
				}
				it.Lease = leaseUntil
				claimed = append(claimed, *it)
			}
			if len(claimed) == 0 {
				return mapUpdate{keep: true}
			}
			raw, _ := jsonx.Marshal(&job)
			return mapUpdate{value: string(raw), until: time.Unix(ent.until, 0)}
		})
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("cannot claim deliveries: %w", err)
			}
			continue
		}
		for _, it := range claimed {
			out = append(out, deliveryClaim{jobID: ent.id, job: job, item: it})
		}
		for _, it := range job.Items {
			at := max(it.Due, it.Lease)
			if next == 0 || at < next {
				next = at
			}
		}
	}
	// One synchronous write: every claim lands now, its calls go out with then's.
	d := then(out, next, firstErr)
	if landed != nil && len(out) > 0 {
		d.Background = append(landed(out, now), d.Background...)
	}
	return d
}

func (l *localDeliveries) finish(jobID, client string, now time.Time, change func(*deliveryItem) bool, then func(error) Decision) Decision {
	err := deliveries.update(l.store, jobID, now, func(old string, found bool) mapUpdate {
		var job deliveryJob
		if !found || jsonx.Unmarshal([]byte(old), &job) != nil {
			return mapUpdate{keep: true}
		}
		items := job.Items[:0]
		for _, it := range job.Items {
			if it.Client == client && change(&it) {
				continue
			}
			items = append(items, it)
		}
		if len(items) == 0 {
			return mapUpdate{delete: true}
		}
		job.Items = items
		raw, _ := jsonx.Marshal(&job)
		return mapUpdate{value: string(raw), until: job.keepUntil(l.timeout)}
	})
	return then(err)
}
