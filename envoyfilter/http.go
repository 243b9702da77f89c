package envoyfilter

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// httpContext is one HTTP stream (request and response).
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	engine engine // nil when the plugin has no working configuration
	id     uint32 // the host's id of the stream's context
	wait   *core.Wait

	req   core.Request // as read in the headers phase, for OnRequestBody
	state requestState
	// ended is set once the request has ended (end of stream on headers or body, or
	// trailers); bodySize is how much body the host has buffered so far.
	ended    bool
	bodySize int
	// trailersUnstripped is set when an identity header in the request's trailers could
	// not be removed: the request must then not go on (carryOut refuses it).
	trailersUnstripped bool

	// responseHeaders are added to the upstream's response (a refreshed cookie).
	responseHeaders []core.Header
	// responseEnded is set once the response has ended (end of stream on its headers or
	// body, or its trailers): only then may the context serve another stream.
	responseEnded bool
}

// requestState is where the request stands between callbacks.
type requestState uint8

const (
	flowing  requestState = iota // going on to the upstream (or not decided yet)
	held                         // paused until an HTTP call answers (or a wait ends: wait.go)
	reading                      // paused until the whole body has arrived
	answered                     // answered locally
)

func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	h.ended = endOfStream
	if h.engine == nil {
		return h.apply(core.NotConfigured())
	}
	pairs, err := h.plugin.requestHeaders()
	if err != nil {
		// Deciding about an empty request would let it through with nothing stripped:
		// a filter that cannot read the request refuses it (fail closed).
		proxywasm.LogErrorf("exeunt: cannot read the request headers, refusing the request: %v", err)
		return h.apply(core.RequestUnreadable())
	}
	h.req = toRequest(pairs)
	return h.apply(h.engine.OnRequestHeaders(h.req, time.Now()))
}

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	h.bodySize = bodySize
	if endOfStream {
		h.ended = true
	}
	switch h.state {
	case flowing:
		return types.ActionContinue
	case reading:
		if h.ended || bodySize > core.MaxRequestBody {
			return h.apply(h.bodyDecision())
		}
	}
	// Held (or answered): keep the body buffered so nothing reaches the upstream yet.
	return types.ActionPause
}

// OnHttpRequestTrailers first strips the identity headers from the request's trailers,
// as from its headers: Envoy forwards trailers to the app. Envoy lets a filter edit the
// request trailers only from this callback until the request goes on (Context::getMap,
// source/extensions/common/wasm/context.cc, envoyproxy/envoy b40935a), so it is done here,
// whatever the request's state. One that cannot be removed fails the request closed: at
// once if it was already going on, or when its decision would let it go on (carryOut).
func (h *httpContext) OnHttpRequestTrailers(int) types.Action {
	h.ended = true
	if h.state != answered && h.engine != nil && !h.stripTrailers() {
		h.trailersUnstripped = true
		if h.state == flowing {
			return h.refuseUnprepared()
		}
	}
	switch h.state {
	case flowing:
		return types.ActionContinue
	case reading: // trailers end a body that arrived without end of stream
		return h.apply(h.bodyDecision())
	}
	return types.ActionPause
}

// stripTrailers removes the request trailers core says to strip; false when the host
// would not read or remove them.
func (h *httpContext) stripTrailers() bool {
	pairs, err := getRequestTrailers()
	if err != nil {
		proxywasm.LogErrorf("exeunt: cannot read the request trailers, refusing the request: %v", err)
		return false
	}
	for _, name := range h.engine.StrippedTrailers(pairsAsHeaders(pairs)) {
		if err := removeRequestTrailer(name); err != nil {
			proxywasm.LogErrorf("exeunt: cannot remove request trailer %s, refusing the request: %v", name, err)
			return false
		}
	}
	return true
}

// bodyDecision hands the request body to the engine: all of it once the request has
// ended, or nothing (too large) as soon as it passes core.MaxRequestBody.
func (h *httpContext) bodyDecision() core.Decision {
	if h.bodySize > core.MaxRequestBody {
		return h.engine.OnRequestBody(h.req, nil, true, time.Now())
	}
	return h.engine.OnRequestBody(h.req, h.body(), false, time.Now())
}

