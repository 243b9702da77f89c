package etcdv3

import "errors"

// The key-value messages of etcd's etcdserverpb/rpc.proto (v3.4.23) as the gateway writes
// them in JSON (grpc-gateway's jsonpb, with proto field names): bytes as standard base64
// (Go's []byte does that), 64-bit integers as decimal strings (the ",string" tags), enums by
// name, and every zero value left out, on both sides (an empty range has no "kvs", a failed
// txn no "succeeded").

// ResponseHeader is in every answer (rpc.proto ResponseHeader).
type ResponseHeader struct {
	ClusterID uint64 `json:"cluster_id,string"`
	MemberID  uint64 `json:"member_id,string"`
	// Revision is the key-value store's revision when the request was served: a read saw
	// every change up to it; a write made it. Even a range at an older Revision answers with
	// the current one.
	Revision int64  `json:"revision,string"`
	RaftTerm uint64 `json:"raft_term,string"`
}

// KeyValue is one key's current state (mvccpb.KeyValue in api/mvccpb/kv.proto).
type KeyValue struct {
	Key []byte `json:"key"`
	// CreateRevision is the revision of the key's last creation; ModRevision of its last
	// change; Version counts the changes since its creation (a deleted key is back at 0).
	CreateRevision int64 `json:"create_revision,string"`
	ModRevision    int64 `json:"mod_revision,string"`
	Version        int64 `json:"version,string"`
	// Value is empty in a keys_only range.
	Value []byte `json:"value"`
	// Lease is the id of the key's lease, 0 for none.
	Lease int64 `json:"lease,string"`
}

// SortOrder and SortTarget are RangeRequest's enums, by name.
type (
	SortOrder  string
	SortTarget string
)

const (
	SortNone    SortOrder = "" // NONE: by key, except that another target sorts ascending
	SortAscend  SortOrder = "ASCEND"
	SortDescend SortOrder = "DESCEND"

	SortByKey     SortTarget = "" // KEY
	SortByVersion SortTarget = "VERSION"
	SortByCreate  SortTarget = "CREATE"
	SortByMod     SortTarget = "MOD"
	SortByValue   SortTarget = "VALUE"
)

// RangeRequest reads a key, or the keys in [Key, RangeEnd) (rpc.proto RangeRequest; POST
// /v3/kv/range). [PrefixEnd] gives the RangeEnd for every key under a prefix.
//
// Filtering on MinModRevision and the like, or sorting, makes etcd 3.4 read the whole range
// and then filter, sort and cut it at Limit (etcdserver/apply.go, applierV3backend.Range):
// such a range costs the server the whole range however little it returns. Count is always
// the number of keys in the range before that filtering.
type RangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	// Limit caps the keys returned (0: no limit); More then says whether there were more.
	Limit int64 `json:"limit,omitempty,string"`
	// Revision reads the store as it was at that revision (0: now). A revision older than
	// the last compaction fails with [ErrCompacted]; a future one with [ErrFutureRevision].
	Revision   int64      `json:"revision,omitempty,string"`
	SortOrder  SortOrder  `json:"sort_order,omitempty"`
	SortTarget SortTarget `json:"sort_target,omitempty"`
	// Serializable reads from the member that answers without asking the others: faster,
	// possibly stale. The default, linearizable, sees every write acknowledged before it.
	Serializable bool `json:"serializable,omitempty"`
	KeysOnly     bool `json:"keys_only,omitempty"`
	CountOnly    bool `json:"count_only,omitempty"`
	// MinModRevision keeps only the keys changed at or after it: what [ChangesSince] uses.
	MinModRevision    int64 `json:"min_mod_revision,omitempty,string"`
	MaxModRevision    int64 `json:"max_mod_revision,omitempty,string"`
	MinCreateRevision int64 `json:"min_create_revision,omitempty,string"`
	MaxCreateRevision int64 `json:"max_create_revision,omitempty,string"`
}

func (*RangeRequest) endpoint() string { return "/kv/range" }

func (r *RangeRequest) check() error {
	if len(r.Key) == 0 {
		return errors.New("a range needs a key")
	}
	if r.Limit < 0 || r.Revision < 0 || r.MinModRevision < 0 || r.MaxModRevision < 0 || r.MinCreateRevision < 0 || r.MaxCreateRevision < 0 {
		return errors.New("a range's limit and revisions are never negative")
	}
	return nil
}

// RangeResponse is the answer to a [RangeRequest].
type RangeResponse struct {
	Header ResponseHeader `json:"header"`
	Kvs    []KeyValue     `json:"kvs"`
	More   bool           `json:"more"`
	Count  int64          `json:"count,string"`
}

// PutRequest sets a key (rpc.proto PutRequest; POST /v3/kv/put).
type PutRequest struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value,omitempty"`
	// Lease attaches the key to a lease from [LeaseGrantRequest]: the key is deleted when
	// the lease expires or is revoked. 0: no lease (and a put without one detaches the key
	// from the lease it had).
	Lease int64 `json:"lease,omitempty,string"`
	// PrevKv returns the key's state before the put.
	PrevKv bool `json:"prev_kv,omitempty"`
}

func (*PutRequest) endpoint() string { return "/kv/put" }

func (r *PutRequest) check() error {
	if len(r.Key) == 0 {
		return errors.New("a put needs a key")
	}
	if r.Lease < 0 {
		return errors.New("a lease id is never negative")
	}
	return nil
}

// PutResponse is the answer to a [PutRequest].
type PutResponse struct {
	Header ResponseHeader `json:"header"`
	PrevKv *KeyValue      `json:"prev_kv"`
}

// DeleteRangeRequest deletes a key, or the keys in [Key, RangeEnd) (rpc.proto
// DeleteRangeRequest; POST /v3/kv/deleterange). A follower that polls with ranges never sees
// a deletion: see [Tombstone].
type DeleteRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	// PrevKv returns what was deleted, to the deleter only.
	PrevKv bool `json:"prev_kv,omitempty"`
}

func (*DeleteRangeRequest) endpoint() string { return "/kv/deleterange" }

func (r *DeleteRangeRequest) check() error {
	if len(r.Key) == 0 {
		return errors.New("a delete needs a key")
	}
	return nil
}

// DeleteRangeResponse is the answer to a [DeleteRangeRequest].
type DeleteRangeResponse struct {
	Header  ResponseHeader `json:"header"`
	Deleted int64          `json:"deleted,string"`
	PrevKvs []KeyValue     `json:"prev_kvs"`
}
