package core

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// The barrier: a sign-out is a promise that every replica refuses the session from the
// moment it is reported. etcd acknowledging the revocation at revision R makes this
// Envoy refuse it at once (its copy and shared data); the other replicas refuse it once
// their follow has read past R. So before a sign-out is reported (revoke and end call
// barrier before their continuation), the VM reads the members' records
// (store_etcd_members.go) and goes on only when every OTHER member's record says R or
// later, or is gone (its lease ended: a dead replica), or has not changed for
// memberLiveness across this VM's reads (dead, or cut off from etcd: a cut-off replica is
// governed by stale_after, the outage policy; passing it over is logged once).
//
// Waiting costs no busy loop: the VM reads the members, and when someone is behind the
// request waits (Decision.Wait) for the next tick, which is short meanwhile
// (Engine.TickPeriod); one read is in flight per VM at a time, at most one per
// barrierPoll, and every barrier waiting on the VM uses its answers. A member not in a
// read made after R was acknowledged wrote its first record after that read, and its
// copy is loaded from later still (store_etcd_members.go: each VM writes the record
// before its first load, announce). If etcd cannot be read, or the
// bound (barrierBound) passes first, the sign-out is durable in etcd but not known to
// have reached everyone: the error wraps errOutcomeUnknown, which every flow reports
// as "not confirmed" (its retry finds the session ended and waits again).

const (
	barrierPoll  = 50 * time.Millisecond // the shortest time between two reads of the members by a VM
	barrierBound = memberLiveness + time.Second
)

var errBarrierUnread = errors.New("store etcd: the sign-out is in etcd, but the replicas' acknowledgements could not be read")

// memberView is the VM's last read of the members' records.
type memberView struct {
	sentAt   time.Time        // when the read was sent (zero: never)
	revision int64            // etcd's revision when it answered
	acked    map[string]int64 // member id -> the revision its record says
	err      error            // the read failed
}

// memberSeen is how long this VM has seen a member's record unchanged: the same
// mod_revision read at since and, last, at last (both on this VM's clock).
type memberSeen struct {
	modRevision int64
	since, last time.Time
	logged      bool // passing it over was logged
}

// barrier calls then(nil) once every other member has acknowledged rev (see above), or
// then(err) when that cannot be known; started is when the sign-out's write was
// acknowledged. own says this Envoy's own record must reach rev too: its other VMs were
// not told through shared data (revokedHere failed), or the revocation was made before
// (settled), so they refuse it only once the Envoy's follow has shared it, which the
// record claims (store_etcd_members.go).
func (b *etcdBackend) barrier(rev int64, started time.Time, own bool, then func(error) Decision) Decision {
	deadline := started.Add(barrierBound)
	b.waiting++
	b.waitingUntil = maxTime(b.waitingUntil, deadline)
	finish := func(err error) Decision {
		if b.waiting > 0 {
			b.waiting--
		}
		return then(err)
	}
	// read says this barrier has had a read of its own made (the view may come from
	// another barrier's read, before this revocation); last that it made its last one,
	// at or after the deadline. Neither lets a read be followed by another at once, so
	// no answer (not even etcd restored from an older backup, answering below rev for
	// good) can make a loop of reads.
	var read, last bool
	var step func(now time.Time) Decision
	again := func(now time.Time) Decision {
		read = true
		return b.readMembers(now, func() Decision { return step(now) })
	}
	step = func(now time.Time) Decision {
		v := &b.view
		// A read made after the revocation was acknowledged (and not after now: a clock
		// that went back makes nothing of what was read "later").
		fresh := !v.sentAt.Before(started) && !v.sentAt.After(now)
		if fresh {
			if v.err != nil {
				return finish(fmt.Errorf("%w: %w: %w", errOutcomeUnknown, errBarrierUnread, v.err))
			}
			if v.revision >= rev && !b.settlingAfterLoss(now) && b.barrierPassed(rev, now, own) {
				return finish(nil)
			}
		}
		inFlight := b.viewReading && now.Before(b.viewReadingUntil)
		if !now.Before(deadline) {
			if !last && !inFlight {
				// One last read, after the deadline: a member silent until then is
				// judged on it.
				last = true
				return again(now)
			}
			if !last {
				return Decision{Wait: &Wait{Then: step}}
			}
			behind := b.membersBehind(rev, own)
			b.log(fmt.Sprintf("exeunt: store etcd: a sign-out at revision %d was not acknowledged within %s by %s; reported as not confirmed",
				rev, fmtDuration(barrierBound), behind))
			return finish(fmt.Errorf("%w: store etcd: the sign-out is in etcd, but %s did not acknowledge it within %s",
				errOutcomeUnknown, behind, fmtDuration(barrierBound)))
		}
		// Read at once when the view says nothing of this revocation yet (made before it,
		// or before its write), then at most once every barrierPoll.
		due := !fresh || now.Sub(v.sentAt) >= barrierPoll || v.revision < rev
		if due && !inFlight && !(read && v.sentAt.Equal(now)) {
			return again(now)
		}
		return Decision{Wait: &Wait{Then: step}}
	}
	return step(started)
}

