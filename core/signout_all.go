package core

import (
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"
)

// A sign-out from a browser that holds two or more different valid sessions (one of
// them planted by a sibling host under the cookie's domain, or by a script, on a longer
// path: session_candidates.go) ends all of them. No other request uses either of them
// (the 400 page, errAmbiguousSession), but a sign-out is a promise: refusing it left the
// user unable to sign out, and the planted session stuck in the browser. Ending the
// planted session hurts only its planter, and once it is revoked its cookie no longer
// opens, so the browser is unstuck. RATIONALE.md, "Why is every cookie of the session's
// name tried, and two different valid sessions refused?".
//
// Nothing in such a request shows which session the user meant, so the user always
// confirms on Exeunt's prompt, and the prompt is bound to no session (as the one shown
// to a request without the cookie): its confirmation is accepted from Exeunt's own
// origin only, and ends the sessions that same-origin POST brings. A prompt bound to one
// session is never taken for all: the planter gets one for her own session in her own
// browser, and could post it here.

// indexOfSession is the index in all of the session sid names, -1 for none; sids are
// compared in constant time.
func indexOfSession(all []session, sid string) int {
	if sid == "" {
		return -1
	}
	for i := range all {
		if subtle.ConstantTimeCompare([]byte(all[i].SID), []byte(sid)) == 1 {
			return i
		}
	}
	return -1
}

// promptForAll asks the user to confirm the end of every session the browser holds.
// ctx is the validated request's context (its client, return address, state); hintSID
// is the session among them that the request's verified id_token_hint named, "" for
// none: it is ended first, and decides nothing else (afterSignOutOfAll).
func (e *Engine) promptForAll(lang string, ctx *logoutContext, hintSID string, now time.Time) Decision {
	ctx.SID, ctx.Sub, ctx.IdP, ctx.Clients, ctx.OtherVisits = "", "", "", nil, nil
	// ctx.hinted stays false: the hint may name the planted session, so the prompt names
	// no app as having asked.
	ctx.HintSID, ctx.Prompt = hintSID, true
	e.logf("exeunt: sign-out from a browser holding several different valid sessions: asking the user to confirm the end of all of them")
	return e.showPrompt(lang, ctx, now)
}

// signOutAll ends every session of all (two or more, confirmed by the user) as signOut
// ends one: each revoked and its back-channel notices queued (endSessions, in order, the
// hinted session first), the cookies Exeunt set cleared, and "signed out" only once all
// ended; otherwise the page says what signOut's says for the session that failed (the
// cookies are kept, so a retry ends what is left: an ended session's cookie no longer
// opens). The signed-out page carries the front-channel iframes of every session.
func (e *Engine) signOutAll(v *requestView, lang string, ctx *logoutContext, all []session, chunks int, trigger string, now time.Time) Decision {
	// Each session's clients as its index record names them too (withRecordedClients).
	versions := make([]int64, len(all))
	var recorded func(i int) Decision
	recorded = func(i int) Decision {
		if i == len(all) {
			return e.signOutAllRecorded(v, lang, ctx, all, versions, chunks, trigger, now)
		}
		return e.withRecordedClients(&all[i], now, func(version int64) Decision {
			versions[i] = version
			return recorded(i + 1)
		})
	}
	return recorded(0)
}

// signOutAllRecorded is signOutAll once each session's Clients hold every client it
// reached, as its index record at versions[i] said.
func (e *Engine) signOutAllRecorded(v *requestView, lang string, ctx *logoutContext, all []session, versions []int64, chunks int, trigger string, now time.Time) Decision {
	order := make([]session, 0, len(all))
	recs := make([]sessionRecord, 0, len(all))
	add := func(i int) {
		order = append(order, all[i])
		rec := recordOf(&all[i])
		rec.version = versions[i]
		recs = append(recs, rec)
	}
	hinted := indexOfSession(all, ctx.HintSID)
	if hinted >= 0 {
		add(hinted)
	}
	for i := range all {
		if i != hinted {
			add(i)
		}
	}
	// The clients notified, with any whose first visit landed after the read (endRecorded).
	each := func(r sessionRecord) {
		s := &order[indexOfSession(order, r.SID)]
		s.Clients = withClients(s.Clients, r.Clients)
	}
	clear := append(e.clearSessionCookies(max(chunks, 1)), e.clearBrowserState()...)
	clear = append(clear, e.clearUnconfirmed(v)...)
	ended, _ := e.endedBeside(v, order, now) // read before these are revoked too
	e.logf("exeunt: sign-out: ending the %d different valid sessions this browser holds", len(order))
	return e.endSessions(recs, trigger, now, each, func(failed *sessionRecord, err error) Decision {
		if err != nil {
			s := &order[indexOfSession(order, failed.SID)]
			if errors.Is(err, errOutcomeUnknown) {
				e.logf("exeunt: sign-out: sid=%s not confirmed by the store (it may still apply it): %v", s.SID, err)
				return e.failPage(lang, signoutUnconfirmedFailure().withHeaders(e.markUnconfirmed(s, now)...))
			}
			e.logf("exeunt: sign-out: cannot revoke sid=%s: %v", s.SID, err)
			return e.failPage(lang, e.signOutNotDone(v, s.SID, now))
		}
		first := order[0]
		ctx.SID, ctx.Sub, ctx.IdP, ctx.Clients = first.SID, first.Sub, first.IdP, first.Clients
		ctx.OtherVisits = nil
		for _, o := range order[1:] {
			ctx.OtherVisits = e.addOtherVisits(ctx.OtherVisits, o.SID, o.Clients)
		}
		for i := 0; i+1 < len(ended); i += 2 {
			ctx.OtherVisits = e.addOtherVisits(ctx.OtherVisits, ended[i], ended[i+1:i+2])
		}
		return e.afterSignOutOfAll(lang, ctx, order, clear, now)
	})
}