// body reads the whole buffered request body.
func (h *httpContext) body() []byte {
	if h.bodySize == 0 {
		return []byte{}
	}
	b, err := proxywasm.GetHttpRequestBody(0, h.bodySize)
	if err != nil {
		// The endpoint then sees an empty body and refuses it as such.
		proxywasm.LogErrorf("exeunt: cannot read the request body (%d bytes): %v", h.bodySize, err)
		return []byte{}
	}
	return own(b)
}

// OnHttpResponseHeaders passes an upstream's response on: without any Set-Cookie for
// one of Exeunt's own cookies (core decides which; an app must not plant a session),
// then with the headers the engine added (a refreshed session cookie, and the caching
// fields that replace the app's on such an answer: core.ReplacesUpstream). Responses the
// filter sent itself (answered) are its own and left alone.
func (h *httpContext) OnHttpResponseHeaders(_ int, endOfStream bool) types.Action {
	h.responseEnded = endOfStream
	if h.engine != nil && h.state == flowing {
		h.filterSetCookies()
	}
	for _, hd := range h.responseHeaders {
		if core.ReplacesUpstream(hd.Name) {
			// The engine's caching rule for an answer carrying its cookie replaces the
			// app's (core.Decision): joined to "public, max-age" it would be ambiguous.
			// Every line of it goes first: Envoy's replace changes only the first line of
			// a name (Context::replaceHeaderMapValue calls HeaderMapImpl::setCopy;
			// TestEveryLineOfTheAppsCachingFieldsIsReplaced), its remove takes them all.
			if err := proxywasm.RemoveHttpResponseHeader(hd.Name); err != nil {
				proxywasm.LogErrorf("exeunt: cannot remove response header %s: %v", hd.Name, err)
			}
		}
		if err := proxywasm.AddHttpResponseHeader(hd.Name, hd.Value); err != nil {
			proxywasm.LogErrorf("exeunt: cannot add response header %s: %v", hd.Name, err)
		}
	}
	return types.ActionContinue
}

// filterSetCookies removes the upstream's Set-Cookie headers core says to drop. The
// host can only remove every value of a name, so when one goes the others are put
// back, in their order.
func (h *httpContext) filterSetCookies() {
	// Most responses set no cookie: one lookup of the name says so, without copying
	// every header out of the host.
	if _, err := proxywasm.GetHttpResponseHeader("set-cookie"); err == types.ErrorStatusNotFound || errors.Is(err, types.ErrorStatusNotFound) {
		return
	}
	pairs, err := proxywasm.GetHttpResponseHeaders()
	if err != nil {
		proxywasm.LogErrorf("exeunt: cannot read the response headers: %v", err)
		return
	}
	var setCookies []string
	for _, p := range pairs {
		if strings.EqualFold(p[0], "set-cookie") {
			setCookies = append(setCookies, p[1])
		}
	}
	if len(setCookies) == 0 {
		return
	}
	keep, dropped := h.engine.FilterResponseCookies(h.req, setCookies, time.Now())
	if !dropped {
		return
	}
	if err := proxywasm.RemoveHttpResponseHeader("set-cookie"); err != nil {
		proxywasm.LogErrorf("exeunt: cannot remove the upstream's set-cookie headers: %v", err)
		return
	}
	for _, v := range keep {
		if err := proxywasm.AddHttpResponseHeader("set-cookie", v); err != nil {
			proxywasm.LogErrorf("exeunt: cannot add back a set-cookie header: %v", err)
		}
	}
}

