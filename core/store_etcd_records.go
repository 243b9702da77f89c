package core

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Claims, the session index and logout contexts on etcd: read and written directly
// (linearizable reads), so every replica sees a write as soon as etcd acknowledged it.

type etcdClaims struct{ b *etcdBackend }

// claimKey hashes an id too long for a key part; ids are opaque, so a hash claims the
// same value as the id would.
func (c *etcdClaims) claimKey(kind claimKind, id string) ([]byte, error) {
	if len(id) > 200 {
		id = "h-" + indexKey(id)
	}
	return c.b.key("claim", strconv.Itoa(int(kind)), id)
}

// claim is a create-if-absent: exactly one replica's succeeds. A claim that has ended but
// whose key the lease has not collected yet is taken over by a compare-and-swap on the
// mod_revision read, so two late claimers still cannot both win.
func (c *etcdClaims) claim(kind claimKind, id string, until, now time.Time, then func(bool, error) Decision) Decision {
	return c.claimAs(kind, id, "", until, now, then)
}

// claimAs keeps the owner in the claim's value (after its end): a claim standing with the
// same owner is fresh again for it.
func (c *etcdClaims) claimAs(kind claimKind, id, owner string, until, now time.Time, then func(bool, error) Decision) Decision {
	b := c.b
	key, err := c.claimKey(kind, id)
	if err != nil {
		return then(false, err)
	}
	var fresh bool
	return b.withLease(until, now, func(lease int64, done func(error) Decision) Decision {
		value := untilValue(until, []byte(owner))
		return b.txn(etcdv3.CreateIfAbsent(key, value, lease), func(resp *etcdv3.TxnResponse, err error) Decision {
			if err != nil || resp.Succeeded {
				fresh = err == nil
				return done(err)
			}
			cur := resp.Current()
			rev := int64(0)
			if cur != nil {
				if end, by, ok := readUntilValue(cur.Value); !ok || end > now.UnixMilli() {
					// Claimed before, and not ended: fresh only for the same owner's repeat.
					fresh = ok && owner != "" && string(by) == owner
					return done(nil)
				}
				rev = cur.ModRevision
			}
			return b.txn(etcdv3.CompareAndSwap(key, rev, value, lease), func(resp *etcdv3.TxnResponse, err error) Decision {
				fresh = err == nil && resp.Succeeded
				return done(err)
			})
		})
	}, func(err error) Decision {
		if err != nil {
			return then(false, fmt.Errorf("store etcd: cannot claim: %w", err))
		}
		return then(fresh, nil)
	})
}

func (c *etcdClaims) claimed(kind claimKind, id string, now time.Time, then func(bool, error) Decision) Decision {
	return c.claimedBy(kind, id, now, func(_ string, found bool, err error) Decision { return then(found, err) })
}

func (c *etcdClaims) claimedBy(kind claimKind, id string, now time.Time, then func(string, bool, error) Decision) Decision {
	key, err := c.claimKey(kind, id)
	if err != nil {
		return then("", false, err)
	}
	return c.b.rangeKeys(etcdv3.RangeRequest{Key: key}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return then("", false, fmt.Errorf("store etcd: cannot read a claim: %w", err))
		}
		for _, kv := range resp.Kvs {
			if end, by, ok := readUntilValue(kv.Value); !ok || end > now.UnixMilli() {
				return then(string(by), true, nil)
			}
		}
		return then("", false, nil)
	})
}

// etcdSessions: session/<sid> holds the record; by-psid/<hash of iss, psid>/<sid> and
// by-sub/<hash of iss, sub>/<sid> link to it, one key per link, so indexing never
// rewrites a list another replica may be writing. Links outlive a forgotten record
// harmlessly: find reads the records and skips the missing.
type etcdSessions struct{ b *etcdBackend }

func (s *etcdSessions) recordPut(rec sessionRecord, lease int64) (etcdv3.PutRequest, error) {
	key, err := s.b.key("session", rec.SID)
	if err != nil {
		return etcdv3.PutRequest{}, err
	}
	raw, _ := jsonx.Marshal(&rec)
	return etcdv3.PutRequest{Key: key, Value: untilValue(time.Unix(rec.Expires, 0), raw), Lease: lease}, nil
}

