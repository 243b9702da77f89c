package core

import (
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// signOut ends the edge session of a validated, confirmed logout and sends the browser
// on: to the provider's end session endpoint when the session came from a provider
// that has one (seeds 000 to 002), else straight to the logged-out page. The edge
// session ends first, before the browser leaves, so a user who never comes back from
// the provider is signed out here all the same.
func (e *Engine) signOut(v *requestView, lang string, ctx *logoutContext, s *session, chunks int, trigger string, now time.Time) Decision {
	// Every client the session reached is told, also one whose first visit raced another
	// and so is missing from this cookie (withRecordedClients).
	return e.withRecordedClients(s, now, func(version int64) Decision {
		ctx.Clients = withClients(ctx.Clients, s.Clients)
		return e.signOutRecorded(v, lang, ctx, s, version, chunks, trigger, now)
	})
}

// signOutRecorded is signOut once s.Clients holds every client the session reached, as
// its index record at version said.
func (e *Engine) signOutRecorded(v *requestView, lang string, ctx *logoutContext, s *session, version int64, chunks int, trigger string, now time.Time) Decision {
	clear := append(e.clearSessionCookies(max(chunks, 1)), e.clearBrowserState()...)
	clear = append(clear, e.clearUnconfirmed(v)...)
	// Other cookies of sessions ended already (a sign-out of several that failed midway,
	// signout_all.go): their iframes go on this page too. When the browser holds another
	// session's cookie at all, the provider is asked without this session's ID token, as
	// a sign-out of several asks it: this session may be the one planted (a retry of
	// that sign-out, whose other sessions ended), and its hint would ask the provider
	// to end the planter's session there instead of the user's.
	asked := *s
	var other bool
	ctx.OtherVisits, other = e.endedBeside(v, []session{*s}, now)
	if other {
		asked.IDToken = ""
	}
	rec := recordOf(s)
	rec.version = version
	// The clients notified, with any whose first visit landed after the read (endRecorded).
	each := func(r sessionRecord) { ctx.Clients = withClients(ctx.Clients, r.Clients) }
	return e.endSessions([]sessionRecord{rec}, trigger, now, each, func(_ *sessionRecord, err error) Decision {
		if errors.Is(err, errOutcomeUnknown) {
			// The store may still apply it (a hung etcd, a partition): neither "signed
			// out" nor "still signed in" would be known to be true. The cookie is kept: a
			// retry ends the session if it is not, and finishes the browser's part
			// either way (completeSignOut).
			e.logf("exeunt: sign-out: sid=%s not confirmed by the store (it may still apply it): %v", s.SID, err)
			return e.failPage(lang, signoutUnconfirmedFailure().withHeaders(e.markUnconfirmed(s, now)...))
		}
		if err != nil {
			// Not durable, so not done: the session lives on (the cookie is kept, so
			// that the user can try again and is not told "signed out" by an empty
			// browser), and the page says so.
			e.logf("exeunt: sign-out: cannot revoke sid=%s: %v", s.SID, err)
			return e.failPage(lang, e.signOutNotDone(v, s.SID, now))
		}
		return e.afterSignOut(lang, ctx, &asked, clear, now)
	})
}

// completeSignOut does the browser's part of a sign-out whose session has ended already
// (the cookie opens, but its session is revoked): an earlier attempt whose answer was
// lost (the store applied it late, and queued its back-channel notices with it), or an
// end by another trigger. The browser still gets what only it can do: the front-channel
// iframes, the provider's end session endpoint, and the signed-out page.
//
// The provider is asked without id_token_hint (its client_id says who asks): a cookie
// whose session has ended must stay worthless, and the hint would hand whoever holds it
// the provider's ID token, which the sealed cookie keeps from them. The provider may then
// ask the user to confirm.
func (e *Engine) completeSignOut(v *requestView, lang string, ctx *logoutContext, s *session, chunks int, now time.Time) Decision {
	clear := append(e.clearSessionCookies(max(chunks, 1)), e.clearBrowserState()...)
	clear = append(clear, e.clearUnconfirmed(v)...)
	e.logf("exeunt: sign-out: sid=%s had ended already; completing the browser's part", s.SID)
	ctx.OtherVisits, _ = e.endedBeside(v, []session{*s}, now) // as in signOut; the ID token goes in any case
	ended := *s
	ended.IDToken = ""
	if e.ports.settled == nil {
		return e.afterSignOut(lang, ctx, &ended, clear, now)
	}
	// Whoever ended it may not have seen every replica refuse it (its sign-out was not
	// confirmed): "signed out" waits for that here too (store_etcd_barrier.go).
	return e.ports.settled(s.SID, now, func(err error) Decision {
		if err != nil {
			e.metrics.Add(counterLogoutUnconfirmed, 1)
			e.logf("exeunt: sign-out: sid=%s has ended, but not every replica is known to refuse it yet: %v", s.SID, err)
			return e.failPage(lang, signoutUnconfirmedFailure().withHeaders(e.markUnconfirmed(s, now)...))
		}
		return e.afterSignOut(lang, ctx, &ended, clear, now)
	})
}

// The unconfirmed mark: a cookie (name-unconfirmed) set with the "not confirmed" page,
// holding the session's sid sealed for that use, until the session would end. A later
// attempt of the same browser for the same session that fails outright (etcd refuses, or
// cannot be reached) must not say "still signed in": the earlier attempt may still be
// applied by etcd (committed to its log by a member that then stopped, say). It goes
// with the sign-out that completes. Sealed, not hashed: whoever knows a sid could make a
// hash of it, and a mark sends a revoked session's hint to the provider
// (endedUnsignedOut); only Exeunt's sealing keys make one that opens.

const unconfirmedPurpose = "unconfirmed"

// sealUnconfirmed is the mark's value for sid, opening until until.
func (e *Engine) sealUnconfirmed(sid string, until, now time.Time) (string, error) {
	return e.keys.sealer.Seal(unconfirmedPurpose, []byte(sid), now, until)
}

// isUnconfirmedMark reports whether raw is a mark for sid that Exeunt sealed and that has
// not expired; sid is compared in constant time.
func (e *Engine) isUnconfirmedMark(raw, sid string, now time.Time) bool {
	if sid == "" {
		return false
	}
	payload, err := e.keys.sealer.Open(unconfirmedPurpose, raw, now)
	return err == nil && subtle.ConstantTimeCompare(payload, []byte(sid)) == 1
}

// hasUnconfirmedMark reports whether the request carries the mark of sid.
func (e *Engine) hasUnconfirmedMark(v *requestView, sid string, now time.Time) bool {
	raw, ok := cookieValue(v.cookies(), e.cfg.unconfirmedCookie)
	return ok && e.isUnconfirmedMark(raw, sid, now)
}

// markUnconfirmed sets the mark for s (none when it cannot be sealed, which is logged:
// the page still says "not confirmed", only a later attempt's page may then not).
func (e *Engine) markUnconfirmed(s *session, now time.Time) []Header {
	until := max(s.Expires, now.Unix()+1)
	sealed, err := e.sealUnconfirmed(s.SID, time.Unix(until, 0), now)
	if err != nil {
		e.logf("exeunt: sign-out: cannot seal the unconfirmed mark of sid=%s: %v", s.SID, err)
		return nil
	}
	return []Header{e.cookie(e.cfg.unconfirmedCookie, sealed, int(until-now.Unix())).header()}
}

// clearUnconfirmed deletes the mark, when the request carries one.
func (e *Engine) clearUnconfirmed(v *requestView) []Header {
	if _, ok := cookieValue(v.cookies(), e.cfg.unconfirmedCookie); !ok {
		return nil
	}
	return []Header{e.deleteCookie(e.cfg.unconfirmedCookie)}
}

// signOutNotDone is the failure of a sign-out of sid that this request did not make:
// "still signed in", unless this browser saw an attempt for sid that the store did not
// confirm, which may still take effect: then "not confirmed" again.
func (e *Engine) signOutNotDone(v *requestView, sid string, now time.Time) failure {
	if e.hasUnconfirmedMark(v, sid, now) {
		return signoutUnconfirmedFailure()
	}
	return storeUnavailableFailure("signout_unavailable")
}

// revokedSession opens the request's session cookie when openSession refused it as
// revoked (errRevoked): the session this browser held, which has ended. ok false when the
// cookie does not open, or has expired.
func (e *Engine) revokedSession(v *requestView) (*session, bool) {
	// Of several cookies of the name, one that opens: given errRevoked, none that opens
	// is alive (openSession would have used it), so it is a signed-out one.
	cands, _ := sessionCandidates(v.cookies(), e.cfg.Cookie.Name)
	for _, c := range cands {
		s, err := e.unseal(c.raw, v.now)
		if err == nil && v.now.Before(s.expiry(e.cfg.Session.IdleTimeout)) {
			return &s, true
		}
	}
	return nil, false
}

// afterSignOut sends the browser on once the edge session has ended.
func (e *Engine) afterSignOut(lang string, ctx *logoutContext, s *session, clear []Header, now time.Time) Decision {
	ctx.SignedOut, ctx.Prompt = true, false

	p := e.cfg.Provider(s.IdP)
	if p == nil {
		return Respond(e.showLoggedOut(lang, ctx, now, clear...))
	}
	return e.withProvider(p, now, func(v *providerView, err error) Decision {
		if err != nil {
			// Signed out here; the provider cannot be used to sign out there too. The
			// line says why (its metadata could not be had: no answer, an error, or a
			// document that does not fit), which is what the operator has to fix.
			e.logf("exeunt: sign-out: sid=%s ended here, but provider %s was not asked to sign out too: %v; the signed-out page tells the user they may still be signed in there", s.SID, p.Scheme, err)
			return Respond(e.showLoggedOutHere(lang, ctx, p, now, clear...))
		}
		return e.redirectToProviderLogout(p, v, lang, ctx, s, clear, now)
	})
}

// logoutCookieName holds the logoutId while the browser is at the provider: some
// providers drop the state parameter on the way back (seed 000).
func (e *Engine) logoutCookieName() string { return e.cfg.logoutCookie }

// redirectToProviderLogout sends the browser to the provider's end session endpoint,
// with the logoutId as state and in a short-lived cookie.
func (e *Engine) redirectToProviderLogout(p *Provider, v *providerView, lang string, ctx *logoutContext, s *session, clear []Header, now time.Time) Decision {
	endpoint := v.endpoints(p).EndSessionEndpoint
	if endpoint == "" {
		// Signed out here only: the provider's session lives on, and the page says so
		// (and does not go back to the app by itself, where the provider would sign the
		// user straight back in).
		d := e.loggedOutData(ctx)
		d.ProviderStillSignedIn, d.ProviderCannotSignOut, d.AutoRedirect = p.DisplayName, true, false
		resp := e.loggedOutPage(lang, d)
		resp.Headers = append(resp.Headers, clear...)
		return Respond(resp)
	}
	idTokenHint := ""
	if p.LogoutHint == LogoutHintIDToken {
		idTokenHint = s.IDToken
	}
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	base := endpoint + sep + providerLogoutQuery(p.ClientID, idTokenHint, e.cfg.IssuerOrigin+p.SignoutCallbackPath, ctx.UILocales) + "&state="
	return e.encodeLogoutID(ctx, len(base), now, func(id string, err error) Decision {
		if err != nil {
			e.logf("exeunt: sign-out: cannot keep the logout context, so the provider %s was not asked to sign out: %v", p.Scheme, err)
			return Respond(e.showLoggedOutHere(lang, ctx, p, now, clear...))
		}
		c := e.cookie(e.logoutCookieName(), id, int(time.Unix(ctx.Expires, 0).Sub(now)/time.Second))
		// The provider's redirect back is a cross-site top-level GET: Lax cookies go
		// along, Strict ones do not.
		if c.sameSite == string(SameSiteStrict) {
			c.sameSite = "Lax"
		}
		headers := append([]Header{{Name: "location", Value: base + url.QueryEscape(id)}, {Name: "cache-control", Value: "no-store"}, c.header()}, clear...)
		return Respond(&Response{Status: 302, Headers: headers})
	})
}

// providerLogoutQuery is the query of the request to a provider's end_session_endpoint,
// as url.Values.Encode writes it (names sorted, values query-escaped; an empty
// idTokenHint or uiLocales left out): spelt directly, without the map, its sorting and
// its builder, which show in every sign-out's time in a Go guest (BENCHMARKS.md, "Issue
// 15: the signed-in path and the sign-out"). TestProviderLogoutQueryIsValuesEncode
// holds it to url.Values.Encode.
func providerLogoutQuery(clientID, idTokenHint, postLogoutRedirectURI, uiLocales string) string {
	q := "client_id=" + url.QueryEscape(clientID)
	if idTokenHint != "" {
		q += "&id_token_hint=" + url.QueryEscape(idTokenHint)
	}
	q += "&post_logout_redirect_uri=" + url.QueryEscape(postLogoutRedirectURI)
	if uiLocales != "" {
		q += "&ui_locales=" + url.QueryEscape(uiLocales)
	}
	return q
}

// signoutCallback is where the provider sends the browser back after its sign-out
// (/signout-callback-{scheme}). The context comes from state; when state is missing or
// does not validate, from the logoutId cookie this browser got when it left (see
// RATIONALE.md, "Why does the logoutId cookie stand in for a state that fails?"). When
// neither validates: the error page and no redirect.
func (e *Engine) signoutCallback(p *Provider, v *requestView, now time.Time) Decision {
	q := v.queryValues()
	cs := v.cookies()
	clear := e.deleteCookie(e.logoutCookieName())
	lang := v.language()
	state := q.Get("state")
	done := func(ctx *logoutContext, err error) Decision {
		if err != nil {
			return e.failPage(lang, pageFailure(400, "provider_state").withHeaders(clear))
		}
		lang := v.languageFor(ctx.UILocales)
		if d, ok := e.stillSignedIn(v, lang, now); ok {
			return d
		}
		if errCode := q.Get("error"); errCode != "" {
			// Signed out here all the same; the provider says it may still hold its
			// session, so the page says so rather than claim a complete sign-out.
			e.logf("exeunt: sign-out: provider %s answered error=%s on the way back", p.Scheme, logQuote(errCode))
			return Respond(e.showLoggedOutHere(lang, ctx, p, now, clear))
		}
		return Respond(e.showLoggedOut(lang, ctx, now, clear))
	}
	return e.callbackContext(p, state, now, func(ctx *logoutContext, err error) Decision {
		if err == nil {
			return done(ctx, nil)
		}
		id, ok := cookieValue(cs, e.logoutCookieName())
		if !ok {
			return done(nil, err)
		}
		return e.callbackContext(p, id, now, func(ctx *logoutContext, err error) Decision {
			if err == nil && state != "" {
				e.logf("exeunt: sign-out: provider %s came back with a state that does not match; the logoutId cookie named the sign-out", p.Scheme)
			}
			return done(ctx, err)
		})
	})
}

// stillSignedIn answers a sign-out callback that comes from a browser still holding a
// live session: the context's own session has ended (a signed-out context names a
// revoked one), so this is another, and "You are signed out" would be false. That
// happens when the user signed in again before the page came back or was reloaded, and
// when anyone opens a link to someone's callback (a logoutId opens for anyone who holds
// it until it expires): such a link must not tell a signed-in user they are signed out.
// The user is asked whether to sign out, as the provider's front-channel endpoint asks
// when it names another session than this browser's. ok is false when the browser holds
// no live session (the callback goes on), true with the answer otherwise: the prompt, or
// the failure when the store cannot say or the cookies name two sessions.
func (e *Engine) stillSignedIn(v *requestView, lang string, now time.Time) (Decision, bool) {
	s, _, err := v.session()
	switch err {
	case nil:
		e.logf("exeunt: sign-out callback in a browser still signed in to another session: asking the user to confirm")
		return e.showPrompt(lang, &logoutContext{ID: oidc.RandomID(16), SID: s.SID, Sub: s.Sub, IdP: s.IdP, Clients: s.Clients, Prompt: true}, now), true
	case errStoreUnavailable:
		return e.failPage(lang, storeUnavailableFailure("store_unavailable")), true
	case errAmbiguousSession:
		return e.ambiguousSession(v), true
	}
	return Decision{}, false
}

// callbackContext opens a logoutId that came back to p's sign-out callback: it must
// name a sign-out that already happened here, through p.
func (e *Engine) callbackContext(p *Provider, id string, now time.Time, then func(*logoutContext, error) Decision) Decision {
	return e.decodeLogoutID(id, now, func(ctx *logoutContext, err error) Decision {
		if err != nil {
			return then(nil, err)
		}
		if !ctx.SignedOut || ctx.IdP != p.Scheme {
			return then(nil, errContextInvalid)
		}
		return then(ctx, nil)
	})
}

// showLoggedOut renders the logged-out page of a context: the way back to the app (the
// validated post_logout_redirect_uri with state) and one front-channel iframe per
// visited client that has a frontchannel_logout_uri.
func (e *Engine) showLoggedOut(lang string, ctx *logoutContext, now time.Time, extra ...Header) *Response {
	resp := e.loggedOutPage(lang, e.loggedOutData(ctx))
	resp.Headers = append(resp.Headers, extra...)
	return resp
}

// showLoggedOutHere is showLoggedOut when the edge session ended but the provider p's
// could not be (it is unreachable, or the logout context that brings the browser back
// could not be kept): the page says so rather than claim a complete sign-out.
func (e *Engine) showLoggedOutHere(lang string, ctx *logoutContext, p *Provider, now time.Time, extra ...Header) *Response {
	d := e.loggedOutData(ctx)
	d.ProviderStillSignedIn, d.AutoRedirect = p.DisplayName, false
	resp := e.loggedOutPage(lang, d)
	resp.Headers = append(resp.Headers, extra...)
	return resp
}

// loggedOutData is what the signed-out page shows for ctx.
func (e *Engine) loggedOutData(ctx *logoutContext) loggedOutData {
	d := loggedOutData{AutoRedirect: e.cfg.Logout.AutomaticRedirect}
	if c := e.cfg.Client(ctx.ClientID); c != nil {
		d.ClientName = c.Name
		if ctx.RedirectURI != "" {
			d.ReturnURL = returnURL(ctx.RedirectURI, ctx.State)
		}
	}
	d.Frames = append(e.frontchannelFrames(ctx.Clients, ctx.SID), e.otherFrames(ctx)...)
	return d
}

// frontchannelFrames lists the iframes that tell each visited client with a
// frontchannel_logout_uri that the session ended.
func (e *Engine) frontchannelFrames(clients []string, sid string) []frontchannelFrame {
	var frames []frontchannelFrame
	for _, id := range clients {
		c := e.cfg.Client(id)
		if c == nil || c.FrontchannelLogoutURI == "" {
			continue
		}
		frames = append(frames, frontchannelFrame{ClientName: c.Name, URL: e.frontchannelURL(c, sid)})
		e.metrics.Add(clientCounter(c.ClientID, clientFrontchannelRendered), 1)
	}
	return frames
}

// frontchannelURL is a client's frontchannel_logout_uri with iss and sid added (both or
// neither, Front-Channel Logout 1.0 §2), its own query kept.
func (e *Engine) frontchannelURL(c *Client, sid string) string {
	if !c.FrontchannelLogoutSessionRequired || sid == "" {
		return c.FrontchannelLogoutURI
	}
	sep := "?"
	if strings.Contains(c.FrontchannelLogoutURI, "?") {
		sep = "&"
	}
	return c.FrontchannelLogoutURI + sep + encodeQuery("iss", e.cfg.Issuer, "sid", sid)
}

// returnURL adds state to a post_logout_redirect_uri, keeping its own query.
func returnURL(uri, state string) string {
	if state == "" {
		return uri
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + "state=" + url.QueryEscape(state)
}
