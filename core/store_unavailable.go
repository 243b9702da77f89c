package core

import "time"

// When the store cannot answer: a fleet store (etcd) whose copy of the revocations is not
// loaded yet (a VM just started) or is past its staleness bound (etcd unreachable for
// longer than stale_after). A session is then neither used nor reported ended: requests
// that need one get a 503 that says to try again, cookies are kept, and nothing is
// claimed. Public paths and Exeunt's endpoints that need no session answer as usual.

// storeUnavailableFailure is the 503 for reason (store_unavailable for a request whose
// session cannot be checked, signout_unavailable for a sign-out that cannot be made durable).
func storeUnavailableFailure(reason string) failure {
	f := pageFailure(503, reason).withHeaders(Header{Name: "retry-after", Value: "1"})
	f.oauth, f.description = "temporarily_unavailable", "the session store is not available right now; try again in a moment"
	return f
}

// signoutUnconfirmedFailure is the 503 of a sign-out whose durable step the store did
// not confirm in time (errOutcomeUnknown): it may still be applied, so the page neither
// says "signed out" nor "still signed in", and asks to try again, which completes it
// (ending a session is idempotent, and a retry with the ended session's cookie finishes
// the browser's part: endsession.go).
func signoutUnconfirmedFailure() failure {
	f := pageFailure(503, "signout_unconfirmed").withHeaders(Header{Name: "retry-after", Value: "1"})
	f.oauth, f.description = "temporarily_unavailable", "the session store did not confirm the sign-out in time; it may still take effect; try again"
	return f
}

// storeUnavailable answers a request to an app whose session cannot be checked.
func (e *Engine) storeUnavailable(v *requestView) Decision {
	e.metrics.Add(counterStoreUnavailableRefusals, 1)
	return Respond(e.answer(storeUnavailableFailure("store_unavailable"), e.answerKindOf(v), v.language()))
}

// Start returns the background work to begin with when a VM starts, before its first
// tick: a fleet store's first follow (so that a restarted replica has the revocations
// before it serves a session, rather than a tick period later), and the back-channel
// deliveries already due (a restarted replica resumes those its predecessor left). The
// glue makes these calls from its plugin start.
func (e *Engine) Start(now time.Time) []*Call {
	if !e.cfg.SignInEnabled() {
		return nil
	}
	e.now = now
	if e.ports.since != nil {
		since, ok := e.ports.since(now)
		if !ok {
			since = now.Unix() // unreadable: refuse every session made before this VM started
		}
		e.storeSince = since
	}
	var calls []*Call
	if e.ports.follow != nil {
		calls = backgroundOf(e.ports.follow(now))
	}
	return append(calls, backgroundOf(e.deliverDue(now))...)
}
