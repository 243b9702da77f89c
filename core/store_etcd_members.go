package core

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
	"github.com/exeunt/exeunt/core/oidc"
)

// Members: each Envoy of a fleet (a replica; its VMs share one follow of etcd,
// store_etcd_share.go) keeps a record in etcd, members/<envoy id>, whose value is the etcd
// revision its copy of the revocations has reached. A sign-out waits for the other
// members' records to reach its own revision before it is reported (the barrier,
// store_etcd_barrier.go). The record is written by whichever VM of the Envoy followed:
//
//   - after a follow that read at least one revocation (so it acknowledges promptly);
//     never because anything else changed in etcd: the acknowledgements live outside the
//     revoked/ space, so one replica's acknowledgement never makes another acknowledge;
//   - before each VM's first load (announce), and after it, when the record does not
//     say as much yet;
//   - and after any follow when the last write is memberHeartbeat old: the heartbeat,
//     whose new mod_revision tells the other replicas that this one is alive.
//
// A replica whose follows fail writes nothing, so it falls silent. The record is on a
// lease of its own (memberLeaseTTL, renewed with a keepalive every memberLeaseRenew), so
// a dead replica's record goes by itself; a barrier does not wait for that, it passes over
// a record that has not changed for memberLiveness.
//
// The id is one per Envoy process, made by its first VM and kept in shared data with the
// lease and the last write ("<id> <lease> <lease renewed ms> <written ms> <revision>"),
// so the Envoy's VMs write one record between them: one heartbeat a second per replica,
// however many workers it has.

const (
	memberHeartbeat  = time.Second     // the longest time between two writes of a live member's record
	memberLiveness   = 3 * time.Second // a record unchanged that long is passed over (dead or cut off)
	memberLeaseTTL   = 10              // seconds: how long a dead member's record outlives it, at most about
	memberLeaseRenew = 3 * time.Second // how often the lease is renewed (a keepalive, not a raft write)
)

// memberState is this Envoy's membership, shared by its VMs.
type memberState struct {
	_                       noCompare
	id                      string
	lease, leaseAtMs        int64
	writtenAtMs, writtenRev int64
}

// ownMemberID is this Envoy's member id ("" before it first wrote its record).
func (b *etcdBackend) ownMemberID() string {
	s, _ := b.readMember()
	return s.id
}

// acknowledge writes this Envoy's member record after a successful follow when it is due
// (see above); read says the follow read a revocation, firstLoad that it was this VM's
// first load. Its Decision carries the calls (in the background of the follow).
func (b *etcdBackend) acknowledge(now time.Time, read, firstLoad bool) Decision {
	return b.writeRecord(now, read, firstLoad, false, func(error) Decision { return Continue() })
}

// announce writes this Envoy's record before each VM's first load (claiming what the
// loaded VMs cover: nothing, before any), then goes on with next (err: it could not be
// written, or another VM was writing it: the next tick tries again). A sign-out whose
// barrier read the members before the record existed was acknowledged by etcd before
// the load's read, so the load has it; one whose barrier reads after waits for the
// record to pass it. Written only after the load, the record left a gap of one round
// trip in which a sign-out was waited for by nobody and served here until the next follow.
func (b *etcdBackend) announce(now time.Time, next func(error) Decision) Decision {
	return b.writeRecord(now, true, false, true, next)
}

var errRecordBusy = errors.New("store etcd: another worker of this Envoy is writing its member record")

