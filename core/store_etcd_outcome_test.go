package core

import (
	"errors"
	"testing"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// Which failed writes may still be applied: everything but etcd's own refusal and Envoy's
// answers for a connection that was never made.
func TestWriteOutcome(t *testing.T) {
	gw := etcdv3.Gateway{}
	for _, c := range []struct {
		name    string
		status  int
		body    string
		unknown bool
	}{
		{"no answer (a reset)", 0, "", true},
		{"Envoy: the call's timeout", 504, "upstream request timeout", true},
		{"Envoy: cut after sending", 503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination", true},
		{"etcd: request timed out", 503, `{"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14}`, true},
		{"etcd: leader changed", 503, `{"error":"etcdserver: leader changed","message":"etcdserver: leader changed","code":14}`, true},
		{"a 200 that does not parse", 200, "{", true},
		{"Envoy: connection refused", 503, "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused", false},
		{"Envoy: connect timeout", 503, "upstream connect error or disconnect/reset before headers. reset reason: connection timeout", false},
		{"Envoy: no endpoint", 503, "no healthy upstream", false},
		{"etcd: lease not found", 404, `{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}`, false},
		{"etcd: permission denied", 403, `{"error":"etcdserver: permission denied","message":"etcdserver: permission denied","code":7}`, false},
	} {
		_, err := gw.ParseTxn(c.status, []byte(c.body))
		if err == nil {
			t.Fatalf("%s: the answer parsed", c.name)
		}
		got := writeOutcome(c.status, []byte(c.body), err)
		if errors.Is(got, errOutcomeUnknown) != c.unknown || !errors.Is(got, err) {
			t.Errorf("%s: %v (unknown %v), want unknown %v, wrapping the parse error", c.name, got, errors.Is(got, errOutcomeUnknown), c.unknown)
		}
	}
	if writeOutcome(200, nil, nil) != nil {
		t.Error("no error became one")
	}
}
