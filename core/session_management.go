package core

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// OpenID Connect Session Management 1.0, on with logout.session_management.
//
// An app learns that the browser's session at Exeunt changed without a request of its
// own: it embeds Exeunt's check_session_iframe and, every few seconds, posts it
// "client_id session_state", where session_state is what it received with its latest
// request (the identity header IdentityHeaders.SessionState). The iframe's script
// recomputes the value from the browser_state cookie and answers "unchanged", "changed"
// (sign in again, or show the user as signed out) or "error".
//
//	session_state = hex(SHA-256(client_id + " " + origin + " " + browser_state + " " + salt)) + "." + salt
//
// with the hash in lower-case hex, origin the app's origin as the browser sees it
// (scheme://host[:port], without a default port), and salt 16 base64url characters,
// random per session, client and origin.
//
// browser_state is derived from the edge session's id by a one-way hash (it changes
// with the session and does not reveal the sid), and lives in a cookie that scripts can
// read (not HttpOnly) with the session cookie's Domain, Path, Secure and SameSite. It is
// set at sign-in, renewed with the session's idle window, deleted when the session ends
// in this browser (sign-out, a provider's front-channel sign-out, a request that finds
// the session revoked or expired), and expires with the idle window on its own.
//
// What the iframe cannot know: a session ended without this browser (a provider's
// back-channel sign-out) is seen by the iframe only once the browser next reaches
// Exeunt (any app request or the iframe's own load). And a SameSite=Lax or Strict
// cookie is invisible to the iframe when it is framed by an app on another site; only
// SameSite=None makes it readable there, and only in browsers that allow third-party
// cookies. Without the cookie the iframe answers "changed".

// browserStateCookieName is the browser_state cookie's name.
func (e *Engine) browserStateCookieName() string { return e.cfg.browserStateCookie }

