package core

import (
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// When etcd comes back without the revocations (its data lost, or restored from an older
// backup: a follow finds it behind the revision followed to), the running replicas still
// hold them in their copies and keep refusing those sessions; a replica that starts
// afterwards loads only what etcd has, and would take them. So the replica that finds the
// loss writes every revocation it holds (its copy and its Envoy's shared data) back to
// etcd once its reload is done: while one replica that saw a sign-out lives through the
// loss, the sign-out is not lost. Each replica does it (every one that finds the loss);
// a put of a revocation that is there already changes nothing but its revision. One
// lease for all of them, to the latest end: a record may outlive its end by that much,
// never longer than the longest session.

// republishBatch is how many revocations one transaction puts (etcd's --max-txn-ops
// defaults to 128).
const republishBatch = 64

// knownRevocations is what this Envoy refuses now: this VM's copy and shared data.
func (b *etcdBackend) knownRevocations(now time.Time) map[string]int64 {
	nowMs := now.UnixMilli()
	out := make(map[string]int64, len(b.revoked))
	for sid, until := range b.revoked {
		if until > nowMs {
			out[sid] = until
		}
	}
	if local, ok := b.shared.(*localRevocations); ok {
		shared, err := local.all(now)
		if err != nil {
			b.log(fmt.Sprintf("exeunt: store etcd: cannot read all of this Envoy's shared revocations to give them back to etcd: %v", err))
		}
		for sid, until := range shared {
			out[sid] = max(out[sid], until)
		}
	}
	return out
}

// republish writes lost back to etcd, in transactions of republishBatch puts on one lease.
func (b *etcdBackend) republish(lost map[string]int64, now time.Time) Decision {
	if len(lost) == 0 {
		return Continue()
	}
	sids := make([]string, 0, len(lost))
	var last int64
	for sid, until := range lost {
		sids = append(sids, sid)
		last = max(last, until)
	}
	// written counts the puts of the transactions etcd answered: the log lines say what
	// was given back, not what was meant to be.
	written := 0
	failed := func(err error) Decision {
		b.log(fmt.Sprintf("exeunt: store etcd: gave back to etcd %d of the %d revocations this Envoy held when etcd lost them; the other %d may not be there (a replica started now would not refuse those sessions): %v", written, len(sids), len(sids)-written, err))
		return Continue()
	}
	ttl := max((last-now.UnixMilli())/1000+60, 1)
	return b.call(&etcdv3.LeaseGrantRequest{TTL: ttl}, func(status int, body []byte, err error) Decision {
		var resp *etcdv3.LeaseGrantResponse
		if err == nil {
			resp, err = b.gw.ParseLeaseGrant(status, body)
		}
		if err != nil {
			return failed(err)
		}
		var from func(i int) Decision
		from = func(i int) Decision {
			if i >= len(sids) {
				if written < len(sids) {
					b.log(fmt.Sprintf("exeunt: store etcd: gave back to etcd %d of the %d revocations this Envoy held when etcd lost them; the other %d have session ids no key can hold", written, len(sids), len(sids)-written))
				} else {
					b.log(fmt.Sprintf("exeunt: store etcd: gave back to etcd the %d revocations this Envoy held when etcd lost them", len(sids)))
				}
				return Continue()
			}
			var ops []etcdv3.TxnOp
			for _, sid := range sids[i:min(i+republishBatch, len(sids))] {
				key, err := b.key("revoked", sid)
				if err != nil {
					continue // not a sid this backend would have written
				}
				ops = append(ops, etcdv3.TxnOp{Put: &etcdv3.PutRequest{Key: key, Value: untilValue(time.UnixMilli(lost[sid]), nil), Lease: resp.ID}})
			}
			return b.txn(etcdv3.TxnRequest{Success: ops}, func(_ *etcdv3.TxnResponse, err error) Decision {
				if err != nil {
					return failed(err)
				}
				written += len(ops)
				return from(i + republishBatch)
			})
		}
		return from(0)
	})
}
