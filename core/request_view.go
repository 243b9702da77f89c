package core

import (
	"net/url"
	"time"
)

// requestView is one request as the flows read it: the Request itself, and the facts
// derived from it (its path without the query, its query, its origin, its cookies, the
// language of its pages, the session its cookie opens), each computed the first time a
// flow asks and kept for the rest of the request. The engine builds one per call into
// it (OnRequestHeaders, OnRequestBody) and hands it down; flows ask the view, never the
// functions behind it (stripQuery, queryOf, requestOrigin, chooseLanguage,
// openSession), so that none of them runs twice for one request
// (request_view_test.go counts, and checks that only this file calls them, stripQuery
// aside: configuration's helpers use it on paths of their own).
//
// A view lives on the stack of the engine call for the requests that go on to an app
// (the signed-in benchmark stays at no allocation): a flow that keeps something for a
// continuation (a Then, a store port's answer) takes the value out of the view first,
// never the view itself. The own endpoints, whose handlers the dispatch table calls
// through function values, get their own copy on the heap (Engine.requestHeaders).
type requestView struct {
	Request
	e   *Engine
	now time.Time

	known   viewFacts // which facts below are computed
	path    string
	query   url.Values
	origin  string
	lang    string
	opened  session
	chunks  int
	openErr error
}

// viewFacts is a set of the facts a view computes lazily.
type viewFacts uint8

const (
	factPath viewFacts = 1 << iota
	factQuery
	factOrigin
	factLanguage
	factSession
)

// initView makes v, a zero view, the view of r for e at now. It fills v in place
// rather than returning a view: a returned one is built aside and copied, which the
// signed-in benchmark shows.
func (e *Engine) initView(v *requestView, r Request, now time.Time) {
	v.Request, v.e, v.now = r, e, now
}

// computing marks fact as computed, telling the engine's test hook.
func (v *requestView) computing(f viewFacts) {
	v.known |= f
	if v.e.onFact != nil {
		v.e.onFact(f)
	}
}

// pathOnly is the request's path without its query (stripQuery).
func (v *requestView) pathOnly() string {
	if v.known&factPath == 0 {
		v.computePath() // apart, so that pathOnly is inlined where it is asked
	}
	return v.path
}

func (v *requestView) computePath() {
	v.computing(factPath)
	v.path = stripQuery(v.Path)
}

// queryValues is the request's query, parsed (queryOf). The map is shared by every
// flow of the request: read it, never change it.
func (v *requestView) queryValues() url.Values {
	if v.known&factQuery == 0 {
		v.computing(factQuery)
		v.query = queryOf(v.Path)
	}
	return v.query
}

// browserOrigin is the request's origin as the browser sees it (requestOrigin).
func (v *requestView) browserOrigin() string {
	if v.known&factOrigin == 0 {
		v.computing(factOrigin)
		v.origin = requestOrigin(v.Request)
	}
	return v.origin
}

// cookies are the request's cookies. Nothing is computed: cookies is the headers read
// where they lie (cookie.go), each lookup scanning them for one name.
func (v *requestView) cookies() cookies { return parseCookies(v.Headers) }

// language is the language of the request's pages from its Accept-Language header
// (chooseLanguage without ui_locales).
func (v *requestView) language() string {
	if v.known&factLanguage == 0 {
		v.computing(factLanguage)
		v.lang = chooseLanguage("", v.Header("accept-language"))
	}
	return v.lang
}

// languageFor is the language of a page for a request that names its preferred
// locales (an end session request's ui_locales, kept in its logout context): the first
// supported one, else language(). It equals chooseLanguage(uiLocales,
// Accept-Language) without reading the header again.
func (v *requestView) languageFor(uiLocales string) string {
	if l := uiLanguage(uiLocales); l != "" {
		return l
	}
	return v.language()
}

// session is the session the request's cookie opens (openSession), or the error that
// says why none does (then the session is empty). It is the request's own copy, kept in
// the view (no allocation, no copy): a flow that changes it, as withSession does when
// it records a visit, changes it for the rest of the request. chunks is how many
// cookies the session took (or was found in), to clear them all.
func (v *requestView) session() (*session, int, error) {
	if v.known&factSession == 0 {
		v.openSession() // apart, so that session is inlined where it is asked
	}
	return &v.opened, v.chunks, v.openErr
}

func (v *requestView) openSession() {
	v.computing(factSession)
	v.opened, v.chunks, v.openErr = v.e.openSession(v.cookies(), v.now)
}

// sessions is session for a sign-out, which ends every different valid session the
// cookies hold (signout_all.go): with errAmbiguousSession, all is each of them (two or
// more); otherwise it is nil and the answer is session's. The cookies are opened once
// for both (openEvery, within maxSessionCandidates): a sign-out flow asks sessions
// first, and session after it gets the same answer.
func (v *requestView) sessions() (s *session, all []session, chunks int, err error) {
	if v.known&factSession == 0 && !severalSessionCookies(v.cookies(), v.e.cfg.Cookie.Name) {
		v.openSession() // none, or the usual one unchunked cookie: opened as for any request
	}
	if v.known&factSession != 0 {
		if v.openErr != errAmbiguousSession {
			return &v.opened, nil, v.chunks, v.openErr
		}
	} else {
		v.computing(factSession)
	}
	all, v.chunks, v.openErr = v.e.openEvery(v.cookies(), v.now)
	v.opened = session{}
	switch {
	case len(all) == 1:
		v.opened, all = all[0], nil
	case len(all) > 1:
		v.openErr = errAmbiguousSession
	}
	return &v.opened, all, v.chunks, v.openErr
}
