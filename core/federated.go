package core

import (
	"errors"
	"net/url"
	"time"

	"github.com/exeunt/exeunt/core/jose"
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

// logoutTokenID names a provider's logout token among the claims (claimLogoutToken):
// the jti of each token acted on is claimed, to refuse replays.
func logoutTokenID(iss, jti string) string { return indexKey(iss, jti) }

// providerFrontchannelLogout answers a provider's front-channel logout iframe.
func (e *Engine) providerFrontchannelLogout(p *Provider, v *requestView, now time.Time) Decision {
	lang := v.language()
	q := v.queryValues()
	iss, psid := q.Get("iss"), q.Get("sid")
	opened, chunks, cookieErr := v.session()
	var s *session // nil without a valid cookie
	if cookieErr == nil {
		s = opened
	}
	if cookieErr == errStoreUnavailable {
		return e.failPage(lang, storeUnavailableFailure("unavailable"))
	}

	switch {
	case iss != "" || psid != "":
		// Front-Channel Logout 1.0 §3: iss and sid come together, iss must be this
		// provider's.
		if iss != p.Issuer || psid == "" {
			e.logf("exeunt: front-channel logout from provider %s: iss/sid do not match the provider", p.Scheme)
			return e.failPage(lang, pageFailure(400, "provider_state"))
		}
		return e.ports.sessions.find(p.Issuer, psid, "", now, func(records []sessionRecord, err error) Decision {
			if err != nil {
				e.logf("exeunt: front-channel logout: session index unreadable: %v", err)
				return e.failPage(lang, pageFailure(503, "unavailable"))
			}
			if s != nil && s.IdP == p.Scheme && s.PSID == psid && !containsRecord(records, s.SID) {
				records = append(records, recordOf(s))
			}
			return e.frontchannelEnd(lang, records, s, chunks, cookieErr, now)
		})
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
	case cookieErr == errAmbiguousSession:
		// As above, for a browser holding several different valid sessions: the user
		// is asked to end them all (signout_all.go).
		return e.promptForAll(lang, &logoutContext{ID: oidc.RandomID(16)}, "", now)
	case cookieErr == errNoSession && e.cookieMayBeWithheld(v.Request):
		// No iss and sid, and a cross-site request that would not carry the cookie:
		// nothing to go on, and "signed out" would be a guess.
		e.logf("exeunt: front-channel logout at %s without iss and sid, and without the cookie: nothing ended", p.FrontchannelLogoutPath)
		return e.failPage(lang, pageFailure(400, "provider_state"))
	}
	return e.frontchannelEnd(lang, nil, s, chunks, cookieErr, now)
}

// frontchannelEnd ends the sessions a provider's front-channel logout named, and
// answers the iframe with the front-channel iframes of the clients they visited.
func (e *Engine) frontchannelEnd(lang string, records []sessionRecord, s *session, chunks int, cookieErr error, now time.Time) Decision {
	var clear []Header
	if cookieErr != errNoSession && (s == nil || containsRecord(records, s.SID)) {
		clear = append(e.clearSessionCookies(max(chunks, 1)), e.clearBrowserState()...)
	}
	var frames []frontchannelFrame
	each := func(rec sessionRecord) { frames = append(frames, e.frontchannelFrames(rec.Clients, rec.SID)...) }
	return e.endSessions(records, triggerProviderFrontchannel, now, each, func(failed *sessionRecord, err error) Decision {
		if err != nil {
			e.logf("exeunt: front-channel logout: cannot revoke sid=%s: %v", failed.SID, err)
			return e.failPage(lang, pageFailure(503, "unavailable"))
		}
		if s != nil && !containsRecord(records, s.SID) {
			// This browser's own session is not the one the provider named (a provider's
			// iframe brings no Lax cookie, so this is a top-level link, which anyone can
			// write with some sid): it stays, and "signed out" would be false. The user is
			// asked, as without iss and sid; a framed request sees nothing (the prompt
			// refuses framing).
			e.logf("exeunt: front-channel logout names another session than this browser's: asking the user to confirm")
			return e.showPrompt(lang, &logoutContext{ID: oidc.RandomID(16), SID: s.SID, Sub: s.Sub, IdP: s.IdP, Clients: s.Clients, Prompt: true}, now)
		}
		resp := e.loggedOutPage(lang, loggedOutData{Embedded: true, Frames: frames, Ended: len(records) > 0})
		resp.Headers = append(resp.Headers, clear...)
		return Respond(resp)
	})
}

func containsRecord(rs []sessionRecord, sid string) bool {
	for _, r := range rs {
		if r.SID == sid {
			return true
		}
	}
	return false
}

// providerBackchannelLogout acts on a provider's logout token (Back-Channel Logout 1.0
// §2.6–2.8): 200 once the sessions it names have ended, 400 with an OAuth-style error
// for a token that does not validate, changing nothing.
func (e *Engine) providerBackchannelLogout(p *Provider, v *requestView, body []byte, now time.Time) Decision {
	if !isFormContentType(v.Header("content-type")) {
		return e.failJSON(jsonFailure(400, "invalid_request", "send the logout token as application/x-www-form-urlencoded"))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return e.failJSON(jsonFailure(400, "invalid_request", "the form body does not parse"))
	}
	if len(form["logout_token"]) != 1 || form.Get("logout_token") == "" {
		return e.failJSON(jsonFailure(400, "invalid_request", "exactly one logout_token is required"))
	}
	return e.verifyProviderLogoutToken(p, form.Get("logout_token"), now)
}

// verifyProviderLogoutToken verifies a logout token with the provider's keys (fetched
// once more if it names a key they lack: verifyProviderToken) and acts on it.
func (e *Engine) verifyProviderLogoutToken(p *Provider, raw string, now time.Time) Decision {
	verifier := oidc.LogoutTokenVerifier{Issuer: p.Issuer, ClientID: p.ClientID, Algorithms: p.IDTokenAlgorithms, Leeway: logoutTokenSkew}
	var tok *oidc.LogoutToken
	return e.verifyProviderToken(p, now, func(keys *jose.JSONWebKeySet) (err error) {
		tok, err = verifier.Verify(raw, keys, now)
		return err
	}, func(err error) Decision {
		switch {
		case errors.Is(err, errNoProviderCopy):
			return e.failJSON(jsonFailure(503, "temporarily_unavailable", "the provider's keys are not available yet; retry later"))
		case err != nil:
			e.logf("exeunt: back-channel logout from provider %s refused: %v", p.Scheme, err)
			return e.failJSON(jsonFailure(400, "invalid_request", "the logout token is not valid: "+err.Error()))
		}
		return e.endProviderSessions(p, tok, now)
	})
}

// endProviderSessions acts on a verified logout token: it refuses a replay, then ends
// every session the token names.
func (e *Engine) endProviderSessions(p *Provider, tok *oidc.LogoutToken, now time.Time) Decision {

	jti := logoutTokenID(tok.Issuer, tok.JTI)
	return e.ports.claims.claimed(claimLogoutToken, jti, now, func(seen bool, err error) Decision {
		if err != nil {
			return e.failJSON(jsonFailure(503, "temporarily_unavailable", "cannot check for replays right now; retry later"))
		} else if seen {
			return e.failJSON(jsonFailure(400, "invalid_request", "this logout token was already used (jti replayed)"))
		}
		// Marked before the index is read: a sign-in to this provider session whose
		// record the read misses finds the mark (signin_ended_provider_session.go).
		return e.markProviderSessionEnded(tok.Issuer, tok.SID, tok.Subject, tok.IssuedAt, now, func(err error) Decision {
			if err != nil {
				return e.failJSON(jsonFailure(503, "temporarily_unavailable", "cannot record the provider session's end right now; retry later"))
			}
			return e.ports.sessions.find(tok.Issuer, tok.SID, tok.Subject, now, func(records []sessionRecord, err error) Decision {
				if err != nil {
					return e.failJSON(jsonFailure(503, "temporarily_unavailable", "the session index cannot be read right now; retry later"))
				}
				return e.backchannelEnd(p, records, jti, tok.Expiry.Add(logoutTokenSkew), now)
			})
		})
	})
}

// backchannelEnd ends the sessions a provider's logout token named and, once all
// ended, claims the token's jti (until) so that a replay is refused.
func (e *Engine) backchannelEnd(p *Provider, records []sessionRecord, jti string, until, now time.Time) Decision {
	// Front-channel notifications need a browser, and none is here. A client that
	// also has a back-channel URI was just queued a logout token; only one with
	// front-channel alone is left uninformed, and only that is logged so.
	each := func(rec sessionRecord) { e.frontchannelWithoutBrowser(rec, "back-channel logout") }
	return e.endSessions(records, triggerProviderBackchannel, now, each, func(failed *sessionRecord, err error) Decision {
		if errors.Is(err, errOutcomeUnknown) {
			// It may still be applied, with its notices; a retry finds it done.
			e.logf("exeunt: back-channel logout: ending sid=%s not confirmed by the store: %v", failed.SID, err)
			return e.failJSON(jsonFailure(503, "temporarily_unavailable", "the store did not confirm the sign-out in time; retry later"))
		}
		if err != nil {
			e.logf("exeunt: back-channel logout: cannot revoke sid=%s: %v", failed.SID, err)
			return e.failJSON(jsonFailure(503, "temporarily_unavailable", "the session could not be ended right now; retry later"))
		}
		ok := Respond(&Response{Status: 200, Headers: []Header{{Name: "cache-control", Value: "no-store"}}})
		if len(records) == 0 {
			// Valid, but no session here: nothing ended, nothing remembered.
			e.logf("exeunt: back-channel logout from provider %s: no edge session for it (already signed out?)", p.Scheme)
			return ok
		}
		// Remembered only now, after success: a token that failed may be sent again.
		return e.ports.claims.claim(claimLogoutToken, jti, until, now, func(_ bool, err error) Decision {
			if err != nil {
				e.logf("exeunt: back-channel logout: cannot remember jti: %v", err)
			}
			return ok
		})
	})
}
