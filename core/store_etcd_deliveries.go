package core

import (
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"

	"github.com/exeunt/exeunt/core/jsonx"
)

// The delivery queue on etcd: delivery/<job id> holds the job (JSON, with each item's
// due time and lease), on a lease that outlives job.keepUntil. Claiming and finishing
// are compare-and-swaps on the mod_revision read, so of two replicas working the same
// job exactly one changes it; an item whose lease (the time in it) ran out, because its
// replica died, is due again for whichever replica's tick comes next.

type etcdDeliveries struct{ b *etcdBackend }

func (d *etcdDeliveries) jobKey(id string) ([]byte, error) { return d.b.key("delivery", id) }

func (d *etcdDeliveries) enqueue(job deliveryJob, now time.Time, then func(error) Decision) Decision {
	b := d.b
	key, err := d.jobKey(newDeliveryJobID())
	if err != nil {
		return then(err)
	}
	raw, _ := jsonx.Marshal(&job)
	return b.withLease(job.keepUntil(b.set.BackchannelTimeout), now, func(lease int64, done func(error) Decision) Decision {
		return b.put(etcdv3.PutRequest{Key: key, Value: raw, Lease: lease}, done)
	}, func(err error) Decision {
		if err != nil {
			return then(fmt.Errorf("store etcd: cannot queue the deliveries of sid=%s: %w", job.SID, err))
		}
		b.queueRead(0, 0) // this Envoy's next tick reads the queue (store_etcd_share.go)
		return then(nil)
	})
}

// claimDue reads every job (the space stays small: jobs end by their deadline) and
// leases each one's due items with a compare-and-swap; a job another replica changed in
// between is left to the next tick.
//
// The swaps go one after the other, so under load the last lands well after the tick
// that started the chain: each item's lease counts from when its own swap is sent (not
// from the tick), and its calls (landed) go out as soon as that swap is acknowledged,
// not after the rest of the chain. Otherwise a lease could run out while its POST has
// not even left, and another replica would claim the item and send a second token.
func (d *etcdDeliveries) claimDue(now time.Time, limit int, leaseUntil int64, landed func([]deliveryClaim, time.Time) []*Call, then func([]deliveryClaim, int64, error) Decision) Decision {
	b := d.b
	key, end, err := b.layout.Space("delivery")
	if err != nil {
		return then(nil, 0, err)
	}
	nowMs := now.UnixMilli()
	if next, recent := b.queueReadRecently(now); recent {
		return then(nil, next, nil) // another VM of this Envoy read it within the period
	}
	return b.rangeKeys(etcdv3.RangeRequest{Key: key, RangeEnd: end}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return then(nil, 0, fmt.Errorf("store etcd: cannot read the delivery queue: %w", err))
		}
		var out []deliveryClaim
		var next int64
		var firstErr error
		noteNext := func(job deliveryJob) {
			for _, it := range job.Items {
				if at := max(it.Due, it.Lease); next == 0 || at < next {
					next = at
				}
			}
		}
		var step func(i int) Decision
		step = func(i int) Decision {
			if i == len(resp.Kvs) {
				if firstErr == nil {
					b.queueRead(nowMs, next)
				}
				return then(out, next, firstErr)
			}
			if len(out) >= limit {
				next = nowMs
				return then(out, next, firstErr)
			}
			kv := resp.Kvs[i]
			_, parts, perr := b.layout.Parse(kv.Key)
			var job deliveryJob
			if perr != nil || len(parts) != 1 || jsonx.Unmarshal(kv.Value, &job) != nil ||
				job.keepUntil(b.set.BackchannelTimeout).Before(now) {
				return step(i + 1) // not a job, or one past its time: the lease collects it
			}
			// This swap is sent now, when the last answer of the chain arrived.
			lease := leaseUntil + max(0, b.clock(now).UnixMilli()-nowMs)
			var claimed []deliveryItem
			for j := range job.Items {
				it := &job.Items[j]
				if it.Due > nowMs || it.Lease > nowMs || len(out)+len(claimed) >= limit {
					continue
				}
				it.Lease = lease
				claimed = append(claimed, *it)
			}
			if len(claimed) == 0 {
				noteNext(job)
				return step(i + 1)
			}
			raw, _ := jsonx.Marshal(&job)
			return b.txn(etcdv3.CompareAndSwap(kv.Key, kv.ModRevision, raw, kv.Lease), func(tr *etcdv3.TxnResponse, err error) Decision {
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = fmt.Errorf("store etcd: cannot claim deliveries: %w", err)
					}
				case tr.Succeeded:
					batch := make([]deliveryClaim, 0, len(claimed))
					for _, it := range claimed {
						batch = append(batch, deliveryClaim{jobID: parts[0], job: job, item: it})
					}
					out = append(out, batch...)
					noteNext(job)
					if landed != nil {
						calls := landed(batch, b.clock(now))
						d := step(i + 1)
						d.Background = append(calls, d.Background...)
						return d
					}
				}
				return step(i + 1)
			})
		}
		return step(0)
	})
}

// finishRetries bounds the compare-and-swaps of one finish that lose to another
// replica's change of the same job.
const finishRetries = 5

func (d *etcdDeliveries) finish(jobID, client string, now time.Time, change func(*deliveryItem) bool, then func(error) Decision) Decision {
	b := d.b
	key, err := d.jobKey(jobID)
	if err != nil {
		return then(err)
	}
	var attempt func(n int) Decision
	attempt = func(n int) Decision {
		return b.rangeKeys(etcdv3.RangeRequest{Key: key}, func(resp *etcdv3.RangeResponse, err error) Decision {
			if err != nil {
				return then(fmt.Errorf("store etcd: cannot read a delivery job: %w", err))
			}
			var job deliveryJob
			if len(resp.Kvs) == 0 || jsonx.Unmarshal(resp.Kvs[0].Value, &job) != nil {
				return then(nil) // gone already
			}
			kv := resp.Kvs[0]
			items := job.Items[:0]
			for _, it := range job.Items {
				if it.Client == client && change(&it) {
					continue
				}
				items = append(items, it)
			}
			job.Items = items
			var op etcdv3.TxnRequest
			if len(items) == 0 {
				op = etcdv3.CompareAndDelete(key, kv.ModRevision)
			} else {
				raw, _ := jsonx.Marshal(&job)
				op = etcdv3.CompareAndSwap(key, kv.ModRevision, raw, kv.Lease)
			}
			return b.txn(op, func(tr *etcdv3.TxnResponse, err error) Decision {
				switch {
				case err != nil:
					return then(fmt.Errorf("store etcd: cannot update a delivery job: %w", err))
				case tr.Succeeded:
					return then(nil)
				case n+1 < finishRetries:
					return attempt(n + 1)
				}
				return then(fmt.Errorf("store etcd: a delivery job kept changing under its update (%d tries)", finishRetries))
			})
		})
	}
	return attempt(0)
}
