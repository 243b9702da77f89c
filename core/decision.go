package core

// Request is what the engine needs to know about a request, as read from its headers.
type Request struct {
	Method string // the :method pseudo-header
	Path   string // the :path pseudo-header, query included
}

// Header is one response header. Headers are kept as ordered pairs, not a map, because
// some (Set-Cookie) repeat and order can matter.
type Header struct {
	Name, Value string
}

// Response is an HTTP response the filter sends itself instead of passing the request on.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
}

// Decision is what the glue must do with a request: answer it with Response, or, when
// Response is nil, let it continue unchanged. Later decisions will also carry header
// changes and HTTP calls to make.
type Decision struct {
	Response *Response
}

// Continue lets the request through untouched.
func Continue() Decision { return Decision{} }

// Respond answers the request locally.
func Respond(r *Response) Decision { return Decision{Response: r} }

// Continues reports whether the request goes on to the upstream.
func (d Decision) Continues() bool { return d.Response == nil }
