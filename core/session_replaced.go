package core

import "time"

// A sign-in in a browser that holds a live session replaces it: the new session's
// cookie overwrites the old one's, so no browser presents the old session again, and it
// is ended as any sign-out ends a session (revoked everywhere, its record dropped, its
// apps sent a logout token), trigger signin_replaced.
//
// Left live, it would be a session nobody uses that still counts against
// session.max_per_user: a page on any site can send a browser to
// /exeunt/signin?provider=... again and again (top-level navigations carry the Lax
// cookies, and a live provider session makes each sign-in silent), and each round left
// one more, until the limit signed the user's other browsers out, oldest first
// (RATIONALE.md, "Security probe, 2026-12-04 morning"). A copy of the old cookie kept
// elsewhere opens nothing afterwards either.

// endReplaced ends old, the live session this browser's cookie holds, then goes on
// with the new session s (limitAndIndex; issuedAt is its ID token's iat). When it
// cannot be ended the sign-in is refused (the store's "try again"), as when the
// limit's oldest cannot be: going on would leave it live and uncounted by nothing.
func (e *Engine) endReplaced(p *Provider, flow flowState, old, s *session, issuedAt time.Time, cookies []Header, clearFlow Header, lang string, now time.Time) Decision {
	return e.withRecordedClients(old, now, func(version int64) Decision {
		rec := recordOf(old)
		rec.version = version
		// The browser is on its way back to an app, not to a page that could load the
		// old session's front-channel iframes.
		each := func(r sessionRecord) { e.frontchannelWithoutBrowser(r, "sign-in replaced") }
		return e.endSessions([]sessionRecord{rec}, triggerSigninReplaced, now, each, func(_ *sessionRecord, err error) Decision {
			if err != nil {
				e.logf("exeunt: sign-in at provider %s refused: cannot sign out sid=%s, the session this browser held, which the new one would replace: %v", p.Scheme, old.SID, err)
				return e.failPage(lang, storeUnavailableFailure("signin_unavailable").withRetry(e.flowRetryURL(flow)).withHeaders(clearFlow))
			}
			return e.limitAndIndex(p, flow, s, issuedAt, cookies, clearFlow, lang, now, 1)
		})
	})
}
