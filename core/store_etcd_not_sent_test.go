package core

import (
	"errors"
	"testing"
	"time"
)

// Found in review: a call the host refuses to dispatch (Envoy does for a cluster it does
// not define) never left, so a write in it was not made; before, it reached the store as
// the empty result of a failed call, "not confirmed", and a sign-out said it might still
// take effect. Every write the etcd backend makes (a revocation's put after its
// lease, a single-use claim's) is answered here by a refusal to send, and then, for
// contrast, by a dispatched call that got no answer.
func TestAWriteTheHostRefusedToSendWasNotMade(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		name    string
		answer  CallResult
		unknown bool
	}{
		{"refused by the host", CallResult{NotSent: true}, false},
		{"sent, no answer", CallResult{}, true},
	} {
		p, _, err := newEtcdPorts(etcdTestSettings(), func(s string) { t.Log(s) })
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		o := etcdOps{t, func(_ testing.TB, call *Call) CallResult {
			paths = append(paths, call.Path)
			if call.Path == "/v3/lease/grant" {
				return CallResult{Status: 200, Body: []byte(`{"header":{"revision":"1"},"ID":"7","TTL":"3600"}`)}
			}
			return c.answer
		}}
		err = o.revoke(p, "s", now)
		if len(paths) != 2 {
			t.Fatalf("%s: the revocation made the calls %v, want its lease then its write", c.name, paths)
		}
		if err == nil || errors.Is(err, errOutcomeUnknown) != c.unknown {
			t.Errorf("%s: revocation (calls %v): %v, want an error with unknown outcome %v", c.name, paths, err, c.unknown)
		}
		paths = nil
		_, err = o.claim(p, "x", now)
		if err == nil || errors.Is(err, errOutcomeUnknown) != c.unknown {
			t.Errorf("%s: claim (calls %v): %v, want an error with unknown outcome %v", c.name, paths, err, c.unknown)
		}
	}
	if got := writeOutcome(0, nil, errCallNotSent); got != errCallNotSent {
		t.Errorf("writeOutcome of a call not sent: %v", got)
	}
}
