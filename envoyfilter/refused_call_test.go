package envoyfilter

import (
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// A call the host refuses to dispatch reaches core as not sent (NotSent), so a write in it
// counts as not made; a call that is dispatched and then fails (Envoy's answer without
// headers) does not. Before, both reached core as the same empty result. The SDK's
// emulator never refuses a call, so the host's refusal is what Envoy returns for a
// cluster it does not define: BadArgument.
func TestACallTheHostRefusesReachesCoreAsNotSent(t *testing.T) {
	defer func(d func(string, [][2]string, []byte, [][2]string, uint32, func(int, int, int)) (uint32, error)) {
		dispatchHttpCall = d
	}(dispatchHttpCall)
	refuse := true
	sdkDispatch := dispatchHttpCall
	dispatchHttpCall = func(cluster string, h [][2]string, b []byte, tr [][2]string, ms uint32, cb func(int, int, int)) (uint32, error) {
		if refuse {
			return 0, types.ErrorStatusBadArgument
		}
		return sdkDispatch(cluster, h, b, tr, ms, cb)
	}
	var got []core.CallResult
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision {
			return core.Decision{Call: &core.Call{Cluster: "no_such_cluster", Method: "POST", Path: "/v3/kv/txn", Authority: "etcd",
				Then: func(r core.CallResult) core.Decision {
					got = append(got, r)
					return core.Respond(&core.Response{Status: 503})
				}}}
		},
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/"}}, true)
	if len(got) != 1 || !got[0].NotSent || got[0].Status != 0 {
		t.Fatalf("a refused call reached core as %+v, want one result, not sent", got)
	}
	if host.GetSentLocalResponse(id) == nil {
		t.Fatal("the decision after a refused call did not answer the request")
	}

	refuse = false
	got = nil
	id = host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/"}}, true)
	calls := host.GetCalloutAttributesFromContext(id)
	if len(calls) != 1 {
		t.Fatalf("%d calls dispatched, want 1", len(calls))
	}
	host.CallOnHttpCallResponse(calls[0].CalloutID, nil, nil, nil) // Envoy's answer to a failed call
	if len(got) != 1 || got[0].NotSent || got[0].Status != 0 {
		t.Fatalf("a dispatched call that failed reached core as %+v, want one failed result that was sent", got)
	}
}
