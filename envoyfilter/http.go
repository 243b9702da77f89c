package envoyfilter

import (
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// httpContext is one HTTP stream (request and response).
type httpContext struct {
	types.DefaultHttpContext
	engine *core.Engine
	// responseHeaders are added to the upstream's response (a refreshed cookie).
	responseHeaders []core.Header
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	if h.engine == nil {
		return h.apply(core.NotConfigured())
	}
	pairs, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		proxywasm.LogErrorf("exeunt: cannot read the request headers: %v", err)
	}
	return h.apply(h.engine.OnRequestHeaders(toRequest(pairs), time.Now()))
}

func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	for _, hd := range h.responseHeaders {
		if err := proxywasm.AddHttpResponseHeader(hd.Name, hd.Value); err != nil {
			proxywasm.LogErrorf("exeunt: cannot add response header %s: %v", hd.Name, err)
		}
	}
	return types.ActionContinue
}

// apply carries out a decision and returns the action that goes with it.
func (h *httpContext) apply(d core.Decision) types.Action {
	switch {
	case d.Response != nil:
		respond(d.Response)
		return types.ActionPause
	case d.Call != nil:
		dispatch(d.Call, func(next core.Decision) {
			if h.apply(next) == types.ActionContinue {
				if err := proxywasm.ResumeHttpRequest(); err != nil {
					proxywasm.LogErrorf("exeunt: cannot resume the request: %v", err)
				}
			}
		})
		return types.ActionPause
	}
	for _, name := range d.RemoveHeaders {
		if err := proxywasm.RemoveHttpRequestHeader(name); err != nil {
			proxywasm.LogErrorf("exeunt: cannot remove request header %s: %v", name, err)
		}
	}
	for _, hd := range d.SetHeaders {
		if err := proxywasm.ReplaceHttpRequestHeader(hd.Name, hd.Value); err != nil {
			proxywasm.LogErrorf("exeunt: cannot set request header %s: %v", hd.Name, err)
		}
	}
	h.responseHeaders = d.ResponseHeaders
	return types.ActionContinue
}

func respond(r *core.Response) {
	headers := make([][2]string, len(r.Headers))
	for i, hd := range r.Headers {
		headers[i] = [2]string{hd.Name, hd.Value}
	}
	if err := proxywasm.SendHttpResponse(uint32(r.Status), headers, r.Body, -1); err != nil {
		// Nothing else can answer the request, and letting it continue would skip the
		// filter; stay paused so Envoy's stream timeout ends it.
		proxywasm.LogErrorf("exeunt: cannot send the local %d response: %v", r.Status, err)
	}
}

// dispatch makes an HTTP call for the engine and hands the decision its result leads
// to to then. A call the host refuses (an unknown cluster) is answered at once as a
// failed call, so the engine's error handling covers it too.
func dispatch(c *core.Call, then func(core.Decision)) {
	headers := [][2]string{{":method", c.Method}, {":path", c.Path}, {":authority", c.Authority}}
	for _, hd := range c.Headers {
		headers = append(headers, [2]string{hd.Name, hd.Value})
	}
	timeout := uint32(c.Timeout / time.Millisecond)
	_, err := proxywasm.DispatchHttpCall(c.Cluster, headers, c.Body, nil, timeout, func(numHeaders, bodySize, _ int) {
		then(c.Then(callResult(numHeaders, bodySize)))
	})
	if err != nil {
		proxywasm.LogErrorf("exeunt: HTTP call to cluster %q refused by the host: %v", c.Cluster, err)
		then(c.Then(core.CallResult{}))
	}
}

func callResult(numHeaders, bodySize int) core.CallResult {
	if numHeaders == 0 {
		return core.CallResult{} // Envoy's answer to a failed call: no headers at all
	}
	var r core.CallResult
	pairs, err := proxywasm.GetHttpCallResponseHeaders()
	if err != nil {
		return r
	}
	for _, p := range pairs {
		if p[0] == ":status" {
			r.Status, _ = strconv.Atoi(p[1])
			continue
		}
		r.Headers = append(r.Headers, core.Header{Name: strings.ToLower(p[0]), Value: p[1]})
	}
	if bodySize > 0 {
		body, err := proxywasm.GetHttpCallResponseBody(0, bodySize)
		if err == nil {
			// The SDK's slice may point into memory the host reuses: copy.
			r.Body = append([]byte(nil), body...)
		}
	}
	return r
}

// toRequest turns the host's header pairs into a core.Request. Strings are copied, as
// the SDK's may alias guest memory the host writes into later.
func toRequest(pairs [][2]string) core.Request {
	var r core.Request
	for _, p := range pairs {
		name, value := strings.ToLower(p[0]), strings.Clone(p[1])
		switch name {
		case ":method":
			r.Method = value
		case ":path":
			r.Path = value
		case ":authority":
			r.Authority = value
		case ":scheme":
			r.Scheme = value
		default:
			if !strings.HasPrefix(name, ":") {
				r.Headers = append(r.Headers, core.Header{Name: strings.Clone(name), Value: value})
			}
		}
	}
	return r
}