func (s *etcdSessions) index(rec sessionRecord, seen *userRead, now time.Time, then func(error) Decision) Decision {
	b := s.b
	until := time.Unix(rec.Expires, 0)
	return b.withLease(until, now, func(lease int64, done func(error) Decision) Decision {
		put, err := s.recordPut(rec, lease)
		if err != nil {
			return done(err)
		}
		var guard []etcdv3.Compare
		if seen != nil {
			// Every link of the user's as old as the read that counted them: a link put
			// since (another sign-in of the user, indexed meanwhile) fails the
			// transaction. Deleted links (ended sessions) do not.
			prefix, err := b.key("by-sub", indexKey(rec.Iss, rec.Sub))
			if err != nil {
				return done(err)
			}
			prefix = append(prefix, '/')
			guard = []etcdv3.Compare{{Key: prefix, RangeEnd: etcdv3.PrefixEnd(prefix), Target: etcdv3.TargetMod, Result: etcdv3.Less, Number: seen.rev + 1}}
		}
		ops := []etcdv3.TxnOp{{Put: &put}}
		links := [][2]string{{"by-sub", indexKey(rec.Iss, rec.Sub)}}
		if rec.PSID != "" {
			links = append(links, [2]string{"by-psid", indexKey(rec.Iss, rec.PSID)})
		}
		for _, l := range links {
			key, err := b.key(l[0], l[1], rec.SID)
			if err != nil {
				return done(err)
			}
			ops = append(ops, etcdv3.TxnOp{Put: &etcdv3.PutRequest{Key: key, Value: untilValue(until, nil), Lease: lease}})
		}
		return b.txn(etcdv3.TxnRequest{Compare: guard, Success: ops}, func(tr *etcdv3.TxnResponse, err error) Decision {
			if err == nil && !tr.Succeeded {
				err = errUserChanged
			}
			return done(err)
		})
	}, func(err error) Decision {
		if err != nil {
			return then(fmt.Errorf("store etcd: cannot index sid=%s: %w", rec.SID, err))
		}
		return then(nil)
	})
}

// update goes on once etcd has the record: the request that visits a new client waits
// for it, so that a provider's sign-out landing on another replica the moment the client
// has been reached finds the client in the record (store_ports.go). Written in the
// background, it lost that race under load (RATIONALE.md, "Why a session's first visit to
// a client waits for etcd").
// recordUpdateRetries bounds the compare-and-swaps of one record update that lose to
// another write of the same record (first visits of one session to several clients at
// once: a handful at most).
const recordUpdateRetries = 8

func (s *etcdSessions) update(rec sessionRecord, now time.Time, then func(error) Decision) Decision {
	b := s.b
	return b.withLease(time.Unix(rec.Expires, 0), now, func(lease int64, done func(error) Decision) Decision {
		key, err := b.key("session", rec.SID)
		if err != nil {
			return done(err)
		}
		// A compare-and-swap on the record as read, keeping the clients it holds
		// (withClients): another replica may have just written a first visit sent with the
		// same cookie. cur is the record as it stands, nil when absent: gone with a sign-out, errRecordGone.
		var write func(cur *etcdv3.KeyValue, tries int) Decision
		write = func(cur *etcdv3.KeyValue, tries int) Decision {
			if cur == nil {
				return done(errRecordGone)
			}
			merged, modRevision := rec, cur.ModRevision
			var was sessionRecord
			if _, content, ok := readUntilValue(cur.Value); ok && jsonx.Unmarshal(content, &was) == nil {
				merged.Clients = withClients(rec.Clients, was.Clients)
			}
			put, err := s.recordPut(merged, lease)
			if err != nil {
				return done(err)
			}
			return b.txn(etcdv3.CompareAndSwap(key, modRevision, put.Value, lease), func(tr *etcdv3.TxnResponse, err error) Decision {
				switch {
				case err != nil:
					return done(err)
				case tr.Succeeded:
					return done(nil)
				case tries >= recordUpdateRetries:
					return done(fmt.Errorf("the record changed %d times while it was written", tries+1))
				}
				return write(tr.Current(), tries+1)
			})
		}
		return b.rangeKeys(etcdv3.RangeRequest{Key: key}, func(resp *etcdv3.RangeResponse, err error) Decision {
			if err != nil {
				return done(err)
			}
			var cur *etcdv3.KeyValue
			if len(resp.Kvs) > 0 {
				cur = &resp.Kvs[0]
			}
			return write(cur, 0)
		})
	}, func(err error) Decision {
		if err != nil {
			return then(fmt.Errorf("store etcd: cannot update the record of sid=%s: %w", rec.SID, err))
		}
		return then(nil)
	})
}

func (s *etcdSessions) find(iss, psid, sub string, now time.Time, then func([]sessionRecord, error) Decision) Decision {
	return s.scan(iss, psid, sub, now, func(recs []sessionRecord, _ [][]byte, _ int64, err error) Decision { return then(recs, err) })
}

