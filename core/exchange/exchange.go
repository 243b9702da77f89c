package exchange

import "time"

// Request is what the engine needs to know about a request, as read from its headers.
type Request struct {
	Method    string   // the :method pseudo-header
	Path      string   // the :path pseudo-header, query included
	Authority string   // the :authority pseudo-header (the Host)
	Scheme    string   // the :scheme pseudo-header
	Headers   []Header // every other request header, lower-case names, in order
}

// Header is one header. Headers are kept as ordered pairs, not a map, because some
// (Set-Cookie) repeat and order can matter.
type Header struct {
	Name, Value string
}

// Response is an HTTP response the filter sends itself instead of passing the request on.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
}

// Decision is what the glue must do with a request. Exactly one of five things:
//   - Response != nil: answer the request with it;
//   - Call != nil: make the HTTP call, keep the request paused, and hand the result to
//     Call.Then, which returns the next Decision;
//   - Wait != nil: keep the request paused with nothing to send now, and call Wait.Then
//     with the time at the plugin's next tick (and after the answer of any background
//     call), until it returns a Decision without Wait; the engine's TickPeriod is short
//     while it waits (a sign-out waiting for the other replicas: store_etcd_barrier.go);
//   - ReadBody: keep the request paused, buffer its body (at most MaxRequestBody bytes)
//     and hand it to the engine's OnRequestBody, which returns the next Decision;
//   - none of these: let the request continue to the upstream, after removing the
//     request headers in RemoveHeaders and setting those in SetHeaders, and add
//     ResponseHeaders to the upstream's response (a refreshed session cookie, say); a
//     caching field among them (ReplacesUpstream) replaces the upstream's own instead of
//     joining it.
//
// Whatever the case, the calls in Background are made at once and in parallel, without
// holding up the request: back-channel logout notifications, say. Their Then is called
// with the result like any call's; of the Decision it returns only Background and Call
// are followed (there is no request left to answer).
type Decision struct {
	Response *Response
	Call     *Call
	Wait     *Wait
	ReadBody bool

	RemoveHeaders   []string
	SetHeaders      []Header
	ResponseHeaders []Header

	Background []*Call
}

// ReplacesUpstream reports whether a header of a Decision's ResponseHeaders replaces the
// upstream's header of that name rather than being added beside it: the caching fields,
// Cache-Control and those a CDN reads in its place (CDN-Cache-Control, RFC 9213;
// Surrogate-Control), whose meaning the engine sets whole on an answer it adds its cookie
// to.
func ReplacesUpstream(name string) bool {
	return name == "cache-control" || name == "cdn-cache-control" || name == "surrogate-control"
}

// MaxRequestBody is the largest request body the engine reads (form posts to Exeunt's
// own endpoints are small). The glue stops buffering past it and tells the engine's
// OnRequestBody the body was too large.
const MaxRequestBody = 64 << 10

// Metrics receives the engine's counters. Names follow Envoy's style, dot-separated,
// lower-case, for example "exeunt.logout.rp_initiated" or
// "exeunt.client.app1.backchannel.sent" (core/counters.go lists them all). The glue
// maps them to Proxy-Wasm counters.
type Metrics interface {
	// Add adds delta to the counter called name, defining it on first use.
	Add(name string, delta uint64)
}

// Wait is a paused request's way back to the engine when nothing it waits for is a call
// of its own: Then is asked again, with the time, on the plugin's ticks until it decides.
// The engine bounds every Wait (it decides by a deadline of its own), so a request is never
// held past it.
type Wait struct {
	Then func(now time.Time) Decision
}

// Call is an HTTP request the filter makes through an Envoy cluster on the engine's
// behalf (the engine performs no I/O itself). Then receives the result; when the call
// failed (timeout, connection refused, unknown cluster) the result's Status is 0, and
// NotSent says whether it never left.
type Call struct {
	Cluster   string
	Method    string
	Path      string // path and query
	Authority string
	Headers   []Header
	Body      []byte
	Timeout   time.Duration
	Then      func(CallResult) Decision
}

// CallResult is the answer to a Call.
type CallResult struct {
	Status  int // 0: the call failed before any answer
	Headers []Header
	Body    []byte
	// NotSent: the host refused to dispatch the call (Envoy does for a cluster it does not
	// define), so nothing left and nothing can be applied late; Status is 0. A call that
	// was dispatched and then failed (timeout, reset) leaves it false: its outcome is
	// unknown.
	NotSent bool
	// At is when the answer arrived, set by the glue; zero means "unknown", and the
	// engine then uses the time the call was made.
	At time.Time
}

// Header returns the first value of a header of the result, or "".
func (r CallResult) Header(name string) string { return HeaderValue(r.Headers, name) }

// Continue lets the request through untouched.
func Continue() Decision { return Decision{} }

// Respond answers the request locally.
func Respond(r *Response) Decision { return Decision{Response: r} }

// Continues reports whether the request goes on to the upstream.
func (d Decision) Continues() bool {
	return d.Response == nil && d.Call == nil && d.Wait == nil && !d.ReadBody
}

// Header returns the first value of a request header (names are lower-case), or "".
func (r Request) Header(name string) string { return HeaderValue(r.Headers, name) }

// HeaderValue returns the first value of the header called name in hs, or "". Names are
// compared exactly: the glue gives them lower-case.
func HeaderValue(hs []Header, name string) string {
	for _, h := range hs {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}
