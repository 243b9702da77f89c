package core

import (
	"fmt"
	"strings"
	"time"
)

// Engine makes Exeunt's decisions for one configuration. It keeps no per-request state;
// what it caches (parsed provider keys, signed assertions) belongs to the VM it runs in,
// so each VM has its own Engine over the shared Store. An Engine is not safe for
// concurrent use (a Proxy-Wasm VM is single-threaded).
type Engine struct {
	cfg   *Config
	store Store      // provider metadata and generated dev keys (provider_meta.go, keyring.go)
	ports storePorts // everything else kept outside the cookie, by domain (store_ports.go)
	log   func(string)

	keys    *keyring
	dev     *devPair // this VM's generated keys (dev_generate only)
	metrics Metrics

	vmCaches // what this VM remembers to spare work, and may forget (vm_caches.go)

	now          time.Time // the time of the latest call into the engine
	nextDelivery time.Time // when this VM next has back-channel work; zero: none known
	unqueued     []*Call   // deliveries that could not be queued, for the next tick
	// queueUnreadable: the last claim of due deliveries failed (logged once).
	queueUnreadable bool

	// onFact, when set (by tests only), hears each request fact a requestView computes.
	onFact func(viewFacts)
	// claimingUntil: a claim of due deliveries is waiting for the store until then (see
	// deliverDue); zero: none.
	claimingUntil time.Time
	// storeSince: sessions created at or before it (Unix seconds) are refused, since the
	// store may have lost their sign-outs (store_local_since.go); zero: none is.
	storeSince int64
}

// UseMetrics makes the engine count what it does into m (by default nothing is counted).
func (e *Engine) UseMetrics(m Metrics) {
	if m == nil {
		m = noMetrics{}
	}
	e.metrics = m
	if e.ports.useMetrics != nil {
		e.ports.useMetrics(m)
	}
}

// NewEngine returns an Engine for cfg, which must come from ParseConfig, keeping its
// shared state in store and writing operational messages (never secrets or tokens) to
// log. It fails when the keys or the store backend cannot be set up.
func NewEngine(cfg *Config, store Store, log func(string)) (*Engine, error) {
	if log == nil {
		log = func(string) {}
	}
	e := &Engine{cfg: cfg, store: store, log: log, vmCaches: newVMCaches(), metrics: noMetrics{}}
	var err error
	if e.ports, err = newStorePorts(cfg, store, log); err != nil {
		return nil, err
	}
	if !cfg.SignInEnabled() {
		return e, nil
	}
	if cfg.Keys.DevGenerate && len(cfg.Keys.Sealing) == 0 {
		e.keys, e.dev, err = devKeyring(store, nil)
	} else {
		e.keys, err = configuredKeyring(cfg.Keys)
	}
	if err != nil {
		return nil, fmt.Errorf("exeunt keys: %w", err)
	}
	return e, nil
}

// backgroundOf is the calls a background Decision asks for: its Background, and its
// Call (a store backend's request, say, whose Then goes on with the work).
func backgroundOf(d Decision) []*Call {
	if d.Call != nil {
		return append(d.Background, d.Call)
	}
	return d.Background
}

func (e *Engine) logf(format string, args ...any) { e.log(fmt.Sprintf(format, args...)) }

// TickPeriod is how often OnTick should run: every 5 s, and every 50 ms while this VM
// has back-channel deliveries due within that or a sign-out waits on ticks (Decision.Wait:
// the fleet barrier, store_etcd_barrier.go) (and at least as often as a fleet store
// follows its revocations: store_ports.go's follow). The glue asks again after every
// callback and changes the host's tick period when the answer changes.
func (e *Engine) TickPeriod() time.Duration {
	if len(e.unqueued) > 0 || (!e.nextDelivery.IsZero() && e.nextDelivery.Sub(e.now) < idleTick) {
		return urgentTick
	}
	if e.ports.urgent != nil && e.ports.urgent(e.now) {
		return urgentTick
	}
	if e.ports.follow != nil && e.ports.followEvery < idleTick {
		return e.ports.followEvery
	}
	return idleTick
}

const idleTick = 5 * time.Second