// barrierPassed says whether no other member (nor this one, with own) is behind rev in
// the VM's view (a silent one is passed over, and logged once).
func (b *etcdBackend) barrierPassed(rev int64, now time.Time, own bool) bool {
	self := b.ownMemberID()
	var silent []string
	for id, acked := range b.view.acked {
		if id == self && !own || acked >= rev {
			continue
		}
		s := b.seen[id]
		if s.last.Sub(s.since) <= memberLiveness {
			return false
		}
		silent = append(silent, id)
	}
	for _, id := range silent {
		s := b.seen[id]
		if !s.logged {
			s.logged = true
			b.seen[id] = s
			b.log(fmt.Sprintf("exeunt: store etcd: sign-outs no longer wait for replica %s: its member record has not changed since %s (dead, or cut off from etcd: then it refuses signed-in requests once its copy is older than stale_after)",
				id, s.since.UTC().Format(time.RFC3339)))
		}
	}
	return true
}

// membersBehind names the members that have not acknowledged rev, for a log line.
func (b *etcdBackend) membersBehind(rev int64, own bool) string {
	self := b.ownMemberID()
	var ids []string
	for id, acked := range b.view.acked {
		if (id != self || own) && acked < rev {
			ids = append(ids, fmt.Sprintf("%s (at %d)", id, acked))
		}
	}
	if len(ids) == 0 {
		return "no member seen by a read since (etcd did not answer)"
	}
	return "replica " + fmt.Sprint(ids)
}

// readMembers reads every member's record into the VM's view, then goes on with next.
func (b *etcdBackend) readMembers(now time.Time, next func() Decision) Decision {
	key, end, err := b.layout.Space("members")
	if err != nil {
		b.view = memberView{sentAt: now, err: err}
		return next()
	}
	b.viewReading, b.viewReadingUntil = true, now.Add(b.set.Timeout+barrierPoll)
	return b.rangeKeys(etcdv3.RangeRequest{Key: key, RangeEnd: end}, func(resp *etcdv3.RangeResponse, err error) Decision {
		b.viewReading = false
		if err != nil {
			b.view = memberView{sentAt: now, err: err}
			b.blindAt = maxTime(b.blindAt, b.clock(now))
			return next()
		}
		if !b.unreachableSince.IsZero() || b.staleLogged {
			// This VM's follows are failing, or have not succeeded since they failed:
			// it cannot tell a silent member from its own view of an etcd that was down.
			b.blindAt = maxTime(b.blindAt, now)
		}
		if resp.Header.Revision < b.revision {
			// Below what this VM followed to: etcd lost its history, maybe before this
			// Envoy's follow has found out (store_etcd_members.go, settlingAfterLoss).
			b.markHistoryLost(now)
		}
		v := memberView{sentAt: now, revision: resp.Header.Revision, acked: make(map[string]int64, len(resp.Kvs))}
		seen := make(map[string]memberSeen, len(resp.Kvs))
		for _, kv := range resp.Kvs {
			space, parts, perr := b.layout.Parse(kv.Key)
			acked, nerr := strconv.ParseInt(string(kv.Value), 10, 64)
			if perr != nil || space != "members" || len(parts) != 1 {
				continue // not a record of ours
			}
			if nerr != nil || acked >= kv.ModRevision {
				// A record that says nothing readable acknowledges nothing; nor does one
				// that claims a revision at or past its own write's, which no replica
				// following this etcd can have read before writing it: a claim on a
				// history etcd lost (its data gone, or restored from an older backup).
				acked = 0
			}
			v.acked[parts[0]] = acked
			s, ok := b.seen[parts[0]]
			if !ok || s.modRevision != kv.ModRevision || s.since.Before(b.blindAt) {
				// Unchanged across a time this VM saw etcd not answer says nothing of the
				// member: its record could not change then (an etcd outage longer than
				// memberLiveness made every live replica look dead to the first barrier
				// after it). Its silence is counted from this read.
				s = memberSeen{modRevision: kv.ModRevision, since: now}
			}
			s.last = now
			seen[parts[0]] = s
		}
		b.view, b.seen = v, seen // members gone from etcd are forgotten
		return next()
	})
}

// settled is the barrier for a revocation made before (by another flow, maybe on
// another replica, maybe never confirmed): at the revision etcd last changed it.
func (b *etcdBackend) settled(sid string, now time.Time, then func(error) Decision) Decision {
	key, err := b.key("revoked", sid)
	if err != nil {
		return then(err)
	}
	return b.rangeKeys(etcdv3.RangeRequest{Key: key}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return then(fmt.Errorf("%w: store etcd: reading the revocation of sid=%s: %w", errOutcomeUnknown, sid, err))
		}
		if len(resp.Kvs) == 0 {
			// Not in etcd: ended in this Envoy's shared data only, or gone with its lease
			// (the session's own end passed, so every replica refuses its cookie anyway).
			return then(nil)
		}
		return b.barrier(resp.Kvs[0].ModRevision, now, true, then)
	})
}

// urgent says whether a barrier waits on this VM: the engine then ticks often.
func (b *etcdBackend) urgent(now time.Time) bool {
	if b.waiting > 0 && !now.Before(b.waitingUntil) {
		b.waiting = 0 // waits whose requests went away (their streams ended) are over
	}
	return b.waiting > 0
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
