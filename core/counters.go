package core

// Every counter the engine adds is named here, and only here: operators build alerts
// and dashboards on these names, so a site that counts uses a constant or function of
// this file, never a literal (counters_test.go checks the call sites). Names follow
// Envoy's style, dot-separated and lower-case; the glue turns them into Proxy-Wasm
// counters, which Envoy shows as stats of the same names in its wasmcustom namespace
// (docs/counters.md lists them for operators).

// Sign-out triggers: why a session ended. Each names a logout counter, and appears in
// the "signed out" log line and in the back-channel job it queues.
const (
	triggerRPInitiated          = "rp_initiated"          // the end session endpoint, confirmed
	triggerProviderFrontchannel = "provider_frontchannel" // the provider's front-channel logout
	triggerProviderBackchannel  = "provider_backchannel"  // the provider's back-channel logout
	triggerSessionLimit         = "session_limit"         // a sign-in past session.max_per_user ended the user's oldest
	triggerSigninReplaced       = "signin_replaced"       // a sign-in ended the session the same browser held (session_replaced.go)
)

// The engine's own counters.
const (
	// A session ended, by trigger.
	counterLogoutRPInitiated          = "exeunt.logout." + triggerRPInitiated
	counterLogoutProviderFrontchannel = "exeunt.logout." + triggerProviderFrontchannel
	counterLogoutProviderBackchannel  = "exeunt.logout." + triggerProviderBackchannel
	counterLogoutSessionLimit         = "exeunt.logout." + triggerSessionLimit
	counterLogoutSigninReplaced       = "exeunt.logout." + triggerSigninReplaced
	// A session's end the store did not confirm in time (errOutcomeUnknown): it may have
	// been applied later (then its notices went out with it), and is not counted above.
	counterLogoutUnconfirmed = "exeunt.logout.unconfirmed"
	// A logout request to the end session endpoint was refused as invalid.
	counterLogoutRejected = "exeunt.logout.rejected"
	// A request parameter was over its size limit (limits.go).
	counterParamTooLong = "exeunt.request.param_too_long"
	// A request no rule covers was refused (unowned_requests "refuse").
	counterUnownedRefused = "exeunt.request.unowned_refused"
	// An upstream's Set-Cookie for one of Exeunt's own cookies was dropped.
	counterOwnCookieDropped = "exeunt.response.own_cookie_dropped"
	// A request needing a session was refused (503) because the store could not say
	// whether its session was signed out (an etcd store not loaded yet, or stale).
	counterStoreUnavailableRefusals = "exeunt.store.unavailable_refusals"
	// The etcd store: a follow of the revocations failed; a call got no answer or a 5xx.
	counterEtcdFollowFailures = "exeunt.store.etcd.follow_failures"
	counterEtcdCallsFailed    = "exeunt.store.etcd.calls_failed"
	// Identity assertions: signed by this VM (none cached, none shared by another VM of
	// this Envoy), or adopted from another VM through shared data (identity.go).
	counterAssertionSigned  = "exeunt.assertion.signed"
	counterAssertionAdopted = "exeunt.assertion.adopted"
	// An id_token_hint that no VM of this Envoy holds as its own: its ES256 signature was
	// verified (hint.go, endsession.go's verifyHint).
	counterHintVerified = "exeunt.hint.verified"
)

// counterNames lists the counters above, for tests and documentation.
var counterNames = []string{
	counterLogoutRPInitiated, counterLogoutProviderFrontchannel, counterLogoutProviderBackchannel,
	counterLogoutSessionLimit, counterLogoutSigninReplaced, counterLogoutUnconfirmed, counterLogoutRejected, counterParamTooLong, counterUnownedRefused, counterOwnCookieDropped,
	counterStoreUnavailableRefusals, counterEtcdFollowFailures, counterEtcdCallsFailed,
	counterAssertionSigned, counterAssertionAdopted, counterHintVerified,
}

// logoutCounter is the counter of sessions ended by trigger.
func logoutCounter(trigger string) string {
	switch trigger {
	case triggerRPInitiated:
		return counterLogoutRPInitiated
	case triggerProviderFrontchannel:
		return counterLogoutProviderFrontchannel
	case triggerProviderBackchannel:
		return counterLogoutProviderBackchannel
	case triggerSessionLimit:
		return counterLogoutSessionLimit
	case triggerSigninReplaced:
		return counterLogoutSigninReplaced
	}
	return "exeunt.logout." + trigger // every trigger is listed above; kept for a new one
}

// Per-client counters, named "exeunt.client.<client id>.<event>" by clientCounter.
const (
	clientBackchannelSent      = "backchannel.sent"      // a logout token was accepted (200 or 204)
	clientBackchannelFailed    = "backchannel.failed"    // refused (4xx), another final answer, or given up after retries
	clientBackchannelRetried   = "backchannel.retried"   // an attempt failed and will be retried
	clientFrontchannelRendered = "frontchannel.rendered" // a front-channel frame was put on a page
	clientFrontchannelUnsent   = "frontchannel.unsent"   // a front-channel client could not be told (no browser)
)

// clientCounterEvents lists the per-client events above, for tests and documentation.
var clientCounterEvents = []string{
	clientBackchannelSent, clientBackchannelFailed, clientBackchannelRetried,
	clientFrontchannelRendered, clientFrontchannelUnsent,
}

// clientCounter names a per-client counter in Envoy's style.
func clientCounter(clientID, event string) string {
	return "exeunt.client." + clientMetricSegment(clientID) + "." + event
}

// clientMetricSegment is a client id as one dotted segment of a counter's name: anything
// outside [A-Za-z0-9_-] becomes "_". So "a.b" and "a_b" would share their counters;
// readClients refuses such a pair at start (naming the second client_id) rather than
// escape "_" too, which would rename the counters of every id that has one.
func clientMetricSegment(clientID string) string {
	b := []byte(clientID)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