// scan reads the links of (iss, psid) or, when psid is empty, (iss, sub), then their
// records, and gives the live records that match, and the links whose record is gone
// (ended: a sign-out deletes the record, not its links, which go with their lease), and
// the revision at which the links were read.
func (s *etcdSessions) scan(iss, psid, sub string, now time.Time, then func([]sessionRecord, [][]byte, int64, error) Decision) Decision {
	b := s.b
	space, id := "by-sub", indexKey(iss, sub)
	if psid != "" {
		space, id = "by-psid", indexKey(iss, psid)
	}
	prefix, err := b.key(space, id)
	if err != nil {
		return then(nil, nil, 0, err)
	}
	prefix = append(prefix, '/')
	fail := func(err error) Decision {
		return then(nil, nil, 0, fmt.Errorf("store etcd: cannot read the session index: %w", err))
	}
	return b.rangeKeys(etcdv3.RangeRequest{Key: prefix, RangeEnd: etcdv3.PrefixEnd(prefix), KeysOnly: true}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return fail(err)
		}
		rev := resp.Header.Revision
		var ops []etcdv3.TxnOp
		var links [][]byte // links[i] leads to ops[i]'s record
		for _, kv := range resp.Kvs {
			_, parts, err := b.layout.Parse(kv.Key)
			if err != nil || len(parts) != 2 {
				continue
			}
			key, err := b.key("session", parts[1])
			if err != nil {
				continue
			}
			ops = append(ops, etcdv3.TxnOp{Range: &etcdv3.RangeRequest{Key: key}})
			links = append(links, kv.Key)
		}
		var out []sessionRecord
		var dead [][]byte
		var read func(ops []etcdv3.TxnOp, links [][]byte) Decision
		read = func(ops []etcdv3.TxnOp, links [][]byte) Decision {
			if len(ops) == 0 {
				return then(out, dead, rev, nil)
			}
			n := min(len(ops), etcdv3.MaxTxnOps)
			return b.txn(etcdv3.TxnRequest{Success: ops[:n]}, func(resp *etcdv3.TxnResponse, err error) Decision {
				if err != nil {
					return fail(err)
				}
				for i, op := range resp.Responses {
					if op.Range == nil {
						continue
					}
					if len(op.Range.Kvs) == 0 {
						dead = append(dead, links[i])
					}
					for _, kv := range op.Range.Kvs {
						var r sessionRecord
						_, raw, ok := readUntilValue(kv.Value)
						if !ok || jsonx.Unmarshal(raw, &r) != nil || r.Expires <= now.Unix() ||
							r.Iss != iss || (psid != "" && r.PSID != psid) || (sub != "" && r.Sub != sub) {
							continue
						}
						r.version = kv.ModRevision
						out = append(out, r)
					}
				}
				return read(ops[n:], links[n:])
			})
		}
		return read(ops, links)
	})
}

// ofUser is find by the user, which then deletes the user's links whose record is gone
// (at most etcdv3.MaxTxnOps a sign-in, in one transaction): without that, each of a
// user's sign-outs would leave a link for the rest of its session's lifetime, and a user
// signing in and out in a loop would grow the list every sign-in reads. A failure to
// delete them is no failure to read: they lead nowhere, and the next sign-in tries again.
func (s *etcdSessions) ofUser(iss, sub string, now time.Time, then func([]sessionRecord, *userRead, error) Decision) Decision {
	return s.scan(iss, "", sub, now, func(recs []sessionRecord, dead [][]byte, rev int64, err error) Decision {
		if err != nil {
			return then(nil, nil, err)
		}
		seen := &userRead{rev: rev}
		if len(dead) == 0 {
			return then(recs, seen, nil)
		}
		return s.deleteKeys(dead[:min(len(dead), etcdv3.MaxTxnOps)], func(err error) Decision {
			if err != nil {
				s.b.log(fmt.Sprintf("exeunt: store etcd: cannot delete %d index links of ended sessions (they lead nowhere; the user's next sign-in tries again): %v", len(dead), err))
			}
			return then(recs, seen, nil)
		})
	})
}

// unlink deletes rec's by-sub and by-psid links in one transaction.
func (s *etcdSessions) unlink(rec sessionRecord, now time.Time, then func(error) Decision) Decision {
	key, err := s.b.key("by-sub", indexKey(rec.Iss, rec.Sub), rec.SID)
	if err != nil {
		return then(err)
	}
	keys := [][]byte{key}
	if rec.PSID != "" {
		key, err := s.b.key("by-psid", indexKey(rec.Iss, rec.PSID), rec.SID)
		if err != nil {
			return then(err)
		}
		keys = append(keys, key)
	}
	return s.deleteKeys(keys, then)
}

