package core

import "github.com/exeunt/exeunt/core/exchange"

// The values the glue and the engine exchange live in the leaf package exchange, so
// that packages under core can use them without an import cycle; these aliases keep
// their names in core (core.Decision is exchange.Decision), for the glue and for the
// flows. Their documentation is in package exchange.
type (
	Request    = exchange.Request
	Header     = exchange.Header
	Response   = exchange.Response
	Decision   = exchange.Decision
	Call       = exchange.Call
	Wait       = exchange.Wait
	CallResult = exchange.CallResult
	Metrics    = exchange.Metrics
)

// MaxRequestBody is the largest request body the engine reads (exchange.MaxRequestBody).
const MaxRequestBody = exchange.MaxRequestBody

// ReplacesUpstream reports whether a header of a Decision's ResponseHeaders replaces the
// upstream's own of that name (exchange.ReplacesUpstream).
func ReplacesUpstream(name string) bool { return exchange.ReplacesUpstream(name) }

// Continue lets the request through untouched.
func Continue() Decision { return exchange.Continue() }

// Respond answers the request locally. Every answer Exeunt makes itself leaves core
// through here (pages, JSON errors, the discovery document and JWKS, the health and
// logout-context endpoints, redirects, NotConfigured), never an app's response, so the
// headers all of them carry are added here, once: ownAnswerHeaders.
//
// Not inlined: Go's wasm back end would copy withOwnAnswerHeaders' loop and append into
// each of its 39 call sites, 49 KB of the module (BENCHMARKS.md, "Issue 15: Exeunt's own
// code, cut by function"); every one answers locally, none is a signed-in request going on.
//
//go:noinline
func Respond(r *Response) Decision { return exchange.Respond(withOwnAnswerHeaders(r)) }

// ownAnswerHeaders go with every answer Exeunt makes itself. x-content-type-options:
// nosniff keeps a browser from reading a JSON body (an error echoing no input, a
// logout context, a JWKS) or a plain-text one as HTML or script when it is loaded by a
// page or a tag: the content-type Exeunt sends is the only one that counts.
var ownAnswerHeaders = []Header{{Name: "x-content-type-options", Value: "nosniff"}}

// withOwnAnswerHeaders adds ownAnswerHeaders to r, each once: a response passed to
// Respond twice, or built with one already, does not repeat it.
func withOwnAnswerHeaders(r *Response) *Response {
	for _, h := range ownAnswerHeaders {
		if headerValue(r.Headers, h.Name) == "" {
			r.Headers = append(r.Headers, h)
		}
	}
	return r
}

// noMetrics is the engine's Metrics until UseMetrics gives it one: it counts nothing.
type noMetrics struct{}

func (noMetrics) Add(string, uint64) {}

func headerValue(hs []Header, name string) string { return exchange.HeaderValue(hs, name) }
