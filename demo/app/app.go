// Package app is the demo web app that `make run` puts behind Exeunt, twice (App One and App
// Two). It is what an app behind Exeunt has to do, and no more:
//
//   - read who is signed in from the identity headers Exeunt passes (and check the signed
//     assertion against Exeunt's published keys);
//   - sign out by sending the browser to Exeunt's end session endpoint with the assertion as
//     id_token_hint, its registered post_logout_redirect_uri and a state it checks on return,
//     in a form POST (a token in a URL ends up in access logs and browser history);
//   - answer front-channel logout requests (GET with iss and sid, loaded by the browser in an
//     iframe of Exeunt's signed-out page) and, optionally, back-channel logout requests (a
//     logout token POSTed by Exeunt, verified against Exeunt's JWKS).
//
// Every notification is recorded and listed on the app's pages, so that a user watching the
// demo sees each app being told of the sign-out. The app keeps no session of its own: Exeunt
// is the session.
//
// Paths (all from [Config]): PathPrefix is protected by Exeunt (it signs users in there);
// PublicPrefix is not (no client owns it in the plugin configuration), so the signed-out page
// and the front-channel logout endpoint work without a session, as they must.
package app

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config describes one demo app. The launcher (package demo) fills it from envoy.yaml.
type Config struct {
	// ClientID is the app's client_id in Exeunt's configuration: the aud of its assertions and
	// logout tokens.
	ClientID string
	// Name is shown to users ("App One").
	Name string
	// Accent is a CSS colour for the app's header, so that two apps look different.
	Accent string

	// Issuer is Exeunt's issuer URL ("http://localhost:10000"): its discovery document gives
	// the JWKS and the end session endpoint, and it is the iss of everything Exeunt signs.
	Issuer string

	// PathPrefix is the part of the site Exeunt protects for this app ("/app1/"), as in the
	// client's path_prefixes: the signed-in pages and the sign-out button live here.
	PathPrefix string
	// PublicPrefix is the part that works without a session ("/public/app1/"): the signed-out
	// page, the notification log. Nothing in Exeunt's configuration may own it.
	PublicPrefix string

	// PostLogoutRedirectURI is where Exeunt sends the browser back after signing out; one of
	// the client's post_logout_redirect_uris. Its path is served, under PublicPrefix.
	PostLogoutRedirectURI string
	// FrontchannelLogoutURI is the client's frontchannel_logout_uri ("" for none); its path is
	// served.
	FrontchannelLogoutURI string
	// BackchannelLogoutURI is the client's backchannel_logout_uri ("" for none); its path is
	// served (POST only).
	BackchannelLogoutURI string

	// Headers are the identity header names (identity_headers in Exeunt's configuration).
	Headers Headers

	// Links are the other demo apps, shown in the navigation.
	Links []Link

	// HTTPClient fetches Exeunt's discovery document and JWKS; nil for http.DefaultClient.
	HTTPClient *http.Client
	// Log receives one line per notification and per problem; nil for none.
	Log io.Writer
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// Headers are the request headers Exeunt passes the identity in.
type Headers struct {
	Sub, Email, Name, IdP, SID, Assertion string
	// EmailVerified is "true" or "false" beside Email: an app links accounts by email
	// only when it is "true" (docs/security-model.md).
	EmailVerified string
}

// DefaultHeaders are Exeunt's default identity header names.
var DefaultHeaders = Headers{
	Sub: "x-exeunt-sub", Email: "x-exeunt-email", Name: "x-exeunt-name",
	IdP: "x-exeunt-idp", SID: "x-exeunt-sid", Assertion: "x-exeunt-assertion",
	EmailVerified: "x-exeunt-email-verified",
}

// Link is a link to another app.
type Link struct {
	Name, URL string
}

// Event is one sign-out notification the app received.
type Event struct {
	Time time.Time
	// Channel is "front-channel" or "back-channel".
	Channel string
	Iss     string
	SID     string
	Sub     string
	// User is who that session belonged to, when this app saw the session signed in.
	User string
	// OK is true when the notification checked out: for the front channel, iss is Exeunt's
	// issuer and sid is present; for the back channel, the logout token verified.
	OK bool
	// Problem says what was wrong when !OK.
	Problem string
	// Cookies tells whether the browser sent any cookie with a front-channel request.
	Cookies bool
}

// App is one running demo app; it is an http.Handler.
type App struct {
	cfg   Config
	keys  *issuerKeys
	paths paths

	mu       sync.Mutex
	events   []Event
	sessions map[string]string // sid -> user, for the sessions seen signed in
	jtis     map[string]time.Time
	changed  chan struct{} // closed and replaced when an event is recorded
}

type paths struct {
	signout, signedOut, frontchannel, backchannel, events string
}

// New checks cfg and returns the app.
func New(cfg Config) (*App, error) {
	if cfg.ClientID == "" || cfg.Issuer == "" {
		return nil, fmt.Errorf("demo app: ClientID and Issuer are required")
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ClientID
	}
	if cfg.Accent == "" {
		cfg.Accent = "#3557c5"
	}
	if cfg.Headers == (Headers{}) {
		cfg.Headers = DefaultHeaders
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for name, p := range map[string]string{"PathPrefix": cfg.PathPrefix, "PublicPrefix": cfg.PublicPrefix} {
		if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
			return nil, fmt.Errorf("demo app %s: %s %q must start and end with /", cfg.ClientID, name, p)
		}
	}
	a := &App{cfg: cfg, sessions: map[string]string{}, jtis: map[string]time.Time{}, changed: make(chan struct{})}
	a.keys = newIssuerKeys(cfg.Issuer, cfg.HTTPClient)
	a.paths.signout = cfg.PathPrefix + "signout"
	a.paths.events = cfg.PublicPrefix + "events"
	var err error
	if a.paths.signedOut, err = pathOf(cfg.PostLogoutRedirectURI); err != nil {
		return nil, fmt.Errorf("demo app %s: PostLogoutRedirectURI: %w", cfg.ClientID, err)
	}
	if !strings.HasPrefix(a.paths.signedOut, cfg.PublicPrefix) {
		return nil, fmt.Errorf("demo app %s: the post-logout page %s must be under the public prefix %s (Exeunt would ask a signed-out user to sign in again)", cfg.ClientID, a.paths.signedOut, cfg.PublicPrefix)
	}
	if cfg.FrontchannelLogoutURI != "" {
		if a.paths.frontchannel, err = pathOf(cfg.FrontchannelLogoutURI); err != nil {
			return nil, fmt.Errorf("demo app %s: FrontchannelLogoutURI: %w", cfg.ClientID, err)
		}
	}
	if cfg.BackchannelLogoutURI != "" {
		if a.paths.backchannel, err = pathOf(cfg.BackchannelLogoutURI); err != nil {
			return nil, fmt.Errorf("demo app %s: BackchannelLogoutURI: %w", cfg.ClientID, err)
		}
	}
	return a, nil
}

func pathOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Path == "" {
		return "/", nil
	}
	return u.Path, nil
}