// deleteKeys deletes keys (at most etcdv3.MaxTxnOps) in one transaction.
func (s *etcdSessions) deleteKeys(keys [][]byte, then func(error) Decision) Decision {
	ops := make([]etcdv3.TxnOp, len(keys))
	for i, k := range keys {
		ops[i] = etcdv3.TxnOp{DeleteRange: &etcdv3.DeleteRangeRequest{Key: k}}
	}
	return s.b.txn(etcdv3.TxnRequest{Success: ops}, func(_ *etcdv3.TxnResponse, err error) Decision { return then(err) })
}

func (s *etcdSessions) forget(sid string, now time.Time, then func(error) Decision) Decision {
	key, err := s.b.key("session", sid)
	if err != nil {
		return then(err)
	}
	return s.b.call(&etcdv3.DeleteRangeRequest{Key: key}, func(status int, body []byte, err error) Decision {
		if err == nil {
			_, err = s.b.gw.ParseDeleteRange(status, body)
		}
		return then(err)
	})
}

// etcdContexts: context/<id> holds the payload; context-sid/<sid>/<id> lists a
// session's contexts, so that the oldest past maxContextsPerSession are dropped (in
// order of creation revision). The total bound is etcd's quota and the leases.
type etcdContexts struct{ b *etcdBackend }

func (c *etcdContexts) save(id, sid string, payload []byte, until, now time.Time, then func(error) Decision) Decision {
	b := c.b
	key, err := b.key("context", id)
	if err != nil {
		return then(err)
	}
	var sidPrefix []byte
	return b.withLease(until, now, func(lease int64, done func(error) Decision) Decision {
		ops := []etcdv3.TxnOp{{Put: &etcdv3.PutRequest{Key: key, Value: untilValue(until, payload), Lease: lease}}}
		if sid != "" {
			link, err := b.key("context-sid", sid, id)
			if err != nil {
				return done(err)
			}
			if sidPrefix, err = b.key("context-sid", sid); err != nil {
				return done(err)
			}
			sidPrefix = append(sidPrefix, '/')
			ops = append(ops, etcdv3.TxnOp{Put: &etcdv3.PutRequest{Key: link, Value: untilValue(until, nil), Lease: lease}})
		}
		return b.txn(etcdv3.TxnRequest{Success: ops}, func(_ *etcdv3.TxnResponse, err error) Decision { return done(err) })
	}, func(err error) Decision {
		if err != nil || sid == "" {
			return then(err)
		}
		return c.bound(sid, sidPrefix, then)
	})
}

// bound drops the session's oldest contexts past maxContextsPerSession.
func (c *etcdContexts) bound(sid string, prefix []byte, then func(error) Decision) Decision {
	b := c.b
	boundErr := func(err error) Decision {
		return then(&boundError{fmt.Errorf("store etcd: cannot bound the contexts of sid=%s: %w", sid, err)})
	}
	return b.rangeKeys(etcdv3.RangeRequest{Key: prefix, RangeEnd: etcdv3.PrefixEnd(prefix), KeysOnly: true,
		SortOrder: etcdv3.SortAscend, SortTarget: etcdv3.SortByCreate}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return boundErr(err)
		}
		n := len(resp.Kvs) - maxContextsPerSession
		if n <= 0 {
			return then(nil)
		}
		var ops []etcdv3.TxnOp
		for _, kv := range resp.Kvs[:min(n, etcdv3.MaxTxnOps/2)] {
			_, parts, err := b.layout.Parse(kv.Key)
			if err != nil || len(parts) != 2 {
				continue
			}
			ctxKey, err := b.key("context", parts[1])
			if err != nil {
				continue
			}
			ops = append(ops, etcdv3.TxnOp{DeleteRange: &etcdv3.DeleteRangeRequest{Key: ctxKey}},
				etcdv3.TxnOp{DeleteRange: &etcdv3.DeleteRangeRequest{Key: slices.Clone(kv.Key)}})
		}
		return b.txn(etcdv3.TxnRequest{Success: ops}, func(_ *etcdv3.TxnResponse, err error) Decision {
			if err != nil {
				return boundErr(err)
			}
			return then(nil)
		})
	})
}

func (c *etcdContexts) load(id string, now time.Time, then func([]byte, bool, error) Decision) Decision {
	key, err := c.b.key("context", id)
	if err != nil {
		return then(nil, false, err)
	}
	return c.b.rangeKeys(etcdv3.RangeRequest{Key: key}, func(resp *etcdv3.RangeResponse, err error) Decision {
		if err != nil {
			return then(nil, false, fmt.Errorf("store etcd: cannot load a logout context: %w", err))
		}
		for _, kv := range resp.Kvs {
			if end, payload, ok := readUntilValue(kv.Value); ok && end > now.UnixMilli() && len(payload) > 0 {
				return then(payload, true, nil)
			}
		}
		return then(nil, false, nil)
	})
}