// afterSignOutOfAll sends the browser on once all its sessions ended. The provider
// holds one session of this browser, and which of the edge sessions came from it cannot
// be told: not even by the request's id_token_hint, since apps put a user's assertion in
// their sign-out links and the planter holds hers. So no ID token goes to the provider
// (one of the planter's makes a provider such as IdentityServer refuse the sign-out:
// "Current user does not match identity token"). When all came from one provider, that
// provider is asked without a hint (client_id only, as completeSignOut asks), and it
// asks the user. Sessions of different providers: none is asked (which one the user's
// is cannot be told, and the planter's must not choose), and the page names them all as
// perhaps still signed in. The way back to the app is the request's own, checked
// against its client as always.
func (e *Engine) afterSignOutOfAll(lang string, ctx *logoutContext, order []session, clear []Header, now time.Time) Decision {
	asked := order[0]
	asked.IDToken = ""
	var names []string
	for _, s := range order {
		if s.IdP == asked.IdP {
			continue
		}
		for _, idp := range []string{asked.IdP, s.IdP} {
			if p := e.cfg.Provider(idp); p != nil && !slices.Contains(names, p.DisplayName) {
				names = append(names, p.DisplayName)
			}
		}
	}
	if names == nil {
		return e.afterSignOut(lang, ctx, &asked, clear, now)
	}
	e.logf("exeunt: sign-out: the ended sessions came from different providers; none was asked to sign out")
	ctx.SignedOut, ctx.Prompt = true, false
	d := e.loggedOutData(ctx)
	d.ProviderStillSignedIn, d.AutoRedirect = strings.Join(names, ", "), false
	resp := e.loggedOutPage(lang, d)
	resp.Headers = append(resp.Headers, clear...)
	return Respond(resp)
}

// endedBeside is what the browser's other session cookies (besides the sessions of the
// sign-out at hand, these) hold of sessions that have ended already, as OtherVisits pairs
// for their front-channel iframes. A sign-out of several whose later revocation failed
// ended the earlier ones without showing their iframes (its page said "still signed
// in"), and the retry no longer opens their cookies: its signed-out page shows them,
// or an app told by front-channel only would keep such a session. A cookie that does not
// open, has expired, or whose revocation the store cannot say adds nothing; the usual
// single cookie is not looked at again (severalSessionCookies).
//
// other reports whether any cookie opened to a session besides these, ended or not: the
// browser then holds someone else's session too (planted: session_candidates.go), and a
// sign-out that looks like one session's (the retry of a sign-out of several whose first
// sessions ended) must not send its session's ID token to the provider, for it may be the
// planter's (signOut).
func (e *Engine) endedBeside(v *requestView, these []session, now time.Time) (visits []string, other bool) {
	if !severalSessionCookies(v.cookies(), e.cfg.Cookie.Name) {
		return nil, false
	}
	cands, _ := sessionCandidates(v.cookies(), e.cfg.Cookie.Name)
	var out, seen []string
	for _, c := range cands {
		s, err := e.unseal(c.raw, now)
		if err != nil || indexOfSession(these, s.SID) >= 0 {
			continue
		}
		other = true
		if slices.Contains(seen, s.SID) || !now.Before(s.expiry(e.cfg.Session.IdleTimeout)) {
			continue
		}
		if revoked, err := e.ports.revocations.isRevoked(s.SID, now); err != nil || !revoked {
			continue
		}
		seen = append(seen, s.SID) // each once (two seals of one session)
		out = e.addOtherVisits(out, s.SID, s.Clients)
	}
	return out, other
}

// otherFrames are the front-channel iframes of the other sessions a sign-out of several
// ended (logoutContext.OtherVisits).
func (e *Engine) otherFrames(ctx *logoutContext) []frontchannelFrame {
	var frames []frontchannelFrame
	for i := 0; i+1 < len(ctx.OtherVisits); i += 2 {
		frames = append(frames, e.frontchannelFrames(ctx.OtherVisits[i+1:i+2], ctx.OtherVisits[i])...)
	}
	return frames
}

// maxOtherVisitsBytes bounds logoutContext.OtherVisits (sids and client ids together). The
// context travels in the provider's URL or in the store, whose buckets take a context of
// about 5 KB (store_local.go); without a bound of its own the list grew with every planted
// session times every client. 2 KiB holds some 30 visits, far more than a browser with a
// planted session or two carries.
const maxOtherVisitsBytes = 2 << 10

// addOtherVisits adds to visits (OtherVisits pairs) the clients of session sid that are
// told by front-channel (the only ones OtherVisits is for: back-channel notices are queued
// when each session ends), within maxOtherVisitsBytes. A visit past the bound is left out
// and logged: its app is not shown an iframe, so the page does not claim it was asked.
func (e *Engine) addOtherVisits(visits []string, sid string, clients []string) []string {
	size := 0
	for _, v := range visits {
		size += len(v)
	}
	for _, id := range clients {
		c := e.cfg.Client(id)
		if c == nil || c.FrontchannelLogoutURI == "" {
			continue
		}
		if size+len(sid)+len(id) > maxOtherVisitsBytes {
			e.logf("exeunt: sign-out: the front-channel notice of sid=%s to client %s is left out: the sign-out ended more sessions than its context holds (at most %d bytes of visits); the client's back-channel notice, if it has one, is queued", sid, id, maxOtherVisitsBytes)
			continue
		}
		size += len(sid) + len(id)
		visits = append(visits, sid, id)
	}
	return visits
}
