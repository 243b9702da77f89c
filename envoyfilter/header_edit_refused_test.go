package envoyfilter

import (
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// A request whose header edits the host refuses does not go on: an incoming identity
// header left in place would reach the app as if Exeunt had set it (fail closed). The
// SDK's emulator never refuses an edit, so the refusal is what Envoy's
// Context::removeHeaderMapValue / replaceHeaderMapValue return when the stream's map is
// gone (BadArgument; NotFound in older hosts).
func TestARefusedHeaderEditRefusesTheRequest(t *testing.T) {
	defer func(r func(string) error, s func(string, string) error) {
		removeRequestHeader, replaceRequestHeader = r, s
	}(removeRequestHeader, replaceRequestHeader)
	sdkRemove, sdkReplace := removeRequestHeader, replaceRequestHeader

	decision := core.Decision{
		RemoveHeaders: []string{"x-exeunt-user"},
		SetHeaders:    []core.Header{{Name: "x-exeunt-user", Value: "alice"}},
	}
	for _, c := range []struct {
		name           string
		refuseRemove   bool
		refuseReplace  bool
		afterACall     bool
		wantRefused    bool
		wantLogMention string
	}{
		{name: "edits made", wantRefused: false},
		{name: "remove refused", refuseRemove: true, wantRefused: true, wantLogMention: "cannot remove request header x-exeunt-user"},
		{name: "set refused", refuseReplace: true, wantRefused: true, wantLogMention: "cannot set request header x-exeunt-user"},
		{name: "remove refused after a call", refuseRemove: true, afterACall: true, wantRefused: true, wantLogMention: "cannot remove request header x-exeunt-user"},
	} {
		t.Run(c.name, func(t *testing.T) {
			removeRequestHeader = func(name string) error {
				if c.refuseRemove {
					return types.ErrorStatusBadArgument
				}
				return sdkRemove(name)
			}
			replaceRequestHeader = func(name, value string) error {
				if c.refuseReplace {
					return types.ErrorStatusBadArgument
				}
				return sdkReplace(name, value)
			}
			host := startScripted(t, &scripted{onHeaders: func(core.Request) core.Decision {
				if !c.afterACall {
					return decision
				}
				return core.Decision{Call: &core.Call{Cluster: "idp", Method: "GET", Path: "/", Authority: "idp",
					Then: func(core.CallResult) core.Decision { return decision }}}
			}})
			id := host.InitializeHttpContext()
			forged := [][2]string{{":method", "GET"}, {":path", "/app"}, {":authority", "x"}, {"x-exeunt-user", "mallory"}}
			a := host.CallOnRequestHeaders(id, forged, true)
			if c.afterACall {
				if a != types.ActionPause {
					t.Fatalf("headers: %v, want pause for the call", a)
				}
				calls := host.GetCalloutAttributesFromContext(id)
				if len(calls) != 1 {
					t.Fatalf("%d calls dispatched, want 1", len(calls))
				}
				host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}}, nil, nil)
			}
			sent := host.GetSentLocalResponse(id)
			if !c.wantRefused {
				if a != types.ActionContinue || sent != nil {
					t.Fatalf("action %v, local response %+v; want the request to go on", a, sent)
				}
				got := host.GetCurrentRequestHeaders(id)
				if got[len(got)-1] != [2]string{"x-exeunt-user", "alice"} {
					t.Fatalf("request headers %q, want the identity header set by the filter", got)
				}
				return
			}
			if sent == nil || sent.StatusCode != 503 {
				t.Fatalf("local response %+v, want 503: the request must not reach the app", sent)
			}
			if !c.afterACall && a != types.ActionPause {
				t.Fatalf("headers: %v, want pause after the local response", a)
			}
			if st := host.GetCurrentHttpStreamAction(id); st == types.ActionContinue {
				t.Fatal("the request was resumed toward the app after a refused header edit")
			}
			logs := strings.Join(host.GetErrorLogs(), "\n")
			if !strings.Contains(logs, c.wantLogMention) || !strings.Contains(logs, "refusing the request") {
				t.Fatalf("error logs %q, want one naming %q and the refusal", logs, c.wantLogMention)
			}
			host.CompleteHttpContext(id)
		})
	}
}
