package core

import (
	"crypto/subtle"
	"net/url"
	"time"

	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// The end session endpoint: OpenID Connect RP-Initiated Logout 1.0. An app sends the
// browser here (GET or a form POST) with the assertion it received as id_token_hint,
// its client_id, a post_logout_redirect_uri from its registered list, a state, and
// optionally ui_locales and logout_hint. The request is validated completely before
// anything changes; then the user confirms when the request is not proven to come from
// the current session, the edge session ends, the clients are notified, and the browser
// goes to sign out at the provider and comes back to the logged-out page.

// endSessionParams are the request's parameters, from the query (GET) or the form body
// (POST).
type endSessionParams = url.Values

// endSessionPost handles a POSTed end session request: a logout request from an app,
// or the confirmation of the logout prompt (which carries logout_id and csrf).
func (e *Engine) endSessionPost(v *requestView, body []byte, now time.Time) Decision {
	lang := v.language()
	if !isFormContentType(v.Header("content-type")) {
		return e.failPage(lang, pageFailure(415, "invalid_request"))
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return e.failPage(lang, pageFailure(400, "invalid_request"))
	}
	if params.Has("logout_id") {
		return e.confirmLogout(v, params, now)
	}
	return e.endSession(v, params, now)
}

// endSession validates a logout request and acts on it.
func (e *Engine) endSession(v *requestView, params endSessionParams, now time.Time) Decision {
	if name, limit := overLimit(params, endSessionLimited...); name != "" {
		e.metrics.Add(counterLogoutRejected, 1)
		return Respond(e.tooLongPage(v.language(), name, limit))
	}
	lang := v.languageFor(params.Get("ui_locales"))
	fail := func(status int, reason string) Decision {
		e.metrics.Add(counterLogoutRejected, 1)
		return e.failPage(lang, pageFailure(status, reason))
	}
	for name, values := range params {
		// A parameter given twice is ambiguous (which one was validated?): refuse it
		// (RFC 6749 §3.1, applied to this endpoint's parameters as well).
		if len(values) > 1 && endSessionParamNames[name] {
			return fail(400, "invalid_request")
		}
	}

	// id_token_hint: an assertion we issued. Its signature and issuer are always
	// checked; its expiry is not, since the user may have been idle for hours.
	var hint *assertionClaims
	if raw := params.Get("id_token_hint"); raw != "" {
		claims, err := e.verifyHint(raw)
		if err != nil {
			e.logf("exeunt: end session: id_token_hint refused: %v", err)
			return fail(400, "invalid_hint")
		}
		hint = claims
	}
	var client *Client
	if hint != nil {
		if client = e.cfg.Client(hint.Aud); client == nil {
			return fail(400, "unknown_client")
		}
	}
	if id := params.Get("client_id"); id != "" {
		c := e.cfg.Client(id)
		switch {
		case c == nil:
			return fail(400, "unknown_client")
		case client != nil && c != client:
			return fail(400, "client_mismatch")
		}
		client = c
	}
	redirect := params.Get("post_logout_redirect_uri")
	if redirect != "" {
		// Exact match only: no case folding, no prefix, no wildcard (RP-Initiated
		// Logout 1.0 §3); and only once the client is established.
		if client == nil {
			return fail(400, "redirect_without_client")
		}
		if !client.AllowsPostLogoutRedirectURI(redirect) {
			return fail(400, "invalid_redirect_uri")
		}
	}

	ctx := &logoutContext{ID: oidc.RandomID(16), RedirectURI: redirect, State: params.Get("state"),
		UILocales: params.Get("ui_locales"), LogoutHint: params.Get("logout_hint")}
	if client != nil {
		ctx.ClientID = client.ClientID
	}
	if ctx.RedirectURI == "" {
		ctx.State = "" // state only ever travels back on the redirect
	}
	s, all, chunks, err := v.sessions()
	if err == errNoSession && e.cookieMayBeWithheld(v.Request) {
		// A cross-site request (an app on another site POSTing its logout form) comes
		// without the session cookie even when there is a session: nothing here says
		// whether this browser is signed in. Ask on Exeunt's own page; its form is a
		// same-origin POST, which carries the cookie (crosssite.go, RATIONALE.md).
		// The context names no session: the confirmation ends the one it brings.
		ctx.Prompt = true
		return e.showPrompt(lang, ctx, now)
	}
	if err == errAmbiguousSession {
		// Two or more different valid sessions: the sign-out ends all of them, once the
		// user confirms (signout_all.go).
		hintSID := ""
		if hint != nil {
			if i := indexOfSession(all, hint.SID); i >= 0 {
				hintSID = all[i].SID
			}
		}
		return e.promptForAll(lang, ctx, hintSID, now)
	}
	if err == errStoreUnavailable {
		// Whether this session is still alive is unknown (the copy of the revocations is
		// not loaded, or stale), and ending it would fail too: the page says the session
		// cannot be checked, not that the user is still signed in.
		return e.failPage(lang, storeUnavailableFailure("store_unavailable"))
	}
	// A cookie that opens, of a session that has ended (an earlier sign-out whose answer
	// was lost, applied by the store late; another trigger): the sign-out goes on as for
	// a live session, and completes the browser's part instead of ending it again.
	revoked := false
	if err == errRevoked {
		if rs, ok := e.revokedSession(v); ok {
			s, err, revoked = rs, nil, true
		}
	}
	if err != nil {
		// Already signed out is not an error: show the logged-out page (with the way
		// back to the app when it was validated), and drop a dead cookie.
		ctx.SignedOut = true
		var clear []Header
		if err != errNoSession {
			clear = e.clearSessionCookies(max(chunks, 1))
		}
		if p := e.endedUnsignedOut(v, hint, err, now); p != nil {
			// The session ended without a sign-out (its cookie expired or is gone), or
			// its sign-out never got this far (unconfirmed, then the cookie was lost):
			// its provider was never asked, and would sign the user straight back in.
			ctx.SID, ctx.Sub, ctx.IdP = hint.SID, hint.Sub, p.Scheme
			clear = append(clear, e.clearUnconfirmed(v)...)
			return e.afterSignOut(lang, ctx, &session{SID: hint.SID, Sub: hint.Sub, IdP: p.Scheme}, clear, now)
		}
		return Respond(e.showLoggedOut(lang, ctx, now, clear...))
	}
	ctx.SID, ctx.Sub, ctx.IdP, ctx.Clients = s.SID, s.Sub, s.IdP, s.Clients

	// Proven: the hint names this very session. Anything else (no hint, a hint of
	// another or an older session, a logout_hint naming someone else) may be a
	// cross-site request forging a logout: the user confirms first.
	// The prompt may say the app asked only then too: anyone signed in to an app can
	// copy the hint of his own session into a link (hinted).
	ctx.hinted = hint != nil && subtle.ConstantTimeCompare([]byte(hint.SID), []byte(s.SID)) == 1
	proven := ctx.hinted && (ctx.LogoutHint == "" || ctx.LogoutHint == s.Sub || ctx.LogoutHint == s.Email)
	if !proven || e.cfg.Logout.Prompt == LogoutPromptAlways {
		ctx.Prompt = true
		return e.showPrompt(lang, ctx, now)
	}
	if revoked {
		return e.completeSignOut(v, lang, ctx, s, chunks, now)
	}
	return e.signOut(v, lang, ctx, s, chunks, triggerRPInitiated, now)
}

// endedUnsignedOut returns the provider to sign out at when a verified hint names a
// session that ended here without a sign-out: the browser's cookie did not open (err:
// expired, absent, unreadable; not errRevoked), and the hint's sid is not revoked, so
// no sign-out of it ever ran, and none asked its provider to end the provider's own
// session. Signing the browser out there is what the app asked for; the provider asks
// the user to confirm (no id_token_hint: the provider's ID token was in the cookie).
// nil when the session was signed out (that sign-out went to the provider), when the
// store cannot say, or when the hint names no configured provider.
//
// Except when this browser holds the unconfirmed mark of the hint's session: its
// sign-out was "not confirmed" (the store applied it late, say), and the browser then
// lost the cookie that would have let a retry finish it (an app request clears a revoked
// session's cookie). That sign-out never reached the provider either, so the browser
// goes there, as completeSignOut would have sent it.
func (e *Engine) endedUnsignedOut(v *requestView, hint *assertionClaims, err error, now time.Time) *Provider {
	if hint == nil || hint.SID == "" {
		return nil
	}
	p := e.cfg.Provider(hint.IdP)
	if p == nil {
		return nil
	}
	if e.hasUnconfirmedMark(v, hint.SID, now) {
		return p
	}
	if err == errRevoked {
		return nil
	}
	if revoked, rerr := e.ports.revocations.isRevoked(hint.SID, now); rerr != nil || revoked {
		return nil
	}
	return p
}

// endSessionParamNames are the parameters of RP-Initiated Logout 1.0 §2.
var endSessionParamNames = map[string]bool{"id_token_hint": true, "logout_hint": true, "client_id": true,
	"post_logout_redirect_uri": true, "state": true, "ui_locales": true, "logout_id": true, "csrf": true}

// verifyHint checks an id_token_hint: signed by one of our keys (ES256 only; "none"
// and every other algorithm refused), typed as an assertion ("JWT", identity.go), issued
// by us. Expiry is deliberately not checked. The type keeps out the logout tokens
// signed with the same keys (typ logout+jwt): a hint is an ID token, and a logout token
// is not one (Back-Channel Logout 1.0 §4.1, cross-JWT confusion).
// A hint that is exactly an assertion this VM signed and still caches (or another VM
// of this Envoy signed and still shares) is ours by its bytes, and its signature is not
// checked again (ownAssertion, hint.go); the issuer is checked either way.
func (e *Engine) verifyHint(raw string) (*assertionClaims, error) {
	c, own := e.ownAssertion(raw)
	if !own {
		e.metrics.Add(counterHintVerified, 1)
		payload, err := e.keys.signer.VerifyOwn(raw, assertionType)
		if err != nil {
			return nil, err
		}
		c = &assertionClaims{}
		if err := jsonx.Unmarshal(payload, c); err != nil {
			return nil, err
		}
	}
	if c.Iss != e.cfg.Issuer {
		return nil, errContextInvalid
	}
	return c, nil
}

// csrfClaims is the prompt's anti-forgery token: bound to one logout context, single
// use, short-lived.
type csrfClaims struct {
	_       noCompare
	Context string `json:"ctx"`
	JTI     string `json:"jti"`
}

const csrfPurpose = "logout-confirm"

// showPrompt asks the user to confirm the sign-out.
func (e *Engine) showPrompt(lang string, ctx *logoutContext, now time.Time) Decision {
	exp := now.Add(e.cfg.Logout.ContextLifetime)
	ctx.Expires = exp.Unix()
	return e.encodeLogoutID(ctx, inForm, now, func(id string, err error) Decision { // travels in a form field, not a URL
		if err != nil {
			e.logf("exeunt: end session: cannot keep the logout context: %v", err)
			return e.failPage(lang, pageFailure(503, "unavailable"))
		}
		payload, _ := jsonx.Marshal(&csrfClaims{Context: ctx.ID, JTI: oidc.RandomID(16)})
		token, err := e.keys.sealer.Seal(csrfPurpose, payload, now, exp)
		if err != nil {
			e.logf("exeunt: end session: cannot seal the confirmation token: %v", err)
			return e.failPage(lang, pageFailure(500, "server_error"))
		}
		d := logoutPromptData{Action: e.cfg.Paths.EndSession, LogoutID: id, CSRF: token}
		if c := e.cfg.Client(ctx.ClientID); c != nil && ctx.hinted {
			// "<client> asked to sign you out": only when a hint shows it (hinted).
			d.ClientName = c.Name
		}
		return Respond(e.logoutPromptPage(lang, d))
	})
}

// confirmLogout handles the prompt's POST: the context must be valid, the token bound
// to it and unused, and the browser's session the one the prompt was shown for.
func (e *Engine) confirmLogout(v *requestView, params endSessionParams, now time.Time) Decision {
	lang := v.language()
	return e.decodeLogoutID(params.Get("logout_id"), now, func(ctx *logoutContext, err error) Decision {
		if err != nil {
			return e.failPage(lang, pageFailure(400, "context_invalid"))
		}
		return e.confirmLogoutOf(v, params, ctx, now)
	})
}

// confirmLogoutOf goes on with confirmLogout once its context is known.
func (e *Engine) confirmLogoutOf(v *requestView, params endSessionParams, ctx *logoutContext, now time.Time) Decision {
	lang := v.languageFor(ctx.UILocales)
	var tok csrfClaims
	payload, err := e.keys.sealer.Open(csrfPurpose, params.Get("csrf"), now)
	if err == nil {
		err = jsonx.Unmarshal(payload, &tok)
	}
	if err != nil || tok.JTI == "" || subtle.ConstantTimeCompare([]byte(tok.Context), []byte(ctx.ID)) != 1 {
		return e.failPage(lang, pageFailure(400, "csrf"))
	}
	if params.Get("confirm") != "yes" {
		return e.failPage(lang, pageFailure(400, "invalid_request"))
	}
	// Everything that may refuse the confirmation comes before its token is spent: a
	// refused attempt (from another site, say) changes nothing, and the user's own
	// click still works.
	s, all, chunks, err := v.sessions()
	revoked := false // the cookie's session has ended already (see endSession)
	if err == errRevoked {
		if rs, ok := e.revokedSession(v); ok {
			s, err, revoked = rs, nil, true
		}
	}
	switch {
	case err == errStoreUnavailable: // as in endSession
		return e.failPage(lang, storeUnavailableFailure("store_unavailable"))
	case err == errAmbiguousSession && ctx.SID != "":
		// Two or more sessions, and a prompt made for one: it must not end the others
		// (the planter gets a prompt for her own session in her own browser, and can post
		// it here). The user is asked again, for all of them; nothing from this context
		// but its language goes on.
		return e.promptForAll(lang, &logoutContext{ID: oidc.RandomID(16), UILocales: ctx.UILocales}, "", now)
	case err == errAmbiguousSession:
		// A prompt for all of them (signout_all.go), bound to no session: accepted from
		// Exeunt's own origin only, as below.
		if !e.postedFromOwnOrigin(v.Request) {
			return e.failPage(lang, pageFailure(400, "csrf"))
		}
		s, err = &all[0], nil // the claim's owner; signOutAll ends all
	case err == errNoSession && e.cookieMayBeWithheld(v.Request):
		// Our own form posts same-origin, with the cookie; this one came from another
		// site, without it: whether a session lives on is unknown, so claim nothing.
		return e.failPage(lang, pageFailure(403, "cross_site"))
	case err != nil:
	case ctx.SID == "":
		// A prompt shown to a request that came without the cookie (cross-site): the
		// user confirmed on Exeunt's page, and this same-origin POST brings the
		// session they confirmed for. Such a prompt is bound to no session, so its
		// form is accepted only from Exeunt's own origin: a page of a sibling site
		// (same-site, so the cookie comes along) cannot replay one it obtained.
		if !e.postedFromOwnOrigin(v.Request) {
			return e.failPage(lang, pageFailure(400, "csrf"))
		}
		ctx.SID, ctx.Sub, ctx.IdP = s.SID, s.Sub, s.IdP
	case subtle.ConstantTimeCompare([]byte(s.SID), []byte(ctx.SID)) != 1:
		// The prompt was made for another session (someone else's, planted on this
		// browser): refuse rather than sign this one out.
		return e.failPage(lang, pageFailure(400, "csrf"))
	}
	sessionErr := err
	// The token is spent on this session (its owner): a repeat of the same confirmation
	// for the same session (the first's answer lost to a timeout after the store applied
	// the claim) goes on; the token stays refused for any other session.
	owner := ""
	if err == nil {
		owner = s.SID
	}
	return e.ports.claims.claimAs(claimPromptToken, tok.JTI, owner, time.Unix(ctx.Expires, 0), now, func(fresh bool, err error) Decision {
		if err != nil {
			e.logf("exeunt: sign-out: the store cannot say whether this prompt was used: %v", err)
			if revoked { // ended already: "still signed in" would be false
				return e.failPage(lang, pageFailure(503, "unavailable").withHeaders(Header{Name: "retry-after", Value: "1"}))
			}
			if sessionErr != nil {
				// This browser holds no session (none, expired, unreadable): there was
				// nothing of it to end, so "still signed in" would be false whatever
				// the claim's fate, and the answer is the one a fresh claim gets.
				ctx.SignedOut, ctx.Prompt = true, false
				return Respond(e.showLoggedOut(lang, ctx, now))
			}
			// Nothing ended here (the claim comes first): still signed in, unless an
			// earlier attempt was not confirmed.
			return e.failPage(lang, e.signOutNotDone(v, s.SID, now))
		}
		if !fresh {
			return e.failPage(lang, pageFailure(400, "csrf"))
		}
		if revoked {
			ctx.Clients = s.Clients
			return e.completeSignOut(v, lang, ctx, s, chunks, now)
		}
		if all != nil {
			return e.signOutAll(v, lang, ctx, all, chunks, triggerRPInitiated, now)
		}
		if sessionErr != nil {
			// Signed out in the meantime (another tab, the provider): done already.
			ctx.SignedOut, ctx.Prompt = true, false
			return Respond(e.showLoggedOut(lang, ctx, now))
		}
		ctx.Clients = s.Clients // what it visited since the prompt was shown counts too
		return e.signOut(v, lang, ctx, s, chunks, triggerRPInitiated, now)
	})
}

// postedFromOwnOrigin reports whether a confirmation of a prompt bound to no session
// comes from Exeunt's own page, as its form's POST does: Sec-Fetch-Site "same-origin";
// in a browser without Fetch Metadata (Safari before 16.4, Firefox before 90), an Origin
// that is Exeunt's (the prompt's Referrer-Policy, same-origin, lets its own posts show
// it, pages.go), anything else (another origin, "null") refused: a sibling site's page
// gets the cookies along, and could post a prompt its author got in her own browser. A
// POST with neither header is no browser's form (every browser sending neither is one
// too old to send Origin on a POST), taken at its word, as cookieMayBeWithheld takes it.
func (e *Engine) postedFromOwnOrigin(r Request) bool {
	switch r.Header("sec-fetch-site") {
	case "same-origin":
		return true
	case "":
		o := r.Header("origin")
		return o == "" || o == e.cfg.IssuerOrigin
	}
	return false
}