// Config returns the app's configuration.
func (a *App) Config() Config { return a.cfg }

// Events returns the notifications received so far, oldest first.
func (a *App) Events() []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

// Changed returns a channel that is closed when the next notification is recorded.
func (a *App) Changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func (a *App) record(ev Event) {
	a.mu.Lock()
	if ev.User == "" && ev.SID != "" {
		ev.User = a.sessions[ev.SID]
	}
	a.events = append(a.events, ev)
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	status := "ok"
	if !ev.OK {
		status = "REJECTED: " + ev.Problem
	}
	fmt.Fprintf(a.cfg.Log, "%s: %s logout sid=%s sub=%s: %s\n", a.cfg.ClientID, ev.Channel, ev.SID, ev.Sub, status)
}

func (a *App) sawSession(sid, user string) {
	if sid == "" {
		return
	}
	a.mu.Lock()
	a.sessions[sid] = user
	a.mu.Unlock()
}

// ServeHTTP routes the app's paths.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case a.paths.backchannel != "" && p == a.paths.backchannel:
		a.backchannelLogout(w, r)
	case a.paths.frontchannel != "" && p == a.paths.frontchannel:
		a.frontchannelLogout(w, r)
	case p == a.paths.signout:
		a.signOut(w, r)
	case p == a.paths.signedOut:
		a.signedOut(w, r)
	case p == a.paths.events:
		a.eventsFragment(w, r)
	case p == a.cfg.PublicPrefix:
		a.publicLog(w, r)
	case strings.HasPrefix(p, a.cfg.PathPrefix) || p+"/" == a.cfg.PathPrefix:
		a.home(w, r)
	case p == "/favicon.ico":
		a.favicon(w, r)
	case p == "/":
		// The site's root, when the proxy routes it here: this app is the way in.
		http.Redirect(w, r, a.cfg.PathPrefix, http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func onlyMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// stateCookie names the cookie that keeps the state of a sign-out this browser started.
func (a *App) stateCookie() string { return "demo_signout_state_" + a.cfg.ClientID }

// signOut starts RP-initiated logout: the browser POSTs to Exeunt's end session endpoint
// (RP-Initiated Logout 1.0 §2 allows GET or POST) the assertion it just received as
// id_token_hint, the app's post_logout_redirect_uri and a fresh state, kept in a cookie to
// check on return. POST, not a redirect with a query: the assertion is a token, and a query
// string lands in access logs, browser history and Referer headers. The page submits its
// form by itself; without script, its button does.
//
// A GET (or HEAD) here asks before anything happens: a browser comes this way after a
// "Sign out" click arrived without a session (a tab left open after signing out
// elsewhere, or an expired session): Exeunt sent it to sign in and brought it back to this
// address, now with a GET. Signing out on a GET would let any site sign the user out with a
// link, so the page shows the sign-out button again instead of a bare 405.
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		a.askSignOut(w, r)
		return
	}
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
		return
	}
	endSession, err := a.keys.endSessionEndpoint(r.Context())
	if err != nil {
		fmt.Fprintf(a.cfg.Log, "%s: %v\n", a.cfg.ClientID, err)
		http.Error(w, "Exeunt's discovery document could not be read: "+err.Error(), http.StatusBadGateway)
		return
	}
	state := randomString()
	http.SetCookie(w, &http.Cookie{Name: a.stateCookie(), Value: state, Path: a.cfg.PublicPrefix,
		MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	d := signOutData{Action: endSession, Fields: []formField{
		{"client_id", a.cfg.ClientID},
		{"post_logout_redirect_uri", a.cfg.PostLogoutRedirectURI},
		{"state", state},
	}}
	if hint := r.Header.Get(a.cfg.Headers.Assertion); hint != "" {
		d.Fields = append(d.Fields, formField{"id_token_hint", hint})
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := signOutTemplate.Execute(w, d); err != nil {
		fmt.Fprintf(a.cfg.Log, "%s: sign-out page: %v\n", a.cfg.ClientID, err)
	}
}

// askSignOut is the sign-out address reached by a GET: the app's sign-out button, and
// nothing signed out yet.
func (a *App) askSignOut(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	user := r.Header.Get(a.cfg.Headers.Name)
	if user == "" {
		user = r.Header.Get(a.cfg.Headers.Sub)
	}
	if err := askSignOutTemplate.Execute(w, homeData{pageData: a.pageData(), User: user, SignoutPath: a.paths.signout}); err != nil {
		fmt.Fprintf(a.cfg.Log, "%s: sign-out question page: %v\n", a.cfg.ClientID, err)
	}
}

// frontchannelLogout is the client's frontchannel_logout_uri (OpenID Connect Front-Channel
// Logout 1.0): Exeunt's signed-out page loads it in a hidden iframe with iss and sid.
func (a *App) frontchannelLogout(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	q := r.URL.Query()
	ev := Event{Time: a.cfg.Now(), Channel: "front-channel", Iss: q.Get("iss"), SID: q.Get("sid"),
		Cookies: len(r.Cookies()) > 0, OK: true}
	switch {
	case ev.Iss == "" && ev.SID == "":
		ev.OK, ev.Problem = false, "no iss and sid"
	case ev.Iss != a.cfg.Issuer:
		ev.OK, ev.Problem = false, fmt.Sprintf("iss %q is not Exeunt's issuer %q", ev.Iss, a.cfg.Issuer)
	case ev.SID == "":
		ev.OK, ev.Problem = false, "no sid"
	}
	a.record(ev)
	// The spec asks user agents not to cache this response; a framed page must not forbid
	// framing (no X-Frame-Options, no frame-ancestors).
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>%s: signed out</title><p>%s has been told: session %s signed out.</p>\n",
		htmlEscape(a.cfg.Name), htmlEscape(a.cfg.Name), htmlEscape(ev.SID))
}

// backchannelLogout is the client's backchannel_logout_uri (OpenID Connect Back-Channel
// Logout 1.0): Exeunt POSTs a logout token, which is verified against Exeunt's JWKS.
func (a *App) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodPost) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	raw := ""
	if err := r.ParseForm(); err == nil {
		raw = r.PostForm.Get("logout_token")
	}
	ev := Event{Time: a.cfg.Now(), Channel: "back-channel"}
	claims, err := a.verifyLogoutToken(r.Context(), raw)
	if claims != nil {
		ev.Iss, ev.SID, ev.Sub = claims.Issuer, claims.SID, claims.Subject
	}
	if err != nil {
		ev.Problem = err.Error()
		a.record(ev)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_request","error_description":%q}`+"\n", err.Error())
		return
	}
	ev.OK = true
	a.record(ev)
	w.WriteHeader(http.StatusOK)
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	h := a.cfg.Headers
	id := identity{
		Sub: r.Header.Get(h.Sub), Email: r.Header.Get(h.Email), Name: r.Header.Get(h.Name),
		IdP: r.Header.Get(h.IdP), SID: r.Header.Get(h.SID), Assertion: r.Header.Get(h.Assertion),
		EmailVerified: r.Header.Get(h.EmailVerified),
	}
	data := homeData{pageData: a.pageData(), Path: r.URL.RequestURI(), ID: id, Headers: h, SignoutPath: a.paths.signout}
	if id.Sub != "" {
		user := id.Name
		if user == "" {
			user = id.Sub
		}
		a.sawSession(id.SID, user)
		data.User = user
		if id.Assertion != "" {
			data.Assertion, data.AssertionErr = a.verifyAssertion(r.Context(), id.Assertion)
		}
	}
	// No Cache-Control of its own, as many apps send none: Exeunt answers every page of a
	// signed-in session "private, no-store" (a browser going back in history after a
	// sign-out would otherwise show this page from its cache), and the browser tests check
	// that it does.
	renderCaching(w, homeTemplate, http.StatusOK, data, "")
}

func (a *App) signedOut(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	data := signedOutData{pageData: a.pageData(), State: r.URL.Query().Get("state")}
	if c, err := r.Cookie(a.stateCookie()); err == nil {
		data.Expected = c.Value
	}
	data.StateOK = data.State != "" && data.State == data.Expected
	http.SetCookie(w, &http.Cookie{Name: a.stateCookie(), Value: "", Path: a.cfg.PublicPrefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	render(w, signedOutTemplate, http.StatusOK, data)
}

func (a *App) publicLog(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	render(w, logTemplate, http.StatusOK, a.pageData())
}

func (a *App) eventsFragment(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	render(w, eventsTemplate, http.StatusOK, a.pageData())
}

func (a *App) pageData() pageData {
	events := a.Events()
	slices.Reverse(events) // newest first
	return pageData{App: a.cfg, Events: events, EventsPath: a.paths.events,
		HasFrontchannel: a.paths.frontchannel != "", HasBackchannel: a.paths.backchannel != ""}
}

func randomString() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
