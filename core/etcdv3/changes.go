package etcdv3

import (
	"errors"
	"fmt"
)

// Following a key space by polling. A Proxy-Wasm filter cannot hold etcd's watch stream
// open (a callout delivers a whole response, once), so a replica follows a space with
// ordinary ranges on its ticks:
//
//  1. At start, [Reload]: every key of the space, paged by key ([NextReload]) at one pinned
//     revision, so the pages are one consistent snapshot; the replica replaces its copy with
//     it and remembers that revision.
//  2. On each tick, [ChangesSince] that revision: the keys put after it, oldest change
//     first, paged by revision ([ReadChanges]); the replica applies them and moves on to
//     the revision [ReadChanges] gives.
//
// A range with min_mod_revision reads the current store, so compaction never breaks step 2:
// a key's mod_revision survives any compaction, and a key changed twice since the last poll
// shows once, as it is now (which is all a copy needs). Only the pinned pages of step 1 read
// history; if the store is compacted past the pinned revision in the middle of a reload,
// the next page fails with [ErrCompacted] and the reload starts again, unpinned.
//
// What ranges cannot show is a key that is no longer there: a deletion, a lease that
// expired or was revoked. Two ways to live with that, by kind of record:
//
//   - Records that are only ever added and end by themselves (revocations): the value
//     carries its own expiry, the lease only collects the key some time after it; a replica
//     keeps its copy until that expiry and never needs to see the deletion.
//   - Records that must end early for everyone (a job handed on, a context consumed): are
//     "deleted" by a [Tombstone], a put that followers see like any other change, on a lease
//     longer than any follower may go without a successful poll. A follower that has been
//     cut off for longer than that (by its own clock) may have missed a tombstone whose key
//     is gone since, and reloads (step 1) instead of polling.

// ChangesSince is the range that returns the keys in [key, end) put after revision since,
// oldest change first, at most limit of them (0: all). Read the answer with [ReadChanges].
//
// etcd 3.4 filters on min_mod_revision after reading the whole range (see [RangeRequest]):
// each poll costs the server the size of the space, which is why spaces stay small (records
// expire) and polls are one per tick per replica.
func ChangesSince(key, end []byte, since, limit int64) RangeRequest {
	return RangeRequest{
		Key:            key,
		RangeEnd:       end,
		MinModRevision: since + 1,
		SortOrder:      SortAscend,
		SortTarget:     SortByMod,
		Limit:          limit,
	}
}

// Changes is one page of changes.
type Changes struct {
	// KVs are the keys changed, oldest change first: apply them in order.
	KVs []KeyValue
	// Revision is where the follower is once it applied KVs: every put up to it is in its
	// copy. The next ChangesSince starts there.
	Revision int64
	// More says that there are further changes: ask again at once.
	More bool
}

// ErrBehindFollower: etcd is at a revision older than the one the follower has reached,
// so it is not the store the follower followed (restored from a backup, or a new cluster
// behind the same address). The follower reloads: [ChangesSince] from 0.
var ErrBehindFollower = errors.New("etcdv3: etcd is behind the follower")

// ErrPageTooSmall: more keys changed at one revision (one transaction) than a page of
// changes holds, so no page boundary falls between revisions.
var ErrPageTooSmall = errors.New("etcdv3: one revision changed more keys than the page limit: raise the limit")

// ReadChanges reads the answer to ChangesSince(key, end, since, limit). A page that was
// cut at the limit ends at a revision boundary: the keys of its last revision are left for
// the next page (a transaction may have put several keys at that revision, and etcd may have
// cut among them), so a page never leaves half of a revision behind.
func ReadChanges(resp *RangeResponse, since int64) (Changes, error) {
	kvs := resp.Kvs
	for i := range kvs {
		if kvs[i].ModRevision <= since || (i > 0 && kvs[i].ModRevision < kvs[i-1].ModRevision) {
			return Changes{}, fmt.Errorf("etcdv3: the changes since revision %d are not in order of change after it (key %q at %d): not an answer to ChangesSince", since, excerpt(kvs[i].Key), kvs[i].ModRevision)
		}
	}
	if !resp.More {
		if resp.Header.Revision < since {
			return Changes{}, fmt.Errorf("%w: etcd answered at revision %d, before %d: it is not the etcd the follower followed (restored from a backup?): reload", ErrBehindFollower, resp.Header.Revision, since)
		}
		return Changes{KVs: kvs, Revision: resp.Header.Revision}, nil
	}
	if len(kvs) == 0 {
		return Changes{}, errors.New("etcdv3: a page of changes says there are more, but holds none")
	}
	last := kvs[len(kvs)-1].ModRevision
	cut := len(kvs) - 1
	for cut > 0 && kvs[cut-1].ModRevision == last {
		cut--
	}
	if cut == 0 {
		return Changes{}, fmt.Errorf("%w (revision %d, %d keys or more)", ErrPageTooSmall, last, len(kvs))
	}
	return Changes{KVs: kvs[:cut], Revision: last - 1, More: true}, nil
}

// Tombstone is the put that deletes key for followers (see above): an empty value, on
// lease, a lease that outlives the longest a follower may go without a poll before it
// reloads. Records themselves are never empty.
func Tombstone(key []byte, lease int64) PutRequest {
	return PutRequest{Key: key, Lease: lease}
}

// IsTombstone says whether kv, from a range with values, is a [Tombstone].
func (kv KeyValue) IsTombstone() bool { return len(kv.Value) == 0 }

// Reload is the first page of a reload of [key, end): at most limit keys (0: all), read at
// the current revision. [NextReload] gives the following pages, pinned to the revision of
// this one.
func Reload(key, end []byte, limit int64) RangeRequest {
	return RangeRequest{Key: key, RangeEnd: end, Limit: limit}
}

// NextReload is, after req (from [Reload] or NextReload) and its answer resp, the next page
// to ask for, or done with the revision the whole reload was read at: where the follower
// then starts [ChangesSince].
func NextReload(req RangeRequest, resp *RangeResponse) (next RangeRequest, revision int64, done bool) {
	revision = req.Revision
	if revision == 0 {
		revision = resp.Header.Revision
	}
	if !resp.More || len(resp.Kvs) == 0 {
		return RangeRequest{}, revision, true
	}
	next = req
	next.Revision = revision
	last := resp.Kvs[len(resp.Kvs)-1].Key
	next.Key = append(append(make([]byte, 0, len(last)+1), last...), 0)
	return next, revision, false
}