// writeRecord is acknowledge, going on with next once the write is done (or not due);
// announcing, it writes or fails (next(err)), never skips.
func (b *etcdBackend) writeRecord(now time.Time, read, firstLoad, announcing bool, next func(error) Decision) Decision {
	if b.acking && now.Before(b.ackingUntil) {
		if announcing {
			return next(errRecordBusy)
		}
		return next(nil) // one write at a time per VM; the next follow tries again
	}
	s, version := b.readMember()
	nowMs := now.UnixMilli()
	due := read || (firstLoad && s.writtenRev < b.revision) || nowMs-s.writtenAtMs >= memberHeartbeat.Milliseconds()
	if !due {
		return next(nil)
	}
	if s.id == "" {
		s.id = oidc.RandomID(9)
	}
	// What every VM of this Envoy refuses, not just this one (coveredRevision): a record
	// ahead of a VM's copy would let another replica's barrier pass while that VM serves.
	rev := max(b.coveredRevision(), s.writtenRev)
	renew := s.lease == 0 || nowMs-s.leaseAtMs >= memberLeaseRenew.Milliseconds()
	if renew {
		s.leaseAtMs = nowMs
	}
	s.writtenAtMs, s.writtenRev = nowMs, rev
	if !b.writeMember(s, version) {
		if announcing {
			return next(errRecordBusy)
		}
		return next(nil) // another VM of this Envoy is at it
	}
	key, err := b.key("members", s.id)
	if err != nil {
		b.log("exeunt: store etcd: " + err.Error())
		return next(err)
	}
	b.acking, b.ackingUntil = true, now.Add(b.set.Timeout*3)
	done := func(err error) Decision {
		b.acking = false
		if err != nil {
			b.memberWriteFailed(err)
		} else if b.memberFailLogged {
			b.memberFailLogged = false
			b.log("exeunt: store etcd: this replica's member record is written again")
		}
		return next(err)
	}
	put := func(lease int64, then func(error) Decision) Decision {
		return b.put(etcdv3.PutRequest{Key: key, Value: strconv.AppendInt(nil, rev, 10), Lease: lease}, then)
	}
	grant := func() Decision {
		return b.call(&etcdv3.LeaseGrantRequest{TTL: memberLeaseTTL}, func(status int, body []byte, err error) Decision {
			var resp *etcdv3.LeaseGrantResponse
			if err == nil {
				resp, err = b.gw.ParseLeaseGrant(status, body)
			}
			if err != nil {
				return done(fmt.Errorf("granting the member record's lease: %w", err))
			}
			b.setMemberLease(resp.ID, nowMs)
			return put(resp.ID, done)
		})
	}
	if s.lease == 0 {
		return grant()
	}
	lease := s.lease
	write := func() Decision {
		return put(lease, func(err error) Decision {
			if errors.Is(err, etcdv3.ErrLeaseNotFound) {
				return grant()
			}
			return done(err)
		})
	}
	if !renew {
		return write()
	}
	return b.call(&etcdv3.LeaseKeepAliveRequest{ID: lease}, func(status int, body []byte, err error) Decision {
		if err == nil {
			_, err = b.gw.ParseLeaseKeepAlive(status, body)
		}
		if errors.Is(err, etcdv3.ErrLeaseNotFound) {
			return grant()
		}
		if err != nil {
			return done(fmt.Errorf("renewing the member record's lease: %w", err))
		}
		return write()
	})
}

// setMemberLease records a newly granted lease for the Envoy's record.
func (b *etcdBackend) setMemberLease(lease, atMs int64) {
	for attempt := 0; attempt < 5; attempt++ {
		s, version := b.readMember()
		s.lease, s.leaseAtMs = lease, atMs
		if b.writeMember(s, version) {
			return
		}
	}
}

// memberWriteFailed makes the next follow write the record again; the failure itself is
// counted with the calls (exeunt.store.etcd.calls_failed) and logged at most once per
// change of state.
func (b *etcdBackend) memberWriteFailed(err error) {
	for attempt := 0; attempt < 5; attempt++ {
		s, version := b.readMember()
		s.writtenAtMs = 0
		if b.writeMember(s, version) {
			break
		}
	}
	if !b.memberFailLogged {
		b.memberFailLogged = true
		b.log(fmt.Sprintf("exeunt: store etcd: cannot write this replica's member record (other replicas' sign-outs wait for it, then pass over it): %v", err))
	}
}

// historyLost drops what this Envoy claimed of etcd's history when a follow finds etcd
// behind it (its data lost, or restored from an older backup: revisions start again
// below the ones followed). The member record claims the largest revision it ever
// claimed (writeRecord never moves it back), so it went on claiming the lost history's
// revision on the new one, above every sign-out made there, and other replicas' barriers
// passed on it before this Envoy had read those sign-outs. Its claim and the follow
// stamp (coveredRevision) go back to 0 here, before the reload; the reload's
// acknowledgement claims what it read of the new history. The time is kept for the
// barrier (lostHistoryAt).
func (b *etcdBackend) historyLost(now time.Time) {
	b.markHistoryLost(now)
	for attempt := 0; attempt < 5; attempt++ {
		s, version := b.readMember()
		s.writtenRev, s.writtenAtMs = 0, 0
		if b.writeMember(s, version) {
			break
		}
	}
	if b.sharedStore == nil {
		return
	}
	for attempt := 0; attempt < 5; attempt++ {
		s, version, err := b.readShare()
		if err != nil {
			return
		}
		s.revision, s.base = 0, 0
		if b.writeShare(s, version) == nil {
			return
		}
	}
}