// OnTick returns the background work due now: refreshing provider metadata and keys
// (one VM at a time, by a lease in the store), and re-merging generated dev keys.
func (e *Engine) OnTick(now time.Time) []*Call {
	if !e.cfg.SignInEnabled() {
		return nil
	}
	e.now = now
	if e.ports.since != nil { // another VM starting with this one may have written the instant that stands
		if since, ok := e.ports.since(now); ok {
			e.storeSince = since
		}
	}
	calls := backgroundOf(e.deliverDue(now))
	if e.ports.follow != nil {
		calls = append(calls, backgroundOf(e.ports.follow(now))...)
	}
	if e.dev != nil {
		if kr, _, err := devKeyring(e.store, e.dev); err == nil {
			e.keys = kr
		}
	}
	for _, p := range e.cfg.Providers {
		if e.takeFetchLease(p, now) {
			p := p
			calls = append(calls, e.fetchProvider(p, now, func(err error) Decision {
				if err != nil {
					e.logf("exeunt: provider %s: refresh failed, keeping the last good copy: %v", p.Scheme, err)
				}
				return Continue()
			}))
		}
	}
	return calls
}

// OnRequestHeaders decides what to do with a request once its headers have arrived.
// Config.Classify says what the request is, once and first; this only acts on it. A
// request reaches an upstream without a session only when it is public by a declared
// rule (or sign-in is off). A request that goes on to an app loses Exeunt's own cookies on
// the way (own_cookies.go).
func (e *Engine) OnRequestHeaders(r Request, now time.Time) Decision {
	var v requestView
	e.initView(&v, r, now)
	d := e.requestHeaders(&v)
	if e.cfg.SignInEnabled() {
		e.forwardedCookies(v.Headers, &d)
	}
	return d
}

func (e *Engine) requestHeaders(v *requestView) Decision {
	e.now = v.now
	c := e.cfg.classify(&v.Request, v.pathOnly())
	switch c.Class {
	case ClassOwnEndpoint:
		// The own endpoints' handlers keep the view in continuations: they get a copy
		// on the heap, so that this one stays on the stack (request_view.go).
		own := *v
		if c.endpoint != noEndpoint {
			return e.ownEndpoint(&own, c.endpoint, c.provider)
		}
		// Classify reads own_endpoints.go's table and says which endpoint; should it
		// ever not, the request is refused rather than passed.
		e.logf("exeunt: %s was classified as an own endpoint that nothing answers; refused", logQuote(own.pathOnly()))
		return e.refuseUnowned(&own)
	case ClassPublic:
		return Decision{RemoveHeaders: e.strippedHeaders(v.Headers)}
	case ClassClient:
		return e.withSession(v, c.Client, v.now)
	}
	if e.cfg.UnownedRequests == UnownedSignIn {
		return e.withSession(v, nil, v.now)
	}
	return e.refuseUnowned(v)
}

// withSession lets a request continue only with a valid session, with the identity
// headers for client (and its signed assertion), or for no client (client nil: the
// identity without an assertion, see UnownedSignIn). Without a session, the browser is
// sent to sign in and an API call gets 401.
func (e *Engine) withSession(v *requestView, client *Client, now time.Time) Decision {
	cs := v.cookies()
	s, chunks, err := v.session()
	if err == errStoreUnavailable {
		return e.storeUnavailable(v)
	} else if err == errAmbiguousSession {
		return e.ambiguousSession(v)
	} else if err != nil {
		return e.unauthenticated(v, client, cs, chunks, err, now)
	}
	d := Decision{RemoveHeaders: e.strippedHeaders(v.Headers)}
	if client == nil {
		d.SetHeaders = e.unsignedIdentityHeaders(s)
	} else {
		if d.SetHeaders, err = e.identityHeaders(s, client, now); err != nil {
			return e.failPage(v.language(), pageFailure(500, "internal").logged("exeunt: signing an assertion: "+err.Error()))
		}
		d.SetHeaders = append(d.SetHeaders, e.sessionStateHeaders(s, client, v)...)
	}
	// Record the client the first time this session visits it (only such clients are
	// told of a sign-out), and renew the idle window; otherwise the cookie stays as is.
	fresh := client != nil && !s.visited(client.ClientID)
	if renew := s.needsRefresh(now, e.cfg.Session.IdleTimeout); fresh || renew {
		if fresh {
			s.Clients = append(s.Clients, client.ClientID)
		}
		if renew {
			s.Seen = now.Unix()
		}
		if d.ResponseHeaders, err = e.sessionCookies(s, now, chunks); err != nil {
			e.logf("exeunt: re-sealing the session: %v", err)
		}
	}
	d.ResponseHeaders = append(d.ResponseHeaders, e.updateBrowserState(s, cs, len(d.ResponseHeaders) > 0, now)...)
	if len(d.ResponseHeaders) > 0 {
		d.ResponseHeaders = append(d.ResponseHeaders, uncacheableAnswer...)
	} else if isNavigation(v) {
		// The shared list itself, read only (the glue reads it): no allocation on the
		// signed-in request; its capacity makes any append copy it.
		d.ResponseHeaders = uncacheableAnswer[:len(uncacheableAnswer):len(uncacheableAnswer)]
	}
	if fresh {
		// What a refusal would be is read here, as values: the view stays on the stack.
		return e.recordVisit(s, now, d, e.signedOutAnswerFor(v, client, cs, chunks))
	}
	return d
}

