package etcdv3

import "errors"

// CompactionRequest discards the store's history before Revision (rpc.proto
// CompactionRequest; POST /v3/kv/compaction): afterwards a read at an older revision fails
// with [ErrCompacted], and so does compacting again at or below it. Operators run it, or
// etcd's --auto-compaction-retention does; Exeunt never needs to, and its followers are not
// hurt by it (see [ChangesSince]). It is here for tests and tools.
type CompactionRequest struct {
	Revision int64 `json:"revision,string"`
	// Physical waits until the compacted entries are gone from the database file.
	Physical bool `json:"physical,omitempty"`
}

func (*CompactionRequest) endpoint() string { return "/kv/compaction" }

func (r *CompactionRequest) check() error {
	if r.Revision <= 0 {
		return errors.New("a compaction needs a revision")
	}
	return nil
}

// CompactionResponse is the answer to a [CompactionRequest].
type CompactionResponse struct {
	Header ResponseHeader `json:"header"`
}