func (h *httpContext) OnHttpResponseBody(_ int, endOfStream bool) types.Action {
	if endOfStream {
		h.responseEnded = true
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseTrailers(int) types.Action {
	h.responseEnded = true
	return types.ActionContinue
}

// OnHttpStreamDone (proxy_on_log) hands the context back to the plugin context for the
// next stream, once nothing of this stream can reach it again but proxy_on_done and
// proxy_on_delete, which the SDK does not pass on for HTTP contexts:
//   - the request and the response have both ended. Envoy calls proxy_on_log once,
//     when the stream is complete (source/extensions/common/wasm/context.cc,
//     Context::log, returns early until stream_info.requestComplete(): "log may be
//     called multiple times due to mid-request logging", envoyproxy/envoy b40935a);
//     should a host ever log a stream before then, the context is simply not reused.
//     Both directions, not the response alone: a response can end before its request
//     (an upstream's early answer, a local reply while the body still comes), and a
//     host logging there would still owe the request's body or trailers to this
//     context, under the old stream's id;
//   - no HTTP call made for it can still answer (held): the SDK calls such an answer
//     back until proxy_on_delete, and the callback (resume) would act on another stream.
//
// A stream that never gets here (no log, a local answer whose response never passes
// this filter, a request that never ended) leaves its context to the collector, as
// before. What stays assumed of the host: it logs a stream at most once after both
// ends (Envoy's connection manager logs DownstreamEnd once, as its stream completes;
// conn_manager_impl.cc was not read for this at b40935a). A second log of
// an old stream after its context went to a new one would hand the new stream's context
// back while it lives; the guest cannot tell the two apart (the SDK passes no id).
func (h *httpContext) OnHttpStreamDone() {
	if !h.responseEnded || !h.ended || h.state == held || h.plugin == nil || len(h.plugin.idle) >= maxIdleContexts {
		return
	}
	p := h.plugin
	*h = httpContext{} // nothing of this stream outlives it
	p.idle = append(p.idle, h)
}

// apply carries out a decision and returns the action for the callback in progress.
// Background calls are handed to the plugin context last (with the SDK's emulator its
// wake-up runs at once, in the middle of this callback), then the tick period is set.
// Called in turn rather than deferred: a deferred call costs on every request in a Go
// guest (BENCHMARKS.md, "Issue 15: the signed-in path and the sign-out"), and a panic
// in a guest ends the VM anyway.
func (h *httpContext) apply(d core.Decision) types.Action {
	a := h.carryOut(d)
	h.plugin.background(d.Background)
	h.plugin.retick()
	return a
}

// carryOut is apply's work on the stream itself.
func (h *httpContext) carryOut(d core.Decision) types.Action {
	switch {
	case d.Response != nil:
		h.state = answered
		respond(d.Response)
		return types.ActionPause
	case d.Call != nil:
		h.state = held
		dispatch(d.Call, h.resumeAnywhere)
		return types.ActionPause
	case d.Wait != nil:
		h.state = held
		h.wait = d.Wait
		h.plugin.waiting = append(h.plugin.waiting, h)
		return types.ActionPause
	case d.ReadBody:
		h.state = reading
		if !h.ended && h.bodySize <= core.MaxRequestBody {
			return types.ActionPause // OnHttpRequestBody takes it from here
		}
		// What arrived while the request was held is all there is, or already too much.
		return h.apply(h.bodyDecision())
	}
	// A header the host would not remove or set fails the request closed: a forged
	// identity header left in place, or the session's own headers missing, would reach
	// the app as if Exeunt had vouched for the request.
	for _, name := range d.RemoveHeaders {
		if err := removeRequestHeader(name); err != nil {
			proxywasm.LogErrorf("exeunt: cannot remove request header %s, refusing the request: %v", name, err)
			return h.refuseUnprepared()
		}
	}
	for _, hd := range d.SetHeaders {
		if err := replaceRequestHeader(hd.Name, hd.Value); err != nil {
			proxywasm.LogErrorf("exeunt: cannot set request header %s, refusing the request: %v", hd.Name, err)
			return h.refuseUnprepared()
		}
	}
	if h.trailersUnstripped {
		return h.refuseUnprepared()
	}
	h.state = flowing
	h.responseHeaders = d.ResponseHeaders
	return types.ActionContinue
}

// refuseUnprepared answers a request the glue could not prepare for the app (a header
// the host would not remove or set) with core's refusal for it.
func (h *httpContext) refuseUnprepared() types.Action {
	h.state = answered
	respond(core.RequestUnprepared().Response)
	return types.ActionPause
}

// The host's request-header and trailer edits, variables so that a test can make the host refuse one
// (the SDK's emulator never does).
var (
	removeRequestHeader  = proxywasm.RemoveHttpRequestHeader
	replaceRequestHeader = proxywasm.ReplaceHttpRequestHeader
	getRequestTrailers   = proxywasm.GetHttpRequestTrailers
	removeRequestTrailer = proxywasm.RemoveHttpRequestTrailer
)

// resume applies the decision an HTTP call led to, outside the stream's own callbacks:
// a request that may now go on must be resumed explicitly.
func (h *httpContext) resume(d core.Decision) {
	if h.apply(d) == types.ActionContinue {
		if err := proxywasm.ResumeHttpRequest(); err != nil {
			proxywasm.LogErrorf("exeunt: cannot resume the request: %v", err)
		}
	}
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
// failed call that was not sent (NotSent), so the engine's error handling covers it too
// and knows nothing left: a write in it was not made.
func dispatch(c *core.Call, then func(core.Decision)) {
	headers := make([][2]string, 0, 3+len(c.Headers))
	headers = append(headers, [2]string{":method", c.Method}, [2]string{":path", c.Path}, [2]string{":authority", c.Authority})
	for _, hd := range c.Headers {
		headers = append(headers, [2]string{hd.Name, hd.Value})
	}
	timeout := uint32(c.Timeout / time.Millisecond)
	_, err := dispatchHttpCall(c.Cluster, headers, c.Body, nil, timeout, func(numHeaders, bodySize, _ int) {
		r := callResult(numHeaders, bodySize)
		r.At = time.Now()
		then(c.Then(r))
	})
	if err != nil {
		if !refusedClusters[c.Cluster] {
			refusedClusters[c.Cluster] = true
			proxywasm.LogErrorf("exeunt: HTTP call to cluster %q refused by the host: %v; "+
				"does this Envoy define a cluster of that name? The filter's configuration names it "+
				"(store.etcd.cluster, a provider's cluster or a client's backchannel_cluster). "+
				"Further refusals for this cluster are not logged by this VM", c.Cluster, err)
		}
		then(c.Then(core.CallResult{NotSent: true}))
	}
}

// dispatchHttpCall is the SDK's; a test replaces it to have a call refused, which the
// SDK's emulator never does (Envoy refuses a cluster it does not define).
var dispatchHttpCall = proxywasm.DispatchHttpCall

// refusedClusters are the clusters whose calls the host refused (Envoy does so for a
// cluster it does not define), logged once each: a cluster the store follows every tick
// would otherwise log a line per tick. The VM's module instance holds its own set; the
// failures themselves still reach core, which counts and handles them.
var refusedClusters = map[string]bool{}

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
		if body, err := proxywasm.GetHttpCallResponseBody(0, bodySize); err == nil {
			r.Body = own(body)
		}
	}
	return r
}

// toRequest turns the host's header pairs into a core.Request. Nothing is copied: the
// pairs' strings point into the one buffer the host filled for this call, which is
// the guest's own (see own), and Envoy's header names are lower-case already, so
// lowerName returns them as they are. Nor is anything allocated: the headers are
// written over the pairs slice itself (see pairsAsHeaders), which the caller gives up.
func toRequest(pairs [][2]string) core.Request {
	var r core.Request
	headers := pairsAsHeaders(pairs)[:0]
	for _, p := range pairs { // p is read before headers[len(headers)] is written: never ahead of it
		name, value := lowerName(p[0]), p[1]
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
				headers = append(headers, core.Header{Name: name, Value: value})
			}
		}
	}
	r.Headers = slices.Clip(headers)
	return r
}

