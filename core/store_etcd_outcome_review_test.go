package core

import (
	"errors"
	"testing"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// Found in review: etcd's answers that do not show the write was refused. A member that is
// stopping cancels what its gateway had sent to its own gRPC server ("grpc: the client
// connection is closing", code Canceled), and a proposal whose context ended answers
// "etcdserver: request canceled" (code Canceled, rpctypes.ErrGRPCCanceled): either may
// already be in the raft log, which the other members commit. Unknown and Internal are
// what the gateway answers for an error it cannot place. Before, every code but
// Unavailable and DeadlineExceeded counted as "not made", so the page said "You are still
// signed in" of a sign-out that could still take effect.
func TestWriteOutcomeOfEtcdAnswersThatRefuseNothing(t *testing.T) {
	gw := etcdv3.Gateway{}
	for _, c := range []struct {
		name    string
		status  int
		body    string
		unknown bool
	}{
		{"etcd: gateway's connection closing", 408, `{"error":"grpc: the client connection is closing","message":"grpc: the client connection is closing","code":1}`, true},
		{"etcd: request canceled", 408, `{"error":"etcdserver: request canceled","message":"etcdserver: request canceled","code":1}`, true},
		{"etcd: unknown", 500, `{"error":"something","message":"something","code":2}`, true},
		{"etcd: internal", 500, `{"error":"transport: EOF","message":"transport: EOF","code":13}`, true},
		{"etcd: data loss", 500, `{"error":"etcdserver: corrupt cluster","message":"etcdserver: corrupt cluster","code":15}`, true},
		{"etcd: invalid argument", 400, `{"error":"etcdserver: duplicate key given in txn request","message":"etcdserver: duplicate key given in txn request","code":3}`, false},
		{"etcd: no space", 503, `{"error":"etcdserver: mvcc: database space exceeded","message":"etcdserver: mvcc: database space exceeded","code":8}`, false},
		{"etcd: not authenticated", 401, `{"error":"etcdserver: invalid auth token","message":"etcdserver: invalid auth token","code":16}`, false},
		{"etcd: failed precondition", 400, `{"error":"etcdserver: not leader","message":"etcdserver: not leader","code":9}`, false},
	} {
		_, err := gw.ParseTxn(c.status, []byte(c.body))
		if err == nil {
			t.Fatalf("%s: the answer parsed", c.name)
		}
		if got := writeOutcome(c.status, []byte(c.body), err); errors.Is(got, errOutcomeUnknown) != c.unknown {
			t.Errorf("%s: unknown %v, want %v (%v)", c.name, errors.Is(got, errOutcomeUnknown), c.unknown, got)
		}
	}
}
