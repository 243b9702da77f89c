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
	CallResult = exchange.CallResult
	Metrics    = exchange.Metrics
)

// MaxRequestBody is the largest request body the engine reads (exchange.MaxRequestBody).
const MaxRequestBody = exchange.MaxRequestBody

// Continue lets the request through untouched.
func Continue() Decision { return exchange.Continue() }

// Respond answers the request locally.
func Respond(r *Response) Decision { return exchange.Respond(r) }

// noMetrics is the engine's Metrics until UseMetrics gives it one: it counts nothing.
type noMetrics struct{}

func (noMetrics) Add(string, uint64) {}

func headerValue(hs []Header, name string) string { return exchange.HeaderValue(hs, name) }
