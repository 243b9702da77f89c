package envoyfilter

import (
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// A request whose forged identity trailer the host would not remove never reaches the
// app: refused at once when it was already going on, or when its decision (after a
// call) would let it go on. The SDK's emulator never refuses the removal; Envoy answers
// BadArgument when the stream has no request trailer map (Context::getMap).
func TestARefusedTrailerRemovalRefusesTheRequest(t *testing.T) {
	defer func(r func(string) error) { removeRequestTrailer = r }(removeRequestTrailer)
	removeRequestTrailer = func(string) error { return types.ErrorStatusBadArgument }
	for _, afterACall := range []bool{false, true} {
		name := map[bool]string{false: "going on", true: "held by a call"}[afterACall]
		t.Run(name, func(t *testing.T) {
			host := startScripted(t, &scripted{onHeaders: func(core.Request) core.Decision {
				if !afterACall {
					return core.Decision{}
				}
				return core.Decision{Call: &core.Call{Cluster: "idp", Method: "GET", Path: "/", Authority: "idp",
					Then: func(core.CallResult) core.Decision { return core.Decision{} }}}
			}})
			id := host.InitializeHttpContext()
			host.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/app"}, {":authority", "x"}}, false)
			a := host.CallOnRequestTrailers(id, [][2]string{{"x-exeunt-user", "mallory"}})
			if a != types.ActionPause {
				t.Fatalf("trailers: %v, want pause", a)
			}
			if afterACall {
				calls := host.GetCalloutAttributesFromContext(id)
				if len(calls) != 1 {
					t.Fatalf("%d calls dispatched, want 1", len(calls))
				}
				host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}}, nil, nil)
			}
			if sent := host.GetSentLocalResponse(id); sent == nil || sent.StatusCode != 503 {
				t.Fatalf("local response %+v, want 503: the request must not reach the app", sent)
			}
			if st := host.GetCurrentHttpStreamAction(id); st == types.ActionContinue {
				t.Fatal("the request was resumed toward the app with a forged trailer in place")
			}
			if logs := strings.Join(host.GetErrorLogs(), "\n"); !strings.Contains(logs, "cannot remove request trailer x-exeunt-user, refusing the request") {
				t.Fatalf("error logs %q, want one naming the trailer and the refusal", logs)
			}
			host.CompleteHttpContext(id)
		})
	}
}
