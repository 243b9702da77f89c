package core

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

// Decision is what the glue must do with a request. Exactly one of three things:
//   - Response != nil: answer the request with it;
//   - Call != nil: make the HTTP call, keep the request paused, and hand the result to
//     Call.Then, which returns the next Decision;
//   - neither: let the request continue to the upstream, after removing the request
//     headers in RemoveHeaders and setting those in SetHeaders, and add
//     ResponseHeaders to the upstream's response (a refreshed session cookie, say).
type Decision struct {
	Response *Response
	Call     *Call

	RemoveHeaders   []string
	SetHeaders      []Header
	ResponseHeaders []Header
}

// Call is an HTTP request the filter makes through an Envoy cluster on the engine's
// behalf (the engine performs no I/O itself). Then receives the result; when the call
// failed (timeout, connection refused, unknown cluster) the result's Status is 0.
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
}

// Header returns the first value of a header of the result, or "".
func (r CallResult) Header(name string) string { return headerValue(r.Headers, name) }

// Continue lets the request through untouched.
func Continue() Decision { return Decision{} }

// Respond answers the request locally.
func Respond(r *Response) Decision { return Decision{Response: r} }

// Continues reports whether the request goes on to the upstream.
func (d Decision) Continues() bool { return d.Response == nil && d.Call == nil }

// Header returns the first value of a request header (names are lower-case), or "".
func (r Request) Header(name string) string { return headerValue(r.Headers, name) }

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}