// uncacheableAnswer replaces the Cache-Control of an app's answer that the engine adds a
// Set-Cookie to (a re-sealed session, browser_state): Set-Cookie alone does not keep a
// shared cache (a CDN, a caching proxy in front of Envoy) from storing the answer and
// serving it, cookie included, to other users (RFC 9111's security considerations), so
// the app's "public, max-age" on a protected asset would hand one user's session to the
// next. ASP.NET Core's cookie authentication does the same when it renews its cookie.
// Only these answers lose the app's caching: the first visit to each client and one
// answer per half idle window. A CDN reads its own fields in place of Cache-Control
// (CDN-Cache-Control, RFC 9213 §2; Surrogate-Control, the Edge Architecture
// Specification), so an app's "max-age=3600" there would still have the CDN store the
// answer: they say no-store too (the glue replaces each, exchange.ReplacesUpstream).
// A CDN's own targeted field (RFC 9213 §2.1, such as Cloudflare-CDN-Cache-Control) is
// not covered: an app that uses one must not put it on a protected path.
var uncacheableAnswer = []Header{
	{Name: "cache-control", Value: "private, no-store"},
	{Name: "cdn-cache-control", Value: "private, no-store"},
	{Name: "surrogate-control", Value: "no-store"},
}

// isNavigation reports whether the request loads a page the user sees (a top-level
// document or a frame): Fetch Metadata's Sec-Fetch-Mode "navigate", or, from a browser
// that sends no Fetch Metadata, an Accept that asks for HTML. A signed-in page is
// answered uncacheable whatever the app says (uncacheableAnswer): a browser shows a page
// it holds in its HTTP cache, or keeps whole in its back/forward cache, when the user goes
// back in history, without asking the server, so after a sign-out "Back" showed the
// previous user's page on a shared computer (RATIONALE.md, "Why a signed-in page is
// never cached"). An app's scripts, styles and images are not navigations and keep the
// app's caching.
func isNavigation(v *requestView) bool {
	if mode := v.Header("sec-fetch-mode"); mode != "" {
		return mode == "navigate"
	}
	return strings.Contains(v.Header("accept"), "text/html")
}

// unsignedIdentityHeaders are the identity headers for a request no client owns
// (unowned_requests "sign_in"): who is signed in, without the signed assertion, which
// needs a client as its audience.
func (e *Engine) unsignedIdentityHeaders(s *session) []Header {
	h := e.cfg.IdentityHeaders
	out := []Header{{Name: h.Sub, Value: s.Sub}, {Name: h.IDP, Value: s.IdP}, {Name: h.SID, Value: s.SID}}
	out = appendEmailHeaders(out, h, s)
	if s.Name != "" {
		out = append(out, Header{Name: h.Name, Value: s.Name})
	}
	return out
}

// refuseUnowned answers a request that no rule covers (unowned_requests "refuse"): 404,
// since no application is configured at that address, as a page for a browser and as
// JSON for an API call. It never reaches an upstream.
func (e *Engine) refuseUnowned(v *requestView) Decision {
	e.metrics.Add(counterUnownedRefused, 1)
	f := pageFailure(404, "no_app")
	f.oauth, f.description = "not_found", "no application behind this proxy is configured for this host and path"
	return Respond(e.answer(f, e.answerKindOf(v), v.language()))
}

// unauthenticated answers a request that needs a session but has no valid one (client
// is the owner, nil for a request nobody owns under unowned_requests "sign_in"): API
// requests get 401, browsers are sent to sign in (at the client's default provider, the
// only one, or the user's choice). A cookie that was present but is no longer valid
// (expired, revoked, tampered) is cleared on the way.
func (e *Engine) unauthenticated(v *requestView, client *Client, cs cookies, chunks int, why error, now time.Time) Decision {
	return e.unauthenticatedAnswer(e.signedOutAnswerFor(v, client, cs, chunks), why, now)
}

