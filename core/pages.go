package core

import (
	"crypto/sha256"
	_ "embed" // the assets below, as strings: an embed.FS would link embed's file system and io/fs's FileInfo formatting
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// The pages are server-rendered as Go code (pages_render.go, with html/template's
// contextual escaping: html.go), in English or French (see i18n.go), accessible (a
// language, one h1, landmarks, labelled controls, a live status, contrast above 4.5:1,
// visible focus) and never cached. They load nothing from elsewhere except the logo and
// stylesheet of the configured theme (ui): a page that signs people in or out must not
// depend on a CDN, and its Content Security Policy allows exactly what the page needs,
// page by page.

//go:embed assets/style.css
var styleAsset string

//go:embed assets/frontchannel.js
var scriptAsset string

var (
	// pageStyle is every page's inline style, and pageScript the logged-out page's
	// inline script; the CSP allows each by its hash, computed once from the fixed text.
	pageStyle, styleHash   = styleAsset, cspHash(styleAsset)
	pageScript, scriptHash = scriptAsset, cspHash(scriptAsset)
)

// cspHash is an inline asset's CSP hash source expression.
func cspHash(asset string) string {
	sum := sha256.Sum256([]byte(asset))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// policy is what a page needs beyond the strict default: it becomes its CSP.
type policy struct {
	script      bool     // the inline script, by hash
	frameSrc    []string // origins of iframes
	formTargets []string // origins a form submission may end up at, beyond 'self'
	embedded    bool     // may be framed by any site (federated sign-out)
	// ownOrigin: the page's form posts to Exeunt itself say so in Origin, also in a
	// browser without Fetch Metadata (Referrer-Policy same-origin, not no-referrer,
	// whose form posts say "Origin: null", as a hostile page's can): the sign-out
	// prompt, whose confirmation is accepted from Exeunt's own origin only
	// (postedFromOwnOrigin, endsession.go).
	ownOrigin bool
}

// csp is a page's Content Security Policy: nothing but the inline style by default,
// plus the theme's origins (logo: img-src; stylesheet: style-src, and img-src and
// font-src for what it loads) and what pol asks for.
func csp(ui *UI, pol policy) string {
	var b strings.Builder
	writeCold(&b, "default-src 'none'; style-src ")
	writeCold(&b, styleHash)
	var img []string
	if !pol.embedded {
		if ui.stylesheetOrigin != "" {
			writeCold(&b, " "+ui.stylesheetOrigin)
		}
		if ui.logoOrigin != "" {
			img = append(img, ui.logoOrigin)
		}
		if o := ui.stylesheetOrigin; o != "" {
			if !slices.Contains(img, o) {
				img = append(img, o)
			}
			writeCold(&b, "; font-src "+o)
		}
	}
	if len(img) > 0 {
		writeCold(&b, "; img-src "+strings.Join(img, " "))
	}
	if pol.script {
		writeCold(&b, "; script-src "+scriptHash)
	}
	if len(pol.frameSrc) > 0 {
		writeCold(&b, "; frame-src "+strings.Join(pol.frameSrc, " "))
	}
	if pol.embedded {
		writeCold(&b, "; frame-ancestors *")
	} else {
		writeCold(&b, "; frame-ancestors 'none'")
	}
	writeCold(&b, "; base-uri 'none'; form-action 'self'")
	for _, o := range pol.formTargets {
		writeCold(&b, " "+o)
	}
	return b.String()
}

// pageHeaders are sent with every page: never cached, not framed by other sites (unless
// pol.embedded), no scripts or external loads unless the page says so.
func pageHeaders(ui *UI, pol policy) []Header {
	h := []Header{
		{Name: "content-type", Value: "text/html; charset=utf-8"},
		{Name: "cache-control", Value: "no-store"},
	}
	if !pol.embedded {
		h = append(h, Header{Name: "x-frame-options", Value: "DENY"})
	}
	// x-content-type-options goes with every answer Exeunt makes (Respond).
	referrer := "no-referrer"
	if pol.ownOrigin {
		referrer = "same-origin" // nothing to other origins still
	}
	return append(h,
		Header{Name: "content-security-policy", Value: csp(ui, pol)},
		Header{Name: "referrer-policy", Value: referrer},
	)
}

// renderPage renders content in the layout. lang must be one of languages (anything
// else is English); heading is a message key, or a caller's own text (the renderer's tests).
func renderPage(content pageContent, status int, ui *UI, lang, heading string, pol policy, extra ...Header) *Response {
	m := messagesFor(lang)
	p := page{Lang: m.lang, UI: ui, Script: pol.script, Embedded: pol.embedded}
	var err error
	if p.Heading, err = m.T(heading); err != nil {
		p.Heading = heading
	}
	w := htmlWriter{m: m}
	w.b.Grow(4096)
	writeLayout(&w, &p, content)
	if w.err != nil {
		// The pages are fixed and tested; reaching this is a bug, still answered.
		return pageFailed()
	}
	return &Response{Status: status, Headers: append(pageHeaders(ui, pol), extra...), Body: []byte(w.b.String())}
}

// pageFailed answers when a page could not be rendered.
func pageFailed() *Response {
	return &Response{Status: 500, Headers: []Header{{Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "cache-control", Value: "no-store"}}, Body: []byte("exeunt: page rendering failed\n")}
}

// ui is the configured theme.
func (e *Engine) ui() *UI {
	if e == nil || e.cfg == nil {
		d := defaultUI()
		return &d
	}
	return &e.cfg.UI
}

// Error pages.

type errorPageData struct {
	Message, Reference, RetryURL string
}

// errorPage renders the error page in lang: heading is a message key (or, in the
// renderer's tests, a text of its own), d the message and retry link. Flows do not
// call it: they answer a failure (failure.go), which is rendered here.
func (e *Engine) errorPage(status int, lang, heading string, d errorPageData, extra ...Header) *Response {
	return renderPage(func(w *htmlWriter, p *page) { writeErrorContent(w, p, d) }, status, e.ui(), lang, heading, policy{}, extra...)
}

// The provider choice page.

type choiceProvider struct {
	_         noCompare
	Name, URL string
}

type choicePageData struct {
	Lang, Title string // Title is ignored: the page says "Sign in" in Lang
	Providers   []choiceProvider
}

// choicePage lists the providers to sign in with, in data.Lang ("en" when empty).
func (e *Engine) choicePage(status int, data choicePageData) *Response {
	return renderPage(func(w *htmlWriter, p *page) { writeChoiceContent(w, p, data) }, status, e.ui(), data.Lang, "choice.title", policy{})
}

// The sign-out confirmation.

type logoutPromptData struct {
	ClientName string // the app that asked to sign out, "" when unknown
	Action     string // where the form POSTs (a path)
	LogoutID   string // hidden field "logout_id"
	CSRF       string // hidden field "csrf"
}

// logoutPromptPage asks "Do you want to sign out?" with one button, which POSTs
// logout_id, csrf and confirm=yes to d.Action; not signing out needs no request (close
// the page or go back, as the page says). The POST may answer with a redirect to a
// provider's end session endpoint or to an app, and browsers apply form-action to the
// redirects of a form submission, so the CSP allows those origins too.
func (e *Engine) logoutPromptPage(lang string, d logoutPromptData) *Response {
	return renderPage(func(w *htmlWriter, p *page) { writePromptContent(w, p, d) }, 200, e.ui(), lang, "prompt.ask", policy{formTargets: e.signOutTargets(), ownOrigin: true})
}

// signOutTargets are the origins a confirmed sign-out may redirect to: every provider's
// end session endpoint (configured or discovered) and every client's post-logout
// redirect URIs, in configuration order, each once.
func (e *Engine) signOutTargets() []string {
	if e == nil || e.cfg == nil || !e.cfg.SignInEnabled() {
		return nil
	}
	var out []string
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if o := origin(u); o != "" && o != e.cfg.IssuerOrigin && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	for _, p := range e.cfg.Providers {
		add(p.Issuer) // where most providers' end session endpoint is
		if p.EndSessionEndpoint != "" {
			add(p.EndSessionEndpoint)
		}
		if p.UsesDiscovery() {
			v, _ := e.providerInfo(p)
			add(v.endpoints(p).EndSessionEndpoint)
		}
	}
	for _, c := range e.cfg.Clients {
		for _, r := range c.PostLogoutRedirectURIs {
			add(r)
		}
	}
	return out
}

// The logged-out page.

type frontchannelFrame struct {
	_               noCompare
	ClientName, URL string
}

type loggedOutData struct {
	ClientName   string              // for "Return to <ClientName>"
	ReturnURL    string              // validated post_logout_redirect_uri with state; "" = no link
	AutoRedirect bool                // go to ReturnURL by itself once the frames are done
	Frames       []frontchannelFrame // one hidden iframe per client to notify
	Embedded     bool                // inside a provider's iframe: frames and a status only
	// Ended says, on an embedded page, whether a session ended here: a provider's iframe
	// may name a session that had already ended or that this Exeunt never had.
	Ended bool
	// ProviderStillSignedIn names the provider whose session could not be ended (it could
	// not be reached, or the sign-out could not be handed to it): the page says so, and
	// does not return to the app by itself, where the provider would sign the user
	// straight back in. "" when the provider's session was ended or is not ours to end.
	ProviderStillSignedIn string
	// ProviderCannotSignOut, with ProviderStillSignedIn, says why: the provider offers
	// no end session endpoint, so its session was never asked to end.
	ProviderCannotSignOut bool
}

// loggedOutPage says the user is signed out, links back to the app, and loads one
// hidden iframe per front-channel client. An inline script (allowed by its hash) counts
// the iframes' load events, stops waiting after 5 seconds, updates the live status and,
// with AutoRedirect, then goes to ReturnURL. Without script the frames still load and
// the link is there. frame-src allows exactly the frames' origins. Embedded pages (a
// provider's front-channel logout iframe) may be framed by any site and show no chrome,
// link or theme.
func (e *Engine) loggedOutPage(lang string, d loggedOutData) *Response {
	if d.Embedded {
		d.ReturnURL, d.AutoRedirect = "", false
	}
	if d.ReturnURL == "" {
		d.AutoRedirect = false
	}
	pol := policy{embedded: d.Embedded, script: len(d.Frames) > 0 || d.AutoRedirect}
	for _, f := range d.Frames {
		if u, err := url.Parse(f.URL); err == nil && u.Host != "" {
			if o := origin(u); o != "" && !slices.Contains(pol.frameSrc, o) {
				pol.frameSrc = append(pol.frameSrc, o)
			}
		}
	}
	return renderPage(func(w *htmlWriter, p *page) { writeLoggedOutContent(w, p, d) }, 200, e.ui(), lang, "out.title", pol)
}
