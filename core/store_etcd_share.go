package core

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// One follow per Envoy, not per VM (issue 14: shared data becomes the cache). Every VM
// (Envoy worker) of an Envoy on the etcd store could follow etcd itself, and did: an
// Envoy with N workers then polled etcd N times per follow period, each poll a read of
// the whole revocation space. Instead, after its own first load, a VM follows only when
// the Envoy's last follow is a follow period old and no other VM of the Envoy is at it;
// the follower writes what it read to the Envoy's shared data (the revocations every
// VM's check reads after its own copy) and then stamps, in shared data, the time its
// follow started and the revision it reached. The other VMs adopt that stamp on their
// ticks: it is what their staleness bound counts from.
//
// Shared data holds every revocation put after the stamp's base revision up to its
// revision: the stamp is published only once what the follow read is there, and a follow
// that starts past the stamp's revision (a gap shared data lacks) moves the base up to
// where it started. A VM adopts a stamp only when its own copy reaches the base (its own
// revision is at least the base), so it misses nothing: up to its revision its copy has
// it, after it shared data has it. A VM that cannot adopt follows etcd itself. A VM's
// first load (at start) is its own, and is written to shared data too (base 0): a VM that
// loaded earlier, at a lower revision, refuses what the later load read, so the Envoy's
// member record can claim the stamp's revision for every VM (store_etcd_members.go).
//
// The one shared key per key prefix holds "<stamp ms> <revision> <base> <claimed until
// ms>": the claim keeps two VMs from following at once (it lapses after a call's timeout
// and a period, should its VM never answer), compare-and-swap keeps the writes whole.

// followShare is the Envoy's follow state in shared data.
type followShare struct {
	stampMs, revision, base, claimedUntilMs int64
}

func (b *etcdBackend) shareKey() string { return "exeunt/etcd-follow" + b.layout.Prefix() }

func (b *etcdBackend) readShare() (followShare, uint32, error) {
	raw, version, err := b.sharedStore.Get(b.shareKey())
	if errors.Is(err, ErrNotFound) {
		return followShare{}, 0, nil
	}
	if err != nil {
		return followShare{}, 0, err
	}
	f := strings.Fields(string(raw))
	var s followShare
	if len(f) == 4 {
		s.stampMs, _ = strconv.ParseInt(f[0], 10, 64)
		s.revision, _ = strconv.ParseInt(f[1], 10, 64)
		s.base, _ = strconv.ParseInt(f[2], 10, 64)
		s.claimedUntilMs, _ = strconv.ParseInt(f[3], 10, 64)
	}
	return s, version, nil
}

func (b *etcdBackend) writeShare(s followShare, version uint32) error {
	v := fmt.Sprintf("%d %d %d %d", s.stampMs, s.revision, s.base, s.claimedUntilMs)
	return b.sharedStore.Set(b.shareKey(), []byte(v), version)
}

// leadFollow says whether this VM should follow now: it adopts a newer stamp of the
// Envoy's, and claims the follow when the Envoy's last one is a period old and no other
// VM holds it.
func (b *etcdBackend) leadFollow(now time.Time) bool {
	s, version, err := b.readShare()
	if err != nil {
		return true // shared data unreadable: follow alone, as without sharing
	}
	if s.stampMs > b.lastFollow.UnixMilli() {
		if b.revision < s.base {
			return true // shared data lacks what came between this copy and the base
		}
		b.adopt(s)
	}
	nowMs := now.UnixMilli()
	if nowMs-s.stampMs < b.set.FollowEvery.Milliseconds() || s.claimedUntilMs > nowMs {
		return false
	}
	s.claimedUntilMs = nowMs + (b.set.Timeout + b.set.FollowEvery).Milliseconds()
	return b.writeShare(s, version) == nil // a conflict: another VM claimed it first
}

