package core

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Engine makes Exeunt's decisions for one configuration. It keeps no per-request state;
// what it caches (parsed provider keys, signed assertions) belongs to the VM it runs in,
// so each VM has its own Engine over the shared Store. An Engine is not safe for
// concurrent use (a Proxy-Wasm VM is single-threaded).
type Engine struct {
	cfg   *Config
	store Store
	log   func(string)

	keys       *keyring
	dev        *devPair // this VM's generated keys (dev_generate only)
	providers  map[string]*providerView
	assertions map[assertionKey]cachedAssertion
	sessions   map[string]openedCookie // opened cookies, by the sealed value's last bytes (see unseal)
	// sessionStates caches session_state values, by sid, client and origin.
	sessionStates map[string]string
	metrics       Metrics

	now          time.Time // the time of the latest call into the engine
	nextDelivery time.Time // when this VM next has back-channel work; zero: none known
	unqueued     []*Call   // deliveries that could not be queued, for the next tick
}

// UseMetrics makes the engine count what it does into m (by default nothing is counted).
func (e *Engine) UseMetrics(m Metrics) {
	if m == nil {
		m = noMetrics{}
	}
	e.metrics = m
}

// NewEngine returns an Engine for cfg, which must come from ParseConfig, keeping its
// shared state in store and writing operational messages (never secrets or tokens) to
// log. It fails when the keys cannot be set up.
func NewEngine(cfg *Config, store Store, log func(string)) (*Engine, error) {
	if log == nil {
		log = func(string) {}
	}
	e := &Engine{cfg: cfg, store: store, log: log, providers: map[string]*providerView{}, assertions: map[assertionKey]cachedAssertion{}, sessions: map[string]openedCookie{}, metrics: noMetrics{}}
	if !cfg.SignInEnabled() {
		return e, nil
	}
	var err error
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

func (e *Engine) logf(format string, args ...any) { e.log(fmt.Sprintf(format, args...)) }

// TickPeriod is how often OnTick should run: every 5 s, and every 50 ms while this VM
// has back-channel deliveries due within that. The glue asks again after every
// callback and changes the host's tick period when the answer changes.
func (e *Engine) TickPeriod() time.Duration {
	if len(e.unqueued) > 0 || (!e.nextDelivery.IsZero() && e.nextDelivery.Sub(e.now) < idleTick) {
		return urgentTick
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
	calls := e.deliverDue(now)
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
// A request that goes on to an app loses Exeunt's own cookies on the way
// (own_cookies.go).
func (e *Engine) OnRequestHeaders(r Request, now time.Time) Decision {
	d := e.requestHeaders(r, now)
	if e.cfg.SignInEnabled() {
		e.forwardedCookies(r, &d)
	}
	return d
}

func (e *Engine) requestHeaders(r Request, now time.Time) Decision {
	e.now = now
	if pathOnly(r.Path) == e.cfg.HealthPath() {
		return health(r.Method)
	}
	strip := e.presentIdentityHeaders(r)
	if !e.cfg.SignInEnabled() {
		return Decision{RemoveHeaders: strip}
	}
	host := strings.ToLower(r.Authority)
	if e.isIssuerHost(r.Scheme, host) {
		if d, ok := e.ownEndpoint(r, now); ok {
			return d
		}
	}
	client := e.cfg.ClientFor(host, pathOnly(r.Path))
	if client == nil {
		return Decision{RemoveHeaders: strip}
	}
	cs := parseCookies(r.Headers)
	opened, chunks, err := e.openSession(cs, now)
	s := &opened
	if err != nil {
		return e.unauthenticated(r, client, cs, chunks, err, now)
	}
	d := Decision{RemoveHeaders: strip}
	if d.SetHeaders, err = e.identityHeaders(s, client, now); err != nil {
		e.logf("exeunt: signing an assertion: %v", err)
		return Respond(e.errorPage(500, "Something went wrong", "Please try again.", ""))
	}
	d.SetHeaders = append(d.SetHeaders, e.sessionStateHeaders(s, client, r)...)
	// Record the client the first time this session visits it (only such clients are
	// told of a sign-out), and renew the idle window; otherwise the cookie stays as is.
	if fresh, renew := !s.visited(client.ClientID), s.needsRefresh(now, e.cfg.Session.IdleTimeout); fresh || renew {
		if fresh {
			s.Clients = append(s.Clients, client.ClientID)
			e.updateRecordClients(s, now)
		}
		if renew {
			s.Seen = now.Unix()
		}
		if d.ResponseHeaders, err = e.sessionCookies(s, now, chunks); err != nil {
			e.logf("exeunt: re-sealing the session: %v", err)
		}
	}
	d.ResponseHeaders = append(d.ResponseHeaders, e.updateBrowserState(s, cs, len(d.ResponseHeaders) > 0, now)...)
	return d
}

// unauthenticated answers a request to a client's route without a valid session: API
// requests get 401, browsers are sent to sign in. A cookie that was present but is no
// longer valid (expired, revoked, tampered) is cleared on the way.
func (e *Engine) unauthenticated(r Request, client *Client, cs cookies, chunks int, why error, now time.Time) Decision {
	var clear []Header
	if why != errNoSession {
		clear = e.clearSessionCookies(max(chunks, 1))
	}
	clear = append(clear, e.staleBrowserState(cs)...)
	if e.isLogoutLanding(r, client) {
		// The client's own front-channel logout page and post-logout pages are reached
		// signed out by design (in an iframe after the session ended, or as the way
		// back): they pass, without identity, instead of starting a new sign-in.
		return Decision{RemoveHeaders: e.presentIdentityHeaders(r), ResponseHeaders: clear}
	}
	if e.cfg.IsAPIRequest(pathOnly(r.Path), r.Header("accept")) {
		return Respond(&Response{Status: 401, Headers: append([]Header{
			{"content-type", "application/json"},
			{"cache-control", "no-store"},
			{"www-authenticate", `Bearer error="login_required"`},
		}, clear...), Body: []byte(`{"error":"login_required","error_description":"sign in first: this API needs a signed-in browser session"}`)})
	}
	returnURL := e.requestURL(r)
	p := client.DefaultProvider
	if p == nil && len(e.cfg.Providers) == 1 {
		p = e.cfg.Providers[0]
	}
	var d Decision
	if p == nil {
		d = Respond(&Response{Status: 302, Headers: []Header{
			{"location", e.cfg.IssuerOrigin + e.cfg.Paths.SigninChoice + "?" + url.Values{"return": {returnURL}}.Encode()},
			{"cache-control", "no-store"},
		}})
	} else {
		d = e.startSignIn(p, returnURL, cs, now)
	}
	if d.Response != nil {
		d.Response.Headers = append(d.Response.Headers, clear...)
	}
	return d
}

// requestURL is the absolute URL of the request, where the user returns after signing
// in. It rides in the sign-in flow cookie, so it is bounded like a `return` parameter
// (limits.go): a longer one loses its query, and if that is not enough, its path.
func (e *Engine) requestURL(r Request) string {
	scheme := r.Scheme
	if scheme == "" {
		scheme = "https"
	}
	u := scheme + "://" + r.Authority + r.Path
	if len(u) > maxReturnURL {
		u = scheme + "://" + r.Authority + pathOnly(r.Path)
	}
	if len(u) > maxReturnURL {
		u = scheme + "://" + r.Authority + "/"
	}
	return u
}

func (e *Engine) isIssuerHost(scheme, host string) bool {
	if scheme == "" {
		scheme = "https"
	}
	origin := scheme + "://" + host
	return origin == e.cfg.IssuerOrigin || strings.TrimSuffix(origin, ":443") == e.cfg.IssuerOrigin ||
		strings.TrimSuffix(origin, ":80") == e.cfg.IssuerOrigin
}

// ownEndpoint answers the paths Exeunt serves itself on its issuer's host.
func (e *Engine) ownEndpoint(r Request, now time.Time) (Decision, bool) {
	path := pathOnly(r.Path)
	switch path {
	case e.cfg.Paths.Discovery:
		return Respond(e.discoveryDocument()), true
	case e.cfg.Paths.JWKS:
		return Respond(e.jwksDocument()), true
	case e.cfg.Paths.SigninChoice:
		return e.signinChoice(r, now), true
	case e.cfg.Paths.EndSession:
		return e.endSessionEndpoint(r, now), true
	case e.cfg.Paths.LogoutContext:
		return e.logoutContextEndpoint(r, now), true
	case e.cfg.Paths.CheckSession:
		if e.cfg.Logout.SessionManagement {
			return e.checkSessionEndpoint(r, now), true
		}
		return Decision{}, false
	}
	p, kind := e.cfg.ProviderPathFor(path)
	switch kind {
	case ProviderCallback:
		return e.signInCallback(p, r, parseCookies(r.Headers), now), true
	case ProviderSignoutCallback:
		return e.signoutCallback(p, r, now), true
	case ProviderFrontchannelLogout:
		return e.providerFrontchannelLogout(p, r, now), true
	case ProviderBackchannelLogout:
		return e.providerBackchannelEndpoint(p, r), true
	}
	return Decision{}, false
}

// signinChoice shows the providers to choose from, or starts sign-in at the chosen one.
func (e *Engine) signinChoice(r Request, now time.Time) Decision {
	q := queryOf(r.Path)
	if name, limit := overLimit(q, "return", "provider"); name != "" {
		return Respond(e.tooLongPage(chooseLanguage("", r.Header("accept-language")), name, limit))
	}
	ret := q.Get("return")
	if !e.allowedReturn(ret) {
		ret = e.cfg.IssuerOrigin + "/"
	}
	if scheme := q.Get("provider"); scheme != "" {
		p := e.cfg.Provider(scheme)
		if p == nil {
			return Respond(e.errorPage(400, "Unknown identity provider", "There is no identity provider called "+scheme+".", ""))
		}
		return e.startSignIn(p, ret, parseCookies(r.Headers), now)
	}
	data := choicePageData{Lang: "en", Title: "Sign in"}
	for _, p := range e.cfg.Providers {
		data.Providers = append(data.Providers, choiceProvider{Name: p.DisplayName,
			URL: e.cfg.Paths.SigninChoice + "?" + url.Values{"provider": {p.Scheme}, "return": {ret}}.Encode()})
	}
	return Respond(e.choicePage(200, data))
}

// OnRequestBody decides about a request whose body the engine asked for with
// Decision.ReadBody. body is the whole body; tooLarge says it passed MaxRequestBody (body
// is then nil).
func (e *Engine) OnRequestBody(r Request, body []byte, tooLarge bool, now time.Time) Decision {
	e.now = now
	return e.ownEndpointWithBody(r, body, tooLarge, now)
}

// pathOnly drops the query (and a fragment, which clients should not send), so that a
// cache-busting "?t=123" still reaches the endpoint.
func pathOnly(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}

// ownEndpointWithBody answers the own endpoints that take a form body. Only requests the
// engine itself paused with ReadBody arrive here.
func (e *Engine) ownEndpointWithBody(r Request, body []byte, tooLarge bool, now time.Time) Decision {
	path := pathOnly(r.Path)
	if path == e.cfg.Paths.EndSession && r.Method == "POST" {
		if tooLarge {
			return Respond(e.errorPageIn(chooseLanguage("", r.Header("accept-language")), 413, "body_too_large"))
		}
		return e.endSessionPost(r, body, now)
	}
	if tooLarge {
		return Respond(oauthError(413, "invalid_request", "the request body is larger than "+strconv.Itoa(MaxRequestBody)+" bytes"))
	}
	if p, kind := e.cfg.ProviderPathFor(path); kind == ProviderBackchannelLogout && r.Method == "POST" {
		return e.providerBackchannelLogout(p, r, body, now)
	}
	return Respond(oauthError(404, "invalid_request", "no endpoint takes a body at "+pathOnly(r.Path)))
}

// oauthError is an OAuth-style JSON error (RFC 6749 §5.2), never cached.
func oauthError(status int, code, description string) *Response {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": description})
	return &Response{Status: status, Headers: []Header{{"content-type", "application/json"}, {"cache-control", "no-store"}}, Body: body}
}

// isLogoutLanding reports whether a request is for the client's frontchannel_logout_uri
// or one of its post_logout_redirect_uris (same scheme, host and path; the query is
// the app's business).
func (e *Engine) isLogoutLanding(r Request, client *Client) bool {
	scheme := r.Scheme
	if scheme == "" {
		scheme = "https"
	}
	here := scheme + "://" + strings.ToLower(r.Authority) + pathOnly(r.Path)
	same := func(raw string) bool {
		if raw == "" {
			return false
		}
		u, err := url.Parse(raw)
		return err == nil && u.Scheme+"://"+strings.ToLower(u.Host)+u.EscapedPath() == here
	}
	if same(client.FrontchannelLogoutURI) {
		return true
	}
	for _, uri := range client.PostLogoutRedirectURIs {
		if same(uri) {
			return true
		}
	}
	return false
}