// signedOutAnswer is what unauthenticated reads of a request, as values, so that a
// request found signed out after its view is gone (recordVisit) is answered the same way.
type signedOutAnswer struct {
	kind      answerKind
	lang      string
	returnURL string
	client    *Client
	cs        cookies
	chunks    int
}

func (e *Engine) signedOutAnswerFor(v *requestView, client *Client, cs cookies, chunks int) signedOutAnswer {
	return signedOutAnswer{kind: e.answerKindOf(v), lang: v.language(), returnURL: e.requestURL(v), client: client, cs: cs, chunks: chunks}
}

// unauthenticatedAnswer is unauthenticated's answer from the values it read.
func (e *Engine) unauthenticatedAnswer(a signedOutAnswer, why error, now time.Time) Decision {
	client, cs, chunks := a.client, a.cs, a.chunks
	var clear []Header
	if why != errNoSession {
		clear = e.clearSessionCookies(max(chunks, 1))
	}
	clear = append(clear, e.staleBrowserState(cs)...)
	if a.kind == asJSON {
		return e.failJSON(jsonFailure(401, "login_required", "sign in first: this API needs a signed-in browser session").
			withHeaders(Header{Name: "www-authenticate", Value: `Bearer error="login_required"`}).withHeaders(clear...))
	}
	returnURL := a.returnURL
	var p *Provider
	if client != nil {
		p = client.DefaultProvider
	}
	if p == nil && len(e.cfg.Providers) == 1 {
		p = e.cfg.Providers[0]
	}
	var d Decision
	if p == nil {
		d = Respond(&Response{Status: 302, Headers: []Header{
			{Name: "location", Value: e.cfg.IssuerOrigin + e.cfg.Paths.SigninChoice + "?" + encodeQuery("return", returnURL)},
			{Name: "cache-control", Value: "no-store"},
		}})
	} else {
		d = e.startSignIn(p, returnURL, cs, a.lang, now)
	}
	if d.Response != nil {
		d.Response.Headers = append(d.Response.Headers, clear...)
	}
	return d
}

// requestURL is the absolute URL of the request, where the user returns after signing
// in. It rides in the sign-in flow cookie, so it is bounded like a `return` parameter
// (limits.go): a longer one loses its query, and if that is not enough, its path.
func (e *Engine) requestURL(v *requestView) string {
	r := &v.Request
	scheme := r.Scheme
	if scheme == "" {
		scheme = "https"
	}
	u := scheme + "://" + r.Authority + r.Path
	if len(u) > maxReturnURL {
		u = scheme + "://" + r.Authority + v.pathOnly()
	}
	if len(u) > maxReturnURL {
		u = scheme + "://" + r.Authority + "/"
	}
	return u
}

// signinChoice shows the providers to choose from, or starts sign-in at the chosen one.
func (e *Engine) signinChoice(v *requestView, now time.Time) Decision {
	q := v.queryValues()
	if name, limit := overLimit(q, "return", "provider"); name != "" {
		return Respond(e.tooLongPage(v.language(), name, limit))
	}
	ret := q.Get("return")
	if !e.allowedReturn(ret) {
		ret = e.cfg.IssuerOrigin + "/"
	}
	if scheme := q.Get("provider"); scheme != "" {
		p := e.cfg.Provider(scheme)
		if p == nil {
			// Not repeated on the page: a link anyone can write must not put words in it.
			return e.failPage(v.language(), pageFailure(400, "unknown_provider"))
		}
		return e.startSignIn(p, ret, v.cookies(), v.language(), now)
	}
	data := choicePageData{Lang: "en", Title: "Sign in"}
	for _, p := range e.cfg.Providers {
		data.Providers = append(data.Providers, choiceProvider{Name: p.DisplayName,
			URL: e.cfg.Paths.SigninChoice + "?" + encodeQuery("provider", p.Scheme, "return", ret)})
	}
	return Respond(e.choicePage(200, data))
}

// OnRequestBody decides about a request whose body the engine asked for with
// Decision.ReadBody. body is the whole body; tooLarge says it passed MaxRequestBody (body
// is then nil).
func (e *Engine) OnRequestBody(r Request, body []byte, tooLarge bool, now time.Time) Decision {
	e.now = now
	var v requestView
	e.initView(&v, r, now)
	return e.ownEndpointWithBody(&v, body, tooLarge)
}