// adopt takes another VM's follow as this VM's: the revocations it read are in shared
// data, so this copy is as fresh as its stamp.
func (b *etcdBackend) adopt(s followShare) {
	at := time.UnixMilli(s.stampMs)
	if !b.unreachableSince.IsZero() || b.staleLogged {
		b.log(fmt.Sprintf("exeunt: store etcd: reachable again after %s (followed by another worker), caught up to revision %d",
			at.Sub(b.outageSince()).Round(time.Millisecond), s.revision))
	}
	// The stamp's revision even when below this copy's: re-reading from it costs a read,
	// and after etcd lost its history it is the only one that belongs to the new one
	// (a revision kept from the lost one made this VM take every read of the members as
	// etcd going back again, barrier.go).
	if !b.lastFollow.IsZero() && at.Sub(b.lastFollow) > memberLiveness {
		// No follow for longer than the barrier's liveness window, though this VM never
		// led a failing one: etcd was not answering (blindAt, store_etcd_barrier.go).
		b.blindAt = maxTime(b.blindAt, at)
	}
	b.lastFollow, b.revision = at, s.revision
	b.unreachableSince, b.staleLogged = time.Time{}, false
}

// shareFollow writes the revocations a follow read to shared data, then stamps the
// follow; started is when it started. A revocation that cannot be written leaves the
// stamp as it was, so the other VMs go stale and follow themselves rather than miss it.
// It returns false when the stamp does not cover what was read: the caller then reads
// that range again, so that no VM's copy gets ahead of the stamp (which would move the
// base up) and the stamp's revision, which the member record claims, never passes what
// shared data lacks.
func (b *etcdBackend) shareFollow(read map[string]int64, since int64, started time.Time) bool {
	now := started
	for sid, until := range read {
		var err error
		b.shared.revoke(sid, time.UnixMilli(until), now, func(e error) Decision { err = e; return Continue() })
		if err != nil {
			b.log(fmt.Sprintf("exeunt: store etcd: cannot share the revocations with this Envoy's other workers (they will follow etcd themselves): %v", err))
			b.releaseFollow()
			return false
		}
	}
	for attempt := 0; attempt < 10; attempt++ {
		s, version, err := b.readShare()
		if err != nil {
			return false
		}
		if s.stampMs >= started.UnixMilli() && s.revision >= b.revision {
			return true
		}
		// Shared data now also holds (since, b.revision]: the base stays where it was when
		// that joins what it held, else it moves up to since.
		if s.stampMs == 0 || since > s.revision {
			s.base = since
		} else {
			s.base = min(s.base, since)
		}
		s.stampMs, s.revision, s.claimedUntilMs = started.UnixMilli(), b.revision, 0
		if err := b.writeShare(s, version); err == nil || !errors.Is(err, ErrConflict) {
			return err == nil
		}
	}
	return false
}

// coveredRevision is the etcd revision up to which every loaded VM of this Envoy refuses
// what was revoked: this VM's copy alone without shared data; with it, the stamp's
// revision (each VM's copy reaches the base, 0 since first loads are shared, and shared
// data holds the rest), or 0 when shared data cannot say or a base above 0 leaves a VM
// that loaded below it uncovered (then the record claims nothing new: fail closed).
func (b *etcdBackend) coveredRevision() int64 {
	if b.sharedStore == nil {
		return b.revision
	}
	s, _, err := b.readShare()
	if err != nil || s.base > 0 {
		return 0
	}
	return s.revision
}

// releaseFollow drops this VM's claim after a failed follow, so that another VM may try
// on its next tick.
func (b *etcdBackend) releaseFollow() {
	if s, version, err := b.readShare(); err == nil && s.claimedUntilMs != 0 {
		s.claimedUntilMs = 0
		_ = b.writeShare(s, version)
	}
}

// The delivery queue is read the same way: once per follow period per Envoy rather than
// on every VM's tick. After reading the queue, a VM stamps in shared data when it did
// and when the earliest item it saw falls due ("<read ms> <next due ms>"); another VM
// skips its own read while that stamp is less than a period old and nothing is due yet.
// A job queued by this Envoy clears the stamp, so the next tick reads the queue at once;
// anything else (a retry rescheduled, a job queued by another replica) waits at most a
// period, as it would for the tick that reads it.

func (b *etcdBackend) queueKey() string { return "exeunt/etcd-queue" + b.layout.Prefix() }

