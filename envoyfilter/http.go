package envoyfilter

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// httpContext is one HTTP stream (request and response).
type httpContext struct {
	types.DefaultHttpContext
	engine *core.Engine
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	if h.engine == nil {
		return apply(core.NotConfigured())
	}
	// A missing pseudo-header reads as "", which core treats like any unknown path.
	method, _ := proxywasm.GetHttpRequestHeader(":method")
	path, _ := proxywasm.GetHttpRequestHeader(":path")
	return apply(h.engine.OnRequestHeaders(core.Request{Method: method, Path: path}))
}

// apply carries out a decision and returns the action that goes with it.
func apply(d core.Decision) types.Action {
	if d.Continues() {
		return types.ActionContinue
	}
	r := d.Response
	headers := make([][2]string, len(r.Headers))
	for i, h := range r.Headers {
		headers[i] = [2]string{h.Name, h.Value}
	}
	if err := proxywasm.SendHttpResponse(uint32(r.Status), headers, r.Body, -1); err != nil {
		// Nothing else can answer the request, and letting it continue would skip the
		// filter; stay paused so Envoy's stream timeout ends it.
		proxywasm.LogErrorf("exeunt: cannot send the local %d response: %v", r.Status, err)
	}
	return types.ActionPause
}
