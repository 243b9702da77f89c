package core

import (
	"errors"
	"mime"
	"net/url"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// Federated sign-out (seed 004): the user signs out at the provider, or the provider
// ends the session, and the provider tells Exeunt, through the browser (front-channel:
// an iframe to /signout-{scheme}) or directly (back-channel: a logout token POSTed to
// /backchannel-{scheme}). Either way every edge session bound to that provider session
// ends, found through the session index since the browser's cookie may not come along,
// and the cascade notifies the clients those sessions visited.

// logoutTokenSkew is the leeway on a provider's logout token's iat and exp.
const logoutTokenSkew = 2 * time.Minute

// usedLogoutTokens remembers the jti of each logout token acted on, to refuse replays.
var usedLogoutTokens = newExpiringSet("exeunt/used-jti/", 256)

// providerFrontchannelLogout answers a provider's front-channel logout iframe.
func (e *Engine) providerFrontchannelLogout(p *Provider, r Request, now time.Time) Decision {
	lang := chooseLanguage("", r.Header("accept-language"))
	if r.Method != "GET" && r.Method != "HEAD" {
		return Respond(e.errorPageIn(lang, 405, "method_not_allowed"))
	}
	q := queryOf(r.Path)
	iss, psid := q.Get("iss"), q.Get("sid")
	cs := parseCookies(r.Headers)
	opened, chunks, cookieErr := e.openSession(cs, now)
	var s *session // nil without a valid cookie
	if cookieErr == nil {
		s = &opened
	}

	var records []sessionRecord
	switch {
	case iss != "" || psid != "":
		// Front-Channel Logout 1.0 §3: iss and sid come together, iss must be this
		// provider's.
		if iss != p.Issuer || psid == "" {
			e.logf("exeunt: front-channel logout from provider %s: iss/sid do not match the provider", p.Scheme)
			return Respond(e.errorPageIn(lang, 400, "provider_state"))
		}
		var err error
		if records, err = e.sessionsOf(p.Issuer, psid, "", now); err != nil {
			e.logf("exeunt: front-channel logout: session index unreadable: %v", err)
			return Respond(e.errorPageIn(lang, 503, "unavailable"))
		}
		if s != nil && s.IdP == p.Scheme && s.PSID == psid && !containsRecord(records, s.SID) {
			records = append(records, recordOf(s))
		}
	case s != nil:
		// Without iss and sid nothing shows the provider sent this: Exeunt registers
		// at providers with frontchannel_logout_session_required, so a provider's
		// iframe always carries both, and a bare link to this address (which the Lax
		// cookie follows on a top-level navigation) must not end a session on its own.
		// The user is asked, as at the end session endpoint, and the confirmation
		// (a same-origin POST there) ends it. A framed request gets nothing to see
		// (the prompt refuses to be framed), and nothing ends.
		e.logf("exeunt: front-channel logout at %s without iss and sid: asking the user to confirm", p.FrontchannelLogoutPath)
		return e.showPrompt(lang, &logoutContext{ID: oidc.RandomID(16), SID: s.SID, Sub: s.Sub, IdP: s.IdP, Clients: s.Clients, Prompt: true}, now)
	case cookieErr == errNoSession && e.cookieMayBeWithheld(r):
		// No iss and sid, and a cross-site request that would not carry the cookie:
		// nothing to go on, and "signed out" would be a guess.
		e.logf("exeunt: front-channel logout at %s without iss and sid, and without the cookie: nothing ended", p.FrontchannelLogoutPath)
		return Respond(e.errorPageIn(lang, 400, "provider_state"))
	}
	var clear []Header
	if cookieErr != errNoSession && (s == nil || containsRecord(records, s.SID)) {
		clear = append(e.clearSessionCookies(max(chunks, 1)), e.clearBrowserState()...)
	}
	var frames []frontchannelFrame
	for _, rec := range records {
		if err := e.revokeSession(rec.SID, rec.Expires, now); err != nil {
			e.logf("exeunt: front-channel logout: cannot revoke sid=%s: %v", rec.SID, err)
			return Respond(e.errorPageIn(lang, 503, "unavailable"))
		}
		e.metrics.Add("exeunt.logout.provider_frontchannel", 1)
		e.logf("exeunt: signed out sid=%s idp=%s trigger=provider_frontchannel", rec.SID, rec.IdP)
		e.enqueueBackchannel(rec.SID, rec.Sub, rec.Clients, "provider_frontchannel", now)
		frames = append(frames, e.frontchannelFrames(rec.Clients, rec.SID)...)
	}
	if s != nil && !containsRecord(records, s.SID) {
		// This browser's own session is not the one the provider named (a provider's
		// iframe brings no Lax cookie, so this is a top-level link, which anyone can write
		// with some sid): it stays, and "signed out" would be false. The user is asked, as
		// without iss and sid; a framed request sees nothing (the prompt refuses framing).
		e.logf("exeunt: front-channel logout at %s names another session than this browser's: asking the user to confirm", p.FrontchannelLogoutPath)
		return e.showPrompt(lang, &logoutContext{ID: oidc.RandomID(16), SID: s.SID, Sub: s.Sub, IdP: s.IdP, Clients: s.Clients, Prompt: true}, now)
	}
	resp := e.loggedOutPage(lang, loggedOutData{Embedded: true, Frames: frames})
	resp.Headers = append(resp.Headers, clear...)
	return Respond(resp)
}

func containsRecord(rs []sessionRecord, sid string) bool {
	for _, r := range rs {
		if r.SID == sid {
			return true
		}
	}
	return false
}

// providerBackchannelEndpoint takes the headers of a request to /backchannel-{scheme}:
// a POST has its body read; anything else is refused.
func (e *Engine) providerBackchannelEndpoint(p *Provider, r Request) Decision {
	if r.Method != "POST" {
		resp := oauthError(405, "invalid_request", "the back-channel logout endpoint takes only POST with a logout_token form field")
		resp.Headers = append(resp.Headers, Header{"allow", "POST"})
		return Respond(resp)
	}
	return Decision{ReadBody: true}
}

// providerBackchannelLogout acts on a provider's logout token (Back-Channel Logout 1.0
// §2.6–2.8): 200 once the sessions it names have ended, 400 with an OAuth-style error
// for a token that does not validate, changing nothing.
func (e *Engine) providerBackchannelLogout(p *Provider, r Request, body []byte, now time.Time) Decision {
	if mt, _, err := mime.ParseMediaType(r.Header("content-type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return Respond(oauthError(400, "invalid_request", "send the logout token as application/x-www-form-urlencoded"))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Respond(oauthError(400, "invalid_request", "the form body does not parse"))
	}
	if len(form["logout_token"]) != 1 || form.Get("logout_token") == "" {
		return Respond(oauthError(400, "invalid_request", "exactly one logout_token is required"))
	}
	return e.verifyProviderLogoutToken(p, form.Get("logout_token"), now, true)
}

func (e *Engine) verifyProviderLogoutToken(p *Provider, raw string, now time.Time, mayRefetch bool) Decision {
	v, ok := e.providerInfo(p)
	if !ok {
		if !mayRefetch {
			return Respond(oauthError(503, "temporarily_unavailable", "the provider's keys are not available yet; retry later"))
		}
		return Decision{Call: e.fetchProvider(p, now, func(error) Decision {
			return e.verifyProviderLogoutToken(p, raw, now, false)
		})}
	}
	verifier := oidc.LogoutTokenVerifier{Issuer: p.Issuer, ClientID: p.ClientID, Algorithms: p.IDTokenAlgorithms, Leeway: logoutTokenSkew}
	tok, err := verifier.Verify(raw, v.keys, now)
	if err != nil && mayRefetch && errors.Is(err, oidc.ErrUnknownKey) {
		// The provider may have rotated its keys: fetch them once more.
		return Decision{Call: e.fetchProvider(p, now, func(error) Decision {
			return e.verifyProviderLogoutToken(p, raw, now, false)
		})}
	}
	if err != nil {
		e.logf("exeunt: back-channel logout from provider %s refused: %v", p.Scheme, err)
		return Respond(oauthError(400, "invalid_request", "the logout token is not valid: "+err.Error()))
	}
	jti := "jti:" + indexKey(tok.Issuer, tok.JTI)
	if seen, err := usedLogoutTokens.contains(e.store, jti, now); err != nil {
		return Respond(oauthError(503, "temporarily_unavailable", "cannot check for replays right now; retry later"))
	} else if seen {
		return Respond(oauthError(400, "invalid_request", "this logout token was already used (jti replayed)"))
	}
	records, err := e.sessionsOf(tok.Issuer, tok.SID, tok.Subject, now)
	if err != nil {
		return Respond(oauthError(503, "temporarily_unavailable", "the session index cannot be read right now; retry later"))
	}
	for _, rec := range records {
		if err := e.revokeSession(rec.SID, rec.Expires, now); err != nil {
			e.logf("exeunt: back-channel logout: cannot revoke sid=%s: %v", rec.SID, err)
			return Respond(oauthError(503, "temporarily_unavailable", "the session could not be ended right now; retry later"))
		}
		e.metrics.Add("exeunt.logout.provider_backchannel", 1)
		e.logf("exeunt: signed out sid=%s idp=%s trigger=provider_backchannel", rec.SID, rec.IdP)
		e.enqueueBackchannel(rec.SID, rec.Sub, rec.Clients, "provider_backchannel", now)
		// Front-channel notifications need a browser, and none is here. A client that
		// also has a back-channel URI was just queued a logout token above; only one
		// with front-channel alone is left uninformed, and only that is logged so.
		for _, id := range rec.Clients {
			if c := e.cfg.Client(id); c != nil && c.FrontchannelLogoutURI != "" {
				e.metrics.Add(clientMetric(c.ClientID, "frontchannel.unsent"), 1)
				if c.BackchannelLogoutURI == "" {
					e.logf("exeunt: back-channel logout: %s has only front-channel logout, which needs a browser; not notified of sid=%s", c.ClientID, rec.SID)
				}
			}
		}
	}
	if len(records) == 0 {
		// Valid, but no session here: nothing ended, nothing remembered.
		e.logf("exeunt: back-channel logout from provider %s: no edge session for it (already signed out?)", p.Scheme)
		return Respond(&Response{Status: 200, Headers: []Header{{"cache-control", "no-store"}}})
	}
	// Remembered only now, after success: a token that failed may be sent again.
	if _, err := usedLogoutTokens.add(e.store, jti, tok.Expiry.Add(logoutTokenSkew), now); err != nil {
		e.logf("exeunt: back-channel logout: cannot remember jti: %v", err)
	}
	return Respond(&Response{Status: 200, Headers: []Header{{"cache-control", "no-store"}}})
}
