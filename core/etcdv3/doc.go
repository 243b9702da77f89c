// Package etcdv3 speaks etcd's v3 API through its HTTP/JSON gateway, without doing any I/O:
// it builds each call's path, headers and JSON body ([Gateway.Request]) and reads the answer
// ([Gateway.ParseRange] and the like), so that whoever can send an HTTP request (Exeunt's
// filter, through a Proxy-Wasm callout to an Envoy cluster in front of etcd) can use etcd as
// the fleet's store. It imports only the standard library, so that core can use it.
//
// The gateway is grpc-gateway in front of etcd's gRPC services: every call is a POST of the
// rpc's request message in JSON to the path of its google.api.http option, answered with the
// response message, or with an error body {"error": ..., "message": ..., "code": <gRPC code>}
// and an HTTP status derived from the code. In the JSON, bytes (keys, values) are standard
// base64, 64-bit integers (revisions, lease ids, TTLs, counts) are decimal strings, enums
// are names, and zero values are left out. Everything here follows etcd v3.4.23's
// etcdserver/etcdserverpb/rpc.proto (the version Debian 12 ships as etcd-server), and was
// checked against that server; etcd's main branch (api/etcdserverpb/rpc.proto) keeps the same
// paths.
//
// The calls, with the rpc each one is (rpc.proto, service KV, Lease and Auth):
//
//   - [RangeRequest]: KV.Range, POST /v3/kv/range: a key or a range, with a limit,
//     keys_only or count_only, at a past revision, filtered by min_mod_revision.
//   - [PutRequest]: KV.Put, POST /v3/kv/put, optionally on a lease.
//   - [DeleteRangeRequest]: KV.DeleteRange, POST /v3/kv/deleterange.
//   - [TxnRequest]: KV.Txn, POST /v3/kv/txn: compares on version, create_revision,
//     mod_revision, value or lease, then one branch of puts, ranges and deletes, atomically.
//     [CreateIfAbsent] (single-use claims), [CompareAndSwap] (job leases, updates that lose
//     nothing) and [CompareAndDelete] build the common ones; [TxnResponse.Current] reads the
//     loser's view.
//   - [LeaseGrantRequest], [LeaseRevokeRequest], [LeaseKeepAliveRequest],
//     [LeaseTimeToLiveRequest]: Lease.LeaseGrant, LeaseRevoke, LeaseKeepAlive (one message
//     of the stream), LeaseTimeToLive, POST /v3/lease/{grant,revoke,keepalive,timetolive}.
//   - [AuthenticateRequest]: Auth.Authenticate, POST /v3/auth/authenticate: a user and
//     password for a token, sent in the authorization header of every further call.
//   - [CompactionRequest]: KV.Compact, POST /v3/kv/compaction (tests and tools).
//
// Around the calls:
//
//   - [Error] is any refusal, matched with errors.Is against the package's errors, each
//     with what to do ([ErrCompacted], [ErrInvalidAuthToken], [ErrUnavailable], ...). An
//     answer that is not etcd's (an Envoy 503 when the cluster is down) is an Error too.
//   - [Layout] places records under a configurable prefix, one space per kind.
//   - [ChangesSince], [ReadChanges], [Reload], [NextReload] and [Tombstone] are how a
//     replica follows a space by polling, since it cannot hold a watch stream: see
//     changes.go and RATIONALE.md ("Why etcd through its JSON gateway, and how a replica
//     follows it").
//
// Limits: a request body is at most [MaxRequestBytes] (etcd's own default), an answer read
// at most [MaxResponseBytes], a key built at most [MaxKeyBytes], a transaction branch at
// most [MaxTxnOps] operations.
//
// Authentication: with etcd's user and password authentication, [AuthenticateRequest] gives
// a token for the authorization header. With mTLS on the Envoy cluster instead, note that
// etcd 3.4 refuses gateway requests whose client certificate has a CommonName when
// authentication is on (embed/serve.go, accessController): the certificate secures the
// connection, and the user and password say who is calling.
package etcdv3