// lowerName is strings.ToLower(name) without the call for the names Envoy hands over,
// which are lower-case ASCII already: one loop over the bytes, inlined, instead of a
// call per header (BENCHMARKS.md, "Issue 15: the signed-in path and the sign-out").
// Any other name goes through strings.ToLower, so the result is always the same.
func lowerName(name string) string {
	for i := 0; i < len(name); i++ {
		if b := name[i]; b >= 0x80 || 'A' <= b && b <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// pairsAsHeaders reads a slice of the SDK's [2]string header pairs as a slice of
// core.Header over the same array: both are two strings, name then value (checked
// below, at compile time). Turning the pairs into headers then needs no second slice,
// an allocation per request that a Go guest pays dearly for (BENCHMARKS.md, "Issue 15:
// the signed-in request's own work").
func pairsAsHeaders(pairs [][2]string) []core.Header {
	if len(pairs) == 0 {
		return nil
	}
	return unsafe.Slice((*core.Header)(unsafe.Pointer(unsafe.SliceData(pairs))), len(pairs))
}

// The layout pairsAsHeaders relies on: the same size, Name first and Value second.
// Any other layout makes one of these indexes non-zero, which does not compile.
var (
	_ = [1]struct{}{}[unsafe.Sizeof(core.Header{})-unsafe.Sizeof([2]string{})]
	_ = [1]struct{}{}[unsafe.Offsetof(core.Header{}.Name)]
	_ = [1]struct{}{}[unsafe.Offsetof(core.Header{}.Value)-unsafe.Sizeof("")]
)
