package core

import (
	"slices"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// A failure is every error Exeunt answers itself, whichever flow finds it: one value,
// rendered in one place (Engine.answer) as a translated page for a browser or as an
// OAuth-style JSON error (RFC 6749 §5.2) for an API or back-channel caller, as
// ory/fosite's RFC6749Error is one error rendered per endpoint kind. A flow says what
// went wrong; it never builds an error response by hand.
//
// What a page shows comes only from the catalogs (i18n.go), through reason; a JSON
// body shows oauth and description; detail goes to the log and never to the browser.
type failure struct {
	status int
	// reason names the page's texts, err.<reason>.title and err.<reason>.text, in every
	// catalog; it must be one of errorReasons (else the page is invalid_request's).
	reason string
	args   []any // fill the page text's verbs, in order
	// oauth and description are the JSON body's "error" and "error_description".
	oauth, description string
	retry              string   // the page's "try again" link, "" for none
	headers            []Header // added to either form (Allow, cleared cookies, WWW-Authenticate)
	detail             string   // logged when answered; never shown
}

// answerKind is how an endpoint answers: pages for browsers, JSON for everything else.
type answerKind uint8

const (
	asPage answerKind = iota
	asJSON
)

// pageFailure is a failure shown as the page for reason (args fill its text).
func pageFailure(status int, reason string, args ...any) failure {
	return failure{status: status, reason: reason, args: args}
}

// jsonFailure is a failure answered as {"error": code, "error_description": description}.
func jsonFailure(status int, code, description string) failure {
	return failure{status: status, oauth: code, description: description}
}

// withRetry adds the page's "try again" link.
func (f failure) withRetry(url string) failure { f.retry = url; return f }

// withHeaders adds headers to the answer, after the ones every answer of its kind has.
//
// Not inlined: its append would be copied into each of 30 failures' call sites, 11 KB of
// the module's code (BENCHMARKS.md, "Issue 15: Exeunt's own code, cut by function").
//
//go:noinline
func (f failure) withHeaders(h ...Header) failure {
	f.headers = append(f.headers[:len(f.headers):len(f.headers)], h...)
	return f
}

// logged attaches what went wrong in detail, for the log only.
func (f failure) logged(detail string) failure { f.detail = detail; return f }

// answer renders f as kind, a page in lang (one of languages; anything else is
// English) or JSON. This is the only place an error response is built.
func (e *Engine) answer(f failure, kind answerKind, lang string) *Response {
	if f.detail != "" {
		e.logf("%s", f.detail)
	}
	if kind == asJSON {
		var w jsonx.Writer // as json.Marshal wrote the map: names sorted
		w.ObjectStart()
		putString(&w, "error", oauthText(f.oauth))
		putString(&w, "error_description", oauthText(f.description))
		w.ObjectEnd()
		body, _ := w.Bytes()
		return &Response{Status: f.status, Body: body,
			Headers: append([]Header{{Name: "content-type", Value: "application/json"}, {Name: "cache-control", Value: "no-store"}}, f.headers...)}
	}
	reason, args := f.reason, f.args
	if !slices.Contains(errorReasons, reason) {
		reason, args = "invalid_request", nil
	}
	m := messagesFor(lang)
	text, _ := m.T("err."+reason+".text", args...)
	return e.errorPage(f.status, m.lang, "err."+reason+".title", errorPageData{Message: text, RetryURL: f.retry}, f.headers...)
}

// page answers f as a page in lang.
func (e *Engine) page(lang string, f failure) *Response { return e.answer(f, asPage, lang) }

// failPage is the decision answering f as a page in lang.
func (e *Engine) failPage(lang string, f failure) Decision { return Respond(e.answer(f, asPage, lang)) }

// failJSON is the decision answering f as JSON.
func (e *Engine) failJSON(f failure) Decision { return Respond(e.answer(f, asJSON, "")) }

// answerKindOf is how a request to an application is answered when it fails: as JSON
// when the configuration says it is an API call, else as a page.
func (e *Engine) answerKindOf(v *requestView) answerKind {
	if e.cfg.IsAPIRequest(v.pathOnly(), v.Header("accept")) {
		return asJSON
	}
	return asPage
}

// oauthText fits s to the characters RFC 6749 §5.2 allows in error and
// error_description (%x20-21 / %x23-5B / %x5D-7E): a description that quotes a value
// from a token (`typ is "JWT"`, written by strconv.Quote) gets ' for ", / for \, and ?
// for anything outside printable ASCII.
func oauthText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\':
			return '/'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}
