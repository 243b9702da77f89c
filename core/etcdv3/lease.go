package etcdv3

import "errors"

// MaxLeaseTTL is the longest lease etcd grants, in seconds (lease/lessor.go MaxLeaseTTL);
// longer fails with [ErrLeaseTTLTooLarge].
const MaxLeaseTTL = 9_000_000_000

// LeaseGrantRequest asks for a lease of TTL seconds (rpc.proto LeaseGrantRequest; POST
// /v3/lease/grant). Keys put with it are deleted when it expires or is revoked. etcd raises
// a TTL below its minimum (1.5 election timeouts, rounded up to a second: 2 s with the
// default timing; etcdserver/server.go minTTL) to that minimum, and says so in the answer's
// TTL. The lease's clock restarts when the leader changes (lessor Promote), so a lease lives
// at least TTL seconds, sometimes longer: never rely on it to end a record on time, only to
// clean it up.
type LeaseGrantRequest struct {
	TTL int64 `json:"TTL,string"`
	// ID asks for this lease id (0: etcd picks one). An id in use fails with
	// [ErrLeaseExists].
	ID int64 `json:"ID,omitempty,string"`
}

func (*LeaseGrantRequest) endpoint() string { return "/lease/grant" }

func (r *LeaseGrantRequest) check() error {
	if r.TTL <= 0 || r.TTL > MaxLeaseTTL {
		return errors.New("a lease's TTL is between 1 and 9000000000 seconds")
	}
	if r.ID < 0 {
		return errors.New("a lease id is never negative")
	}
	return nil
}

// LeaseGrantResponse is the answer to a [LeaseGrantRequest]: the lease's id and its TTL as
// granted.
type LeaseGrantResponse struct {
	_      [0]func()      // not comparable: no equality function in the module (core/nocompare.go)
	Header ResponseHeader `json:"header"`
	ID     int64          `json:"ID,string"`
	TTL    int64          `json:"TTL,string"`
	Error  string         `json:"error"`
}

// LeaseRevokeRequest ends a lease now and deletes every key attached to it (rpc.proto
// LeaseRevokeRequest; POST /v3/lease/revoke, also served as /v3/kv/lease/revoke). An
// unknown or expired lease fails with [ErrLeaseNotFound].
type LeaseRevokeRequest struct {
	ID int64 `json:"ID,string"`
}

func (*LeaseRevokeRequest) endpoint() string { return "/lease/revoke" }

func (r *LeaseRevokeRequest) check() error {
	if r.ID <= 0 {
		return errors.New("revoking a lease needs its id")
	}
	return nil
}

// LeaseRevokeResponse is the answer to a [LeaseRevokeRequest].
type LeaseRevokeResponse struct {
	Header ResponseHeader `json:"header"`
}

// LeaseKeepAliveRequest renews a lease for its whole granted TTL (rpc.proto LeaseKeepAlive,
// a bidirectional stream; POST /v3/lease/keepalive sends this one message and the gateway
// answers with one, wrapped as {"result": ...}). A replica renews the lease of a job it
// works on this way, one request per renewal.
type LeaseKeepAliveRequest struct {
	ID int64 `json:"ID,string"`
}

func (*LeaseKeepAliveRequest) endpoint() string { return "/lease/keepalive" }

func (r *LeaseKeepAliveRequest) check() error {
	if r.ID <= 0 {
		return errors.New("renewing a lease needs its id")
	}
	return nil
}

// LeaseKeepAliveResponse is the answer to a [LeaseKeepAliveRequest]: the lease's new TTL.
// etcd answers an unknown or expired lease with a TTL of 0 and no error (v3rpc/lease.go
// leaseKeepAlive); [ParseLeaseKeepAlive] turns that into [ErrLeaseNotFound].
type LeaseKeepAliveResponse struct {
	Header ResponseHeader `json:"header"`
	ID     int64          `json:"ID,string"`
	TTL    int64          `json:"TTL,string"`
}

// LeaseTimeToLiveRequest asks how long a lease has left, and with Keys which keys it holds
// (rpc.proto LeaseTimeToLiveRequest; POST /v3/lease/timetolive, also /v3/kv/lease/timetolive).
type LeaseTimeToLiveRequest struct {
	ID   int64 `json:"ID,string"`
	Keys bool  `json:"keys,omitempty"`
}

func (*LeaseTimeToLiveRequest) endpoint() string { return "/lease/timetolive" }

func (r *LeaseTimeToLiveRequest) check() error {
	if r.ID <= 0 {
		return errors.New("asking about a lease needs its id")
	}
	return nil
}

// LeaseTimeToLiveResponse is the answer to a [LeaseTimeToLiveRequest]. etcd answers an
// unknown or expired lease with TTL -1 (lease/lessor.go, v3rpc/lease.go); [ParseLeaseTimeToLive]
// turns that into [ErrLeaseNotFound].
type LeaseTimeToLiveResponse struct {
	Header     ResponseHeader `json:"header"`
	ID         int64          `json:"ID,string"`
	TTL        int64          `json:"TTL,string"`
	GrantedTTL int64          `json:"grantedTTL,string"`
	Keys       [][]byte       `json:"keys"`
}
