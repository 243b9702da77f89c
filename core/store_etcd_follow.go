package core

import (
	"errors"
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Revocations on etcd: a revocation is a put of revoked/<sid> (its value the session's
// end) on a lease, acknowledged by etcd before the flow goes on; every replica keeps a
// copy of them all, filled by following the space by revision on ticks (etcdv3
// ChangesSince), and the per-request check reads only that copy. Revocations are only
// ever added, so a follower never needs to see a deletion: it drops its copy of an entry
// once the entry's own end has passed.

// followPage is how many changed keys one follow call reads at most.
const followPage = 1000

var (
	errRevocationsNotLoaded = errors.New("store etcd: the revocations have not been loaded from etcd yet")
	errRevocationsStale     = errors.New("store etcd: the copy of the revocations is older than the staleness bound (etcd unreachable?)")
)

type etcdRevocations struct{ b *etcdBackend }

// isRevoked fails (closed) until the first follow completed, and once the last
// successful follow is older than StaleAfter: a copy that may miss a sign-out made
// elsewhere is no answer.
func (r *etcdRevocations) isRevoked(sid string, now time.Time) (bool, error) {
	b := r.b
	if err := b.ready(now); err != nil {
		return false, err
	}
	if b.revoked[sid] > now.UnixMilli() {
		return true, nil
	}
	if b.shared != nil { // revoked by another VM of this Envoy since this VM's last follow
		return b.shared.isRevoked(sid, now)
	}
	return false, nil
}

// ready is why this VM cannot check a session now, or nil when it can: isRevoked's
// refusal, and the readiness check's answer (health.go), from one place.
func (b *etcdBackend) ready(now time.Time) error {
	if !b.loaded {
		return errRevocationsNotLoaded
	}
	if now.Sub(b.lastFollow) > b.set.StaleAfter {
		return errRevocationsStale
	}
	return nil
}

func (r *etcdRevocations) revoke(sid string, until, now time.Time, then func(error) Decision) Decision {
	b := r.b
	key, err := b.key("revoked", sid)
	if err != nil {
		return then(err)
	}
	var rev int64
	return b.withLease(until, now, func(lease int64, done func(error) Decision) Decision {
		return b.call(&etcdv3.PutRequest{Key: key, Value: untilValue(until, nil), Lease: lease}, func(status int, body []byte, err error) Decision {
			var resp *etcdv3.PutResponse
			if err == nil {
				resp, err = b.gw.ParsePut(status, body)
				err = writeOutcome(status, body, err)
			}
			if err == nil {
				rev = resp.Header.Revision
			}
			return done(err)
		})
	}, func(err error) Decision {
		if err != nil {
			return then(fmt.Errorf("store etcd: cannot revoke sid=%s: %w", sid, err))
		}
		// Acknowledged by etcd: this VM refuses the session at once, the other VMs of this
		// Envoy too (through shared data), the other replicas once they have followed
		// past rev, which the barrier waits for.
		return b.revokedHere(sid, until, now, func(told bool) Decision {
			return b.barrier(rev, now, !told, func(err error) Decision {
				if err != nil {
					return then(fmt.Errorf("store etcd: revoked sid=%s: %w", sid, err))
				}
				return then(nil)
			})
		})
	})
}

// revokedHere makes this VM, and the other VMs of this Envoy through shared data, refuse
// sid at once: etcd has the revocation. next learns whether the other VMs were told (or
// there are none to tell); when not, the barrier waits for this Envoy's record as well.
func (b *etcdBackend) revokedHere(sid string, until, now time.Time, next func(told bool) Decision) Decision {
	b.revoked[sid] = max(b.revoked[sid], until.UnixMilli())
	if b.shared == nil {
		return next(true)
	}
	return b.shared.revoke(sid, until, now, func(err error) Decision {
		if err != nil { // durable in etcd all the same: the other VMs follow it
			b.log(fmt.Sprintf("exeunt: store etcd: revoked sid=%s, but could not tell this Envoy's other VMs at once (they will on their next follow; the sign-out waits for that): %v", sid, err))
		}
		return next(err == nil)
	})
}

// end is one transaction: if revoked/<sid> does not exist and session/<sid> is at the
// mod_revision seen (0: absent; not compared for anyRecord), put revoked/<sid>, delete
// session/<sid> and put delivery/<sid> (the job, on a lease of its own), all at one
// revision; else read both, and do nothing. So a sign-out whose answer was lost is either
// wholly applied (late, maybe: then its notices are queued too, and any replica's tick
// delivers them) or not at all, and repeating it never queues twice; and a first visit's
// update that landed after the record was read makes it do nothing (ended.moved, with the
// record read in the same transaction: endRecorded tries again with its clients).
func (r *etcdRevocations) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	b := r.b
	revKey, err := b.key("revoked", sid)
	var recKey, jobKey []byte
	if err == nil {
		recKey, err = b.key("session", sid)
	}
	if err == nil {
		jobKey, err = b.key("delivery", sid)
	}
	if err != nil {
		return then(ended{}, err)
	}
	var already, moved bool
	var current sessionRecord
	var rev int64
	write := func(lease, jobLease int64, done func(error) Decision) Decision {
		ops := []etcdv3.TxnOp{{Put: &etcdv3.PutRequest{Key: revKey, Value: untilValue(until, nil), Lease: lease}},
			{DeleteRange: &etcdv3.DeleteRangeRequest{Key: recKey}}}
		if jobLease != 0 {
			raw, _ := jsonx.Marshal(&job)
			ops = append(ops, etcdv3.TxnOp{Put: &etcdv3.PutRequest{Key: jobKey, Value: raw, Lease: jobLease}})
		}
		op := etcdv3.TxnRequest{Compare: []etcdv3.Compare{{Key: revKey, Target: etcdv3.TargetCreate, Result: etcdv3.Equal, Number: 0}}, Success: ops,
			Failure: []etcdv3.TxnOp{{Range: &etcdv3.RangeRequest{Key: revKey, KeysOnly: true}}, {Range: &etcdv3.RangeRequest{Key: recKey}}}}
		if seen != anyRecord {
			op.Compare = append(op.Compare, etcdv3.Compare{Key: recKey, Target: etcdv3.TargetMod, Result: etcdv3.Equal, Number: seen})
		}
		return b.txn(op, func(resp *etcdv3.TxnResponse, err error) Decision {
			if err == nil {
				// Revoked at rev or before (already: a revision at least the one that
				// revoked it), which is what the barrier waits for.
				already, moved, rev = !resp.Succeeded, false, resp.Header.Revision
				if already && !txnRangeFound(resp, 0) {
					// Not revoked: the record moved. It is read as it stood (absent:
					// version 0); a value that does not parse names no clients.
					already, moved, current = false, true, sessionRecord{}
					if txnRangeFound(resp, 1) {
						kv := resp.Responses[1].Range.Kvs[0]
						if _, raw, ok := readUntilValue(kv.Value); ok {
							_ = jsonx.Unmarshal(raw, &current)
						}
						current.version = kv.ModRevision
					}
				}
			}
			return done(err)
		})
	}
	return b.withLease(until, now, func(lease int64, done func(error) Decision) Decision {
		if len(job.Items) == 0 {
			return write(lease, 0, done)
		}
		return b.withLease(job.keepUntil(b.set.BackchannelTimeout), now, func(jobLease int64, done func(error) Decision) Decision {
			return write(lease, jobLease, done)
		}, done)
	}, func(err error) Decision {
		if err != nil {
			return then(ended{}, fmt.Errorf("store etcd: cannot end sid=%s: %w", sid, err))
		}
		if moved { // nothing written
			return then(ended{moved: true, record: current}, nil)
		}
		// Revoked in etcd (by this call or before): this VM refuses the session at once,
		// the other VMs of this Envoy too, the other replicas once they have followed past
		// rev, which the barrier waits for (also when it was revoked before: that sign-out
		// may never have been confirmed).
		if !already && len(job.Items) > 0 {
			b.queueRead(0, 0) // this Envoy's next tick reads the queue
		}
		return b.revokedHere(sid, until, now, func(told bool) Decision {
			return b.barrier(rev, now, !told, func(err error) Decision {
				if err != nil {
					return then(ended{}, fmt.Errorf("store etcd: ended sid=%s: %w", sid, err))
				}
				return then(ended{already: already}, nil)
			})
		})
	})
}

// follow reads the revocations changed since the copy's revision (all of them the first
// time) and applies them; one follow at a time per VM. Its Decision carries the calls.
func (b *etcdBackend) follow(now time.Time) Decision {
	if b.following {
		return Continue()
	}
	// After its own first load, a VM follows only when it leads the Envoy's follow
	// (store_etcd_share.go); otherwise it has adopted another VM's.
	// A first load is shared too (store_etcd_share.go): the Envoy's member record claims
	// what shared data covers, and a VM that loaded earlier must refuse what this load read.
	b.shareRead = nil
	if b.sharedStore != nil {
		if b.loaded && !b.leadFollow(now) {
			b.checkStale(now)
			return Continue()
		}
		b.shareRead, b.shareSince = map[string]int64{}, b.revision
	}
	b.following, b.followRead = true, false
	if !b.loaded {
		// The Envoy's record is written before each VM's first load (store_etcd_members.go,
		// announce); until it can be, nothing is loaded and every signed-in request is
		// refused, as before any load.
		return b.announce(now, func(err error) Decision {
			if err != nil {
				b.following = false
				if err != errRecordBusy { // etcd did not take it: logged and counted as a failed load
					b.followFailed(now, 0, err)
				}
				return Continue()
			}
			return b.followFrom(now)
		})
	}
	return b.followFrom(now)
}

// checkStale logs, once, that a VM that does not follow itself has a copy past its
// staleness bound (the VM following for this Envoy cannot reach etcd).
func (b *etcdBackend) checkStale(now time.Time) {
	if b.loaded && !b.staleLogged && now.Sub(b.lastFollow) > b.set.StaleAfter {
		b.staleLogged = true
		b.log(fmt.Sprintf("exeunt: store etcd: no follow of etcd by this Envoy for over stale_after (%s): refusing signed-in requests (503) until etcd answers",
			fmtDuration(b.set.StaleAfter)))
	}
}

func (b *etcdBackend) followFrom(started time.Time) Decision {
	key, end, err := b.layout.Space("revoked")
	if err != nil {
		b.following = false
		b.log("exeunt: store etcd: " + err.Error())
		return Continue()
	}
	since := b.revision
	return b.rangeKeys(etcdv3.ChangesSince(key, end, since, followPage), func(resp *etcdv3.RangeResponse, err error) Decision {
		var ch etcdv3.Changes
		if err == nil {
			ch, err = etcdv3.ReadChanges(resp, since)
		}
		if since > 0 && (errors.Is(err, etcdv3.ErrBehindFollower) || errors.Is(err, etcdv3.ErrCompacted)) {
			// Not the history this copy followed (etcd restored from a backup, say; a
			// range by min_mod_revision never reads compacted history, so ErrCompacted
			// is not expected): read everything again. The copy keeps what it has:
			// revocations only ever end by themselves.
			b.log(fmt.Sprintf("exeunt: store etcd: etcd cannot go on from revision %d (%v); reloading every revocation", since, err))
			b.revision = 0
			b.historyLost(started)
			b.lostCopy = b.knownRevocations(started)
			if b.shareRead != nil {
				b.shareSince = 0 // a whole load again: shared from the base 0, as a first load
			}
			return b.followFrom(started)
		}
		if err != nil {
			b.following = false
			if b.shareRead != nil {
				b.shareRead = nil
				b.releaseFollow()
			}
			b.followFailed(started, since, err)
			return Continue()
		}
		for _, kv := range ch.KVs {
			space, parts, perr := b.layout.Parse(kv.Key)
			until, _, ok := readUntilValue(kv.Value)
			if perr != nil || space != "revoked" || len(parts) != 1 || !ok {
				continue // not a record of ours: ignored, never trusted
			}
			b.revoked[parts[0]] = max(b.revoked[parts[0]], until)
			b.followRead = true
			if b.shareRead != nil {
				b.shareRead[parts[0]] = max(b.shareRead[parts[0]], until)
			}
		}
		b.revision = ch.Revision
		if ch.More {
			return b.followFrom(started)
		}
		nowMs := started.UnixMilli()
		for sid, until := range b.revoked {
			if until <= nowMs {
				delete(b.revoked, sid)
			}
		}
		firstLoad := !b.loaded
		b.followed(started)
		if b.shareRead != nil {
			if !b.shareFollow(b.shareRead, b.shareSince, started) {
				// Shared data lacks some of it: the next follow reads it again from where
				// this one started, so that it is shared before the record claims it.
				b.revision = b.shareSince
			}
			b.shareRead = nil
		}
		// Acknowledged once the copy (and shared data) has it: the member record
		// (store_etcd_members.go).
		if lost := b.lostCopy; lost != nil {
			b.lostCopy = nil
			return b.writeRecord(started, b.followRead, firstLoad, false, func(error) Decision { return b.republish(lost, started) })
		}
		return b.acknowledge(started, b.followRead, firstLoad)
	})
}

// followed records a successful follow, logging the change of state it ends, if any:
// the first load, or etcd reachable again.
func (b *etcdBackend) followed(started time.Time) {
	switch {
	case !b.loaded:
		b.log(fmt.Sprintf("exeunt: store etcd: revocations loaded at revision %d (%d in force); serving signed-in requests", b.revision, len(b.revoked)))
	case !b.unreachableSince.IsZero() || b.staleLogged:
		b.log(fmt.Sprintf("exeunt: store etcd: reachable again after %s, caught up to revision %d", started.Sub(b.outageSince()).Round(time.Millisecond), b.revision))
	}
	b.loaded, b.lastFollow, b.following = true, started, false
	b.unreachableSince, b.staleLogged = time.Time{}, false
}

// outageSince is when the outage a "reachable again" line ends began for this VM: its first
// failed follow, or, for a VM that never led a follow during it and only saw the Envoy's
// copy go stale (checkStale), its last successful follow (or adopted stamp). Never the zero
// time, which would print Go's largest duration.
func (b *etcdBackend) outageSince() time.Time {
	if b.unreachableSince.IsZero() {
		return b.lastFollow
	}
	return b.unreachableSince
}

// followFailed counts a failed follow and logs a change of state: etcd unreachable (once,
// when it starts), and the copy past its staleness bound (once, on the first failed follow
// after it). Requests refused meanwhile are counted, never logged one by one.
func (b *etcdBackend) followFailed(started time.Time, since int64, err error) {
	b.metrics.Add(counterEtcdFollowFailures, 1)
	b.blindAt = maxTime(b.blindAt, b.clock(started))
	if b.unreachableSince.IsZero() {
		b.unreachableSince = started
		if !b.loaded {
			b.log(fmt.Sprintf("exeunt: store etcd: unreachable since %s, the revocations are not loaded: signed-in requests are refused (503) until they are: %v",
				started.UTC().Format(time.RFC3339), err))
			return
		}
		b.log(fmt.Sprintf("exeunt: store etcd: unreachable since %s (following from revision %d failed), serving from the copy of the revocations until %s, then refusing signed-in requests (503): %v",
			started.UTC().Format(time.RFC3339), since, b.lastFollow.Add(b.set.StaleAfter).UTC().Format(time.RFC3339), err))
		return
	}
	if b.loaded && !b.staleLogged && started.Sub(b.lastFollow) > b.set.StaleAfter {
		b.staleLogged = true
		b.log(fmt.Sprintf("exeunt: store etcd: still unreachable; the copy of the revocations is older than stale_after (%s): refusing signed-in requests (503) until etcd answers",
			fmtDuration(b.set.StaleAfter)))
	}
}

// txnRangeFound reports whether the i-th response of a transaction's answer is a range
// that found its key.
func txnRangeFound(resp *etcdv3.TxnResponse, i int) bool {
	return len(resp.Responses) > i && resp.Responses[i].Range != nil && len(resp.Responses[i].Range.Kvs) > 0
}