// queueReadRecently reports, with sharing on, whether another VM of this Envoy read the
// queue less than a period ago and nothing was due then; next is when something is.
func (b *etcdBackend) queueReadRecently(now time.Time) (next int64, recent bool) {
	if b.sharedStore == nil {
		return 0, false
	}
	raw, _, err := b.sharedStore.Get(b.queueKey())
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(raw))
	if len(f) != 2 {
		return 0, false
	}
	readMs, err1 := strconv.ParseInt(f[0], 10, 64)
	next, err2 := strconv.ParseInt(f[1], 10, 64)
	nowMs := now.UnixMilli()
	if err1 != nil || err2 != nil || nowMs-readMs >= b.set.FollowEvery.Milliseconds() || readMs > nowMs || (next != 0 && next <= nowMs) {
		return 0, false
	}
	return next, true
}

// queueRead stamps a read of the queue (readMs 0: read it at the next tick).
func (b *etcdBackend) queueRead(readMs, next int64) {
	if b.sharedStore == nil {
		return
	}
	for attempt := 0; attempt < 5; attempt++ {
		_, version, err := b.sharedStore.Get(b.queueKey())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return
		}
		if err := b.sharedStore.Set(b.queueKey(), []byte(fmt.Sprintf("%d %d", readMs, next)), version); !errors.Is(err, ErrConflict) {
			return
		}
	}
}

// The Envoy's membership of the fleet (store_etcd_members.go) is kept here too, so that
// its VMs write one member record between them.

func (b *etcdBackend) memberKey() string { return "exeunt/etcd-member" + b.layout.Prefix() }

// readMember returns the Envoy's membership (its version, for writeMember); without
// shared data, the VM's own.
func (b *etcdBackend) readMember() (memberState, uint32) {
	if b.sharedStore == nil {
		return b.member, 0
	}
	raw, version, err := b.sharedStore.Get(b.memberKey())
	if err != nil {
		return memberState{}, 0
	}
	f := strings.Fields(string(raw))
	var s memberState
	if len(f) == 5 {
		s.id = f[0]
		s.lease, _ = strconv.ParseInt(f[1], 10, 64)
		s.leaseAtMs, _ = strconv.ParseInt(f[2], 10, 64)
		s.writtenAtMs, _ = strconv.ParseInt(f[3], 10, 64)
		s.writtenRev, _ = strconv.ParseInt(f[4], 10, 64)
	}
	return s, version
}

// writeMember replaces the membership if version is still current (false: another VM
// changed it first).
func (b *etcdBackend) writeMember(s memberState, version uint32) bool {
	if b.sharedStore == nil {
		b.member = s
		return true
	}
	v := fmt.Sprintf("%s %d %d %d %d", s.id, s.lease, s.leaseAtMs, s.writtenAtMs, s.writtenRev)
	return b.sharedStore.Set(b.memberKey(), []byte(v), version) == nil
}

// After etcd lost its history, the other replicas' records are gone with it until each
// writes its own again, after its next follow, which reloads its copy; a barrier that
// read the members meanwhile took an absent record for a dead replica (or one not yet
// loaded) and passed, while that replica still served from its old copy, which lacks the
// sign-out. So for memberLiveness after this Envoy found etcd behind it (a follow, or a
// read of the members, answered below the revision it had followed to), a barrier does
// not pass: every replica that follows has by then reloaded and written its record, and
// one that has not is passed over after as long in any case.

func (b *etcdBackend) lostKey() string { return "exeunt/etcd-lost" + b.layout.Prefix() }

// markHistoryLost records, for every VM of this Envoy, that etcd was found behind it now.
func (b *etcdBackend) markHistoryLost(now time.Time) {
	ms := now.UnixMilli()
	b.lostAtMs = max(b.lostAtMs, ms)
	if b.sharedStore != nil {
		_ = b.sharedStore.Set(b.lostKey(), strconv.AppendInt(nil, ms, 10), 0)
	}
}

// settlingAfterLoss says whether a barrier must not pass yet at now (see above).
func (b *etcdBackend) settlingAfterLoss(now time.Time) bool {
	at := b.lostAtMs
	if b.sharedStore != nil {
		if raw, _, err := b.sharedStore.Get(b.lostKey()); err == nil {
			if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				at = max(at, ms)
			}
		}
	}
	return at != 0 && now.UnixMilli() < at+memberLiveness.Milliseconds()
}