// browserState is the browser_state of an edge session: 43 base64url characters, a
// one-way function of its sid.
func browserState(sid string) string {
	sum := sha256.Sum256([]byte("exeunt browser_state\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sessionState computes session_state for a client at origin with the given salt.
func sessionState(clientID, origin, browserState, salt string) string {
	sum := sha256.Sum256([]byte(clientID + " " + origin + " " + browserState + " " + salt))
	return hex.EncodeToString(sum[:]) + "." + salt
}

// requestOrigin is a request's origin as the browser sees it (originOf); "" for an
// authority readHost refuses, which no client owns (such a request never gets here).
func requestOrigin(r Request) string {
	o, _ := originOf(r.Scheme, r.Authority)
	return o
}

// maxCachedSessionStates bounds the per-VM cache; past it the cache starts over.
const maxCachedSessionStates = 10000

// sessionStateHeaders is the session_state header of a signed-in request to client,
// none when session management is off. The value is computed once per session, client
// and origin (with its random salt) and reused for the session's lifetime.
func (e *Engine) sessionStateHeaders(s *session, client *Client, v *requestView) []Header {
	if !e.cfg.Logout.SessionManagement {
		return nil
	}
	o := v.browserOrigin()
	key := s.SID + " " + client.ClientID + " " + o
	state, ok := e.sessionStates[key]
	if !ok {
		if e.sessionStates == nil || len(e.sessionStates) >= maxCachedSessionStates {
			e.sessionStates = map[string]string{}
		}
		state = sessionState(client.ClientID, o, browserState(s.SID), oidc.RandomID(12))
		e.sessionStates[key] = state
	}
	return []Header{{Name: e.cfg.IdentityHeaders.SessionState, Value: state}}
}

// setBrowserState is the Set-Cookie of s's browser_state, expiring with the session's
// idle window; none when session management is off.
func (e *Engine) setBrowserState(s *session, now time.Time) []Header {
	if !e.cfg.Logout.SessionManagement {
		return nil
	}
	c := e.cookie(e.browserStateCookieName(), browserState(s.SID), int(max(1, s.expiry(e.cfg.Session.IdleTimeout).Unix()-now.Unix())))
	c.httpOnly = false // the check_session_iframe's script reads it
	return []Header{c.header()}
}

// clearBrowserState deletes the browser_state cookie; none when session management is
// off.
func (e *Engine) clearBrowserState() []Header {
	if !e.cfg.Logout.SessionManagement {
		return nil
	}
	c := e.cookie(e.browserStateCookieName(), "", -1)
	c.httpOnly = false
	return []Header{c.header()}
}

// updateBrowserState keeps the browser_state cookie in step with a signed-in request's
// session s: set when the browser lacks it or holds another session's, and renewed
// whenever the session cookie is (renew).
func (e *Engine) updateBrowserState(s *session, cs cookies, renew bool, now time.Time) []Header {
	if !e.cfg.Logout.SessionManagement {
		return nil
	}
	if v, ok := cookieValue(cs, e.browserStateCookieName()); ok && v == browserState(s.SID) && !renew {
		return nil
	}
	return e.setBrowserState(s, now)
}

// staleBrowserState deletes the browser_state cookie a request without a valid session
// still carries.
func (e *Engine) staleBrowserState(cs cookies) []Header {
	if _, ok := cookieValue(cs, e.browserStateCookieName()); !ok {
		return nil
	}
	return e.clearBrowserState()
}

// The check_session_iframe.

//go:embed assets/checksession.js
var checkSessionScript string

var (
	checkSessionHash = func() string {
		sum := sha256.Sum256([]byte(checkSessionScript))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}()
)

// checkSessionPolicy allows the page's one inline script by its hash, nothing else,
// and lets any site frame it: the apps embed it.
var checkSessionPolicy = "default-src 'none'; script-src " + checkSessionHash + "; frame-ancestors *; base-uri 'none'; form-action 'none'"

// checkSessionConfig is what the iframe's script knows, embedded in the page as JSON.
type checkSessionConfig struct {
	// Cookie is the browser_state cookie's name.
	Cookie string `json:"cookie"`
	// Clients maps each client_id to the origins its messages may come from: exact
	// origins, or "scheme://host:*" for a host configured without a port (any port,
	// or none).
	Clients map[string][]string `json:"clients"`
}

// checkSessionEndpoint serves the check_session_iframe: a small page, the same for
// every browser, whose script answers the apps' messages. Loading it also brings the
// browser_state cookie up to date, when the browser sends its cookies along.
func (e *Engine) checkSessionEndpoint(v *requestView, now time.Time) Decision {
	resp := e.checkSessionPage()
	cs := v.cookies()
	if s, _, err := v.session(); err == nil {
		resp.Headers = append(resp.Headers, e.updateBrowserState(s, cs, false, now)...)
	} else if err != errStoreUnavailable { // unknown is no change to report
		resp.Headers = append(resp.Headers, e.staleBrowserState(cs)...)
	}
	return Respond(resp)
}

// checkSessionPage renders the check_session_iframe's page.
func (e *Engine) checkSessionPage() *Response {
	c := checkSessionConfig{Cookie: e.browserStateCookieName(), Clients: map[string][]string{}}
	for _, cl := range e.cfg.Clients {
		c.Clients[cl.ClientID] = e.cfg.checkSessionOrigins[cl.ClientID]
	}
	body, err := checkSessionHTML(c)
	if err != nil {
		// The configuration is plain strings; reaching this is a bug, still answered.
		return pageFailed()
	}
	return &Response{Status: 200, Headers: []Header{
		{Name: "content-type", Value: "text/html; charset=utf-8"},
		{Name: "cache-control", Value: "no-store"},
		{Name: "content-security-policy", Value: checkSessionPolicy},
		{Name: "referrer-policy", Value: "no-referrer"},
	}, Body: body} // and x-content-type-options, as every answer (Respond)

}

// checkSessionPath refuses, with session management on, a check_session_iframe outside
// the session cookie's path: the browser would not show the page the browser_state
// cookie, which shares that path.
func (cfg *Config) checkSessionPath() error {
	if !cfg.Logout.SessionManagement || prefixMatches(cfg.Cookie.Path, cfg.Paths.CheckSession) {
		return nil
	}
	return &ConfigError{Field: "paths.check_session", Problem: fmt.Sprintf(
		"is %q, outside cookie.path %q: the check session iframe reads the browser_state cookie, which has the session cookie's path; move one or the other",
		cfg.Paths.CheckSession, cfg.Cookie.Path)}
}
