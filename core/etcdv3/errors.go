package etcdv3

import (
	"errors"
	"fmt"
)

// Code is a gRPC status code, as the gateway's error body carries it ("code": 11).
type Code int

// The gRPC codes etcd answers with (google.golang.org/grpc/codes).
const (
	CodeOK                 Code = 0
	CodeCanceled           Code = 1
	CodeUnknown            Code = 2
	CodeInvalidArgument    Code = 3
	CodeDeadlineExceeded   Code = 4
	CodeNotFound           Code = 5
	CodeAlreadyExists      Code = 6
	CodePermissionDenied   Code = 7
	CodeResourceExhausted  Code = 8
	CodeFailedPrecondition Code = 9
	CodeAborted            Code = 10
	CodeOutOfRange         Code = 11
	CodeUnimplemented      Code = 12
	CodeInternal           Code = 13
	CodeUnavailable        Code = 14
	CodeDataLoss           Code = 15
	CodeUnauthenticated    Code = 16
)

var codeNames = [...]string{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
	"NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// The errors an etcd answer can be matched against with errors.Is. Each is one of etcd
// 3.4's server errors (etcdserver/api/v3rpc/rpctypes/error.go), recognised by its message,
// except [ErrUnavailable], which is a class.
var (
	// ErrCompacted: a read (or a compaction) at a revision older than the last compaction.
	// A follower that pinned a revision starts again from the current one.
	ErrCompacted = errors.New("etcdv3: the revision has been compacted")
	// ErrFutureRevision: a revision newer than the store's.
	ErrFutureRevision = errors.New("etcdv3: the revision is in the future")
	// ErrLeaseNotFound: the lease expired or was revoked (or never existed). Whatever it
	// held is gone; grant a new one and write again.
	ErrLeaseNotFound = errors.New("etcdv3: the lease was not found (expired or revoked)")
	// ErrLeaseExists: a grant asked for an id in use.
	ErrLeaseExists = errors.New("etcdv3: the lease id is in use")
	// ErrLeaseTTLTooLarge: a grant over [MaxLeaseTTL].
	ErrLeaseTTLTooLarge = errors.New("etcdv3: the lease TTL is too large")
	// ErrAuthFailed: a wrong user name or password. Repeating it will not help: the
	// configuration is wrong.
	ErrAuthFailed = errors.New("etcdv3: authentication failed: wrong etcd user name or password")
	// ErrInvalidAuthToken: the token expired (simple tokens live --auth-token-ttl after
	// their last use and die with a restart) or was never valid: authenticate again, then
	// repeat the request.
	ErrInvalidAuthToken = errors.New("etcdv3: the auth token is not valid (expired, or etcd restarted): authenticate again")
	// ErrTokenRequired: authentication is on and the request carried no token (etcd says
	// "user name is empty").
	ErrTokenRequired = errors.New("etcdv3: etcd requires authentication: the request carried no token")
	// ErrPermissionDenied: the user's roles do not cover the key.
	ErrPermissionDenied = errors.New("etcdv3: permission denied: the etcd user's role does not cover the key prefix")
	// ErrAuthNotEnabled: authenticating where authentication is off.
	ErrAuthNotEnabled = errors.New("etcdv3: etcd authentication is not enabled")
	// ErrNoSpace: the database is over its quota (--quota-backend-bytes): etcd refuses
	// writes until an operator compacts, defragments and disarms the alarm.
	ErrNoSpace = errors.New("etcdv3: etcd's database space is exceeded")
	// ErrRequestTooLarge: over --max-request-bytes.
	ErrRequestTooLarge = errors.New("etcdv3: the request is too large for etcd")
	// ErrTooManyOps: a transaction branch over --max-txn-ops.
	ErrTooManyOps = errors.New("etcdv3: too many operations in the transaction")
	// ErrDuplicateKey: a transaction branch that writes a key twice.
	ErrDuplicateKey = errors.New("etcdv3: the transaction writes a key twice")
	// ErrUnavailable: etcd cannot serve now (no leader, a timeout, stopping, too many
	// requests, a gateway in front of it that could not reach it): the request may be
	// repeated later, and a write may or may not have happened.
	ErrUnavailable = errors.New("etcdv3: etcd is unavailable")
)

// knownErrors maps etcd's error messages to the errors above, each with a hint that says
// what to do. A table read by a loop, not two map literals: Go's wasm builds a map
// literal in code, one map assignment call sequence per entry (9.7 KB of the module for
// these two; BENCHMARKS.md, "Issue 15: Exeunt's own code, cut by function"), and the
// table is read only when etcd refuses something.
var knownErrors = [...]struct {
	message string
	err     error
	hint    string
}{
	{"etcdserver: mvcc: required revision has been compacted", ErrCompacted,
		"read again from the current revision"},
	{"etcdserver: mvcc: required revision is a future revision", ErrFutureRevision,
		"the revision came from another cluster, or from before a restore"},
	{"etcdserver: requested lease not found", ErrLeaseNotFound,
		"the lease expired or was revoked, with the keys it held: grant a new one"},
	{"etcdserver: lease already exists", ErrLeaseExists,
		"grant with another id, or let etcd pick one"},
	{"etcdserver: too large lease TTL", ErrLeaseTTLTooLarge,
		"use a TTL of at most 9000000000 seconds"},
	{"etcdserver: authentication failed, invalid user ID or password", ErrAuthFailed,
		"check the etcd user name and password in the configuration"},
	{"etcdserver: invalid auth token", ErrInvalidAuthToken,
		"authenticate again and repeat the request"},
	{"etcdserver: user name is empty", ErrTokenRequired,
		"configure an etcd user and password (authentication is on)"},
	{"etcdserver: permission denied", ErrPermissionDenied,
		"grant the etcd user's role read and write on the configured key prefix"},
	{"etcdserver: authentication is not enabled", ErrAuthNotEnabled,
		"remove the etcd user and password from the configuration, or enable authentication in etcd"},
	{"etcdserver: mvcc: database space exceeded", ErrNoSpace,
		"an operator must compact and defragment etcd and disarm its NOSPACE alarm"},
	{"etcdserver: request is too large", ErrRequestTooLarge,
		"split the request, or raise etcd's --max-request-bytes"},
	{"etcdserver: too many operations in txn request", ErrTooManyOps,
		"split the transaction, or raise etcd's --max-txn-ops"},
	{"etcdserver: duplicate key given in txn request", ErrDuplicateKey,
		"write each key once per transaction branch"},
	{"etcdserver: too many requests", ErrUnavailable,
		"repeat later; a write may or may not have happened"},
}

// knownError is the package's error for an etcd error message, or nil.
func knownError(message string) error {
	for i := range knownErrors {
		if k := &knownErrors[i]; k.message == message {
			return k.err
		}
	}
	return nil
}

// hint says what to do about known, one of the package's errors.
func hint(known error) string {
	for i := range knownErrors {
		if k := &knownErrors[i]; k.err == known {
			return k.hint
		}
	}
	return ""
}

// Error is a refusal from etcd, or an answer that did not come from etcd at all (an Envoy
// 503 when the cluster cannot be reached, for one).
type Error struct {
	_ [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	// Path is the gateway path the request went to.
	Path string
	// HTTPStatus is the answer's status (etcd's gateway maps the gRPC code onto it: 400 for
	// InvalidArgument, FailedPrecondition and OutOfRange, 401, 403, 404, 429, 503, ...).
	HTTPStatus int
	// Code and Message are etcd's, from the body {"error": ..., "message": ..., "code": ...}.
	// For an answer that is not etcd's, Code is CodeUnknown and Message says what came.
	Code    Code
	Message string
	// NotEtcd is set when the body was not the gateway's error JSON.
	NotEtcd bool
	known   error
}

func (e *Error) Error() string {
	if e.NotEtcd {
		return fmt.Sprintf("etcdv3: %s: HTTP %d, not an answer from etcd's gateway: %s", e.Path, e.HTTPStatus, e.Message)
	}
	s := fmt.Sprintf("etcdv3: %s: %s (gRPC %s, HTTP %d)", e.Path, e.Message, e.Code, e.HTTPStatus)
	if e.known != nil {
		s += ": " + hint(e.known)
	}
	return s
}

// Is matches e against the package's errors: by etcd's message, and [ErrUnavailable] for
// gRPC Unavailable and DeadlineExceeded, etcd's "too many requests", and a 502, 503 or 504
// that did not come from etcd.
func (e *Error) Is(target error) bool {
	if target == ErrUnavailable {
		return e.known == ErrUnavailable || e.Code == CodeUnavailable || e.Code == CodeDeadlineExceeded ||
			(e.NotEtcd && (e.HTTPStatus == 502 || e.HTTPStatus == 503 || e.HTTPStatus == 504))
	}
	return e.known != nil && e.known == target
}

// newError builds the Error for an etcd error body's code and message.
func newError(path string, status int, code Code, message string) *Error {
	e := &Error{Path: path, HTTPStatus: status, Code: code, Message: message}
	e.known = knownError(message)
	if len(message) > 200 {
		e.Message = excerpt([]byte(message)) // it ends up in logs: keep it short
	}
	if e.known == nil && (code == CodeUnavailable || code == CodeDeadlineExceeded) {
		e.known = ErrUnavailable
	}
	return e
}
