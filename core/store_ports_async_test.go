package core

import (
	"testing"
	"time"
)

// An asynchronous backend plugs in without touching the flows: deferredPorts answers
// every continuation-style operation through a call, as an etcd backend will (a
// request through an Envoy cluster, its answer in the call's Then), and does the work
// (on the local backend) only when that call's answer arrives. The flows' own tests,
// run over it, must pass unchanged: a flow that used a port's result before its
// continuation ran, or dropped the port's call, fails them.

// storeTestCluster is the cluster of deferredPorts' calls; the tests' harness answers
// them with an empty 200.
const storeTestCluster = "exeunt-store-test"

// deferStorePorts makes mustEngine (and useStore) build deferred ports; deferredDone
// counts the deferred operations done.
var (
	deferStorePorts bool
	deferredDone    int
)

type deferredPorts struct{ inner storePorts }

func deferPorts(p storePorts) storePorts {
	d := deferredPorts{p}
	return storePorts{revocations: deferredRevocations{d}, claims: deferredClaims{d}, sessions: deferredSessions{d},
		contexts: deferredContexts{d}, deliveries: deferredDeliveries{d}}
}

// later is the Decision that does work once the store's (simulated) answer arrives.
func later(work func() Decision) Decision {
	return Decision{Call: &Call{Cluster: storeTestCluster, Method: "POST", Path: "/v3/kv/txn", Authority: "store.test",
		Timeout: time.Second, Then: func(r CallResult) Decision {
			if r.Status != 200 {
				panic("deferredPorts: the harness did not answer the store's call")
			}
			deferredDone++
			return work()
		}}}
}

type deferredRevocations struct{ deferredPorts }

func (d deferredRevocations) isRevoked(sid string, now time.Time) (bool, error) {
	return d.inner.revocations.isRevoked(sid, now) // synchronous by contract
}
func (d deferredRevocations) revoke(sid string, until, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.revocations.revoke(sid, until, now, then) })
}
func (d deferredRevocations) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	return later(func() Decision { return d.inner.revocations.end(sid, seen, until, job, now, then) })
}

type deferredClaims struct{ deferredPorts }

func (d deferredClaims) claim(kind claimKind, id string, until, now time.Time, then func(bool, error) Decision) Decision {
	return later(func() Decision { return d.inner.claims.claim(kind, id, until, now, then) })
}
func (d deferredClaims) claimAs(kind claimKind, id, owner string, until, now time.Time, then func(bool, error) Decision) Decision {
	return later(func() Decision { return d.inner.claims.claimAs(kind, id, owner, until, now, then) })
}
func (d deferredClaims) claimed(kind claimKind, id string, now time.Time, then func(bool, error) Decision) Decision {
	return later(func() Decision { return d.inner.claims.claimed(kind, id, now, then) })
}
func (d deferredClaims) claimedBy(kind claimKind, id string, now time.Time, then func(string, bool, error) Decision) Decision {
	return later(func() Decision { return d.inner.claims.claimedBy(kind, id, now, then) })
}

type deferredSessions struct{ deferredPorts }

func (d deferredSessions) index(rec sessionRecord, seen *userRead, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.index(rec, seen, now, then) })
}
func (d deferredSessions) update(rec sessionRecord, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.update(rec, now, then) })
}
func (d deferredSessions) find(iss, psid, sub string, now time.Time, then func([]sessionRecord, error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.find(iss, psid, sub, now, then) })
}
func (d deferredSessions) forget(sid string, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.forget(sid, now, then) })
}
func (d deferredSessions) ofUser(iss, sub string, now time.Time, then func([]sessionRecord, *userRead, error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.ofUser(iss, sub, now, then) })
}
func (d deferredSessions) unlink(rec sessionRecord, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.sessions.unlink(rec, now, then) })
}

type deferredContexts struct{ deferredPorts }

func (d deferredContexts) save(id, sid string, payload []byte, until, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.contexts.save(id, sid, payload, until, now, then) })
}
func (d deferredContexts) load(id string, now time.Time, then func([]byte, bool, error) Decision) Decision {
	return later(func() Decision { return d.inner.contexts.load(id, now, then) })
}

type deferredDeliveries struct{ deferredPorts }

func (d deferredDeliveries) enqueue(job deliveryJob, now time.Time, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.deliveries.enqueue(job, now, then) })
}
func (d deferredDeliveries) claimDue(now time.Time, max int, leaseUntil int64, landed func([]deliveryClaim, time.Time) []*Call, then func([]deliveryClaim, int64, error) Decision) Decision {
	return later(func() Decision { return d.inner.deliveries.claimDue(now, max, leaseUntil, landed, then) })
}
func (d deferredDeliveries) finish(jobID, client string, now time.Time, change func(*deliveryItem) bool, then func(error) Decision) Decision {
	return later(func() Decision { return d.inner.deliveries.finish(jobID, client, now, change, then) })
}

// The flows' tests, over an asynchronous store.
func TestFlowsOnAnAsynchronousStore(t *testing.T) {
	deferStorePorts = true
	defer func() { deferStorePorts = false }()
	for name, test := range flowTests() {
		deferredDone = 0
		t.Run(name, test)
		if deferredDone == 0 {
			t.Errorf("%s: no store operation went through the asynchronous backend", name)
		}
	}
}

// flowTests are the flows' tests that every store backend runs unchanged. Tests that
// reach into the local backend directly (the bounds of stored contexts, say) are not
// among them.
func flowTests() map[string]func(*testing.T) {
	return map[string]func(*testing.T){
		"SignInThenTwoClientsRecordedWithIdentity":                   TestSignInThenTwoClientsRecordedWithIdentity,
		"AReplayedCallbackIsRefused":                                 TestAReplayedCallbackIsRefused,
		"RPInitiatedLogoutThroughTheProviderAndBack":                 TestRPInitiatedLogoutThroughTheProviderAndBack,
		"SignoutCallbackWhenTheProviderDropsState":                   TestSignoutCallbackWhenTheProviderDropsState,
		"SignoutCallbackRefusesABadContext":                          TestSignoutCallbackRefusesABadContext,
		"EndSessionPromptsWithoutProofAndConfirmsOnce":               TestEndSessionPromptsWithoutProofAndConfirmsOnce,
		"EndSessionByPOSTAndWhenAlreadySignedOut":                    TestEndSessionByPOSTAndWhenAlreadySignedOut,
		"BackchannelRetriesUntilDeliveredWithFreshTokens":            TestBackchannelRetriesUntilDeliveredWithFreshTokens,
		"BackchannelGivesUpAfterTheDeadline":                         TestBackchannelGivesUpAfterTheDeadline,
		"LogoutContextInTheStoreWhenTooLongOrConfigured":             TestLogoutContextInTheStoreWhenTooLongOrConfigured,
		"LogoutContextEndpoint":                                      TestLogoutContextEndpoint,
		"ProviderFrontchannelEndsSessionsWithoutTheCookie":           TestProviderFrontchannelEndsSessionsWithoutTheCookie,
		"ProviderFrontchannelClearsThePresentCookie":                 TestProviderFrontchannelClearsThePresentCookie,
		"ProviderBackchannelLogoutEndsTheSessionAndCascades":         TestProviderBackchannelLogoutEndsTheSessionAndCascades,
		"ProviderBackchannelBySubEndsEverySessionOfTheUser":          TestProviderBackchannelBySubEndsEverySessionOfTheUser,
		"ProviderBackchannelRefusesBadTokensAndChangesNothing":       TestProviderBackchannelRefusesBadTokensAndChangesNothing,
		"ProviderBackchannelForAnUnknownSession":                     TestProviderBackchannelForAnUnknownSession,
		"AFirstVisitBetweenASignOutsReadAndItsEndIsNotified":         TestAFirstVisitBetweenASignOutsReadAndItsEndIsNotified,
		"AFirstVisitBetweenAProviderSignOutsReadAndItsEndIsNotified": TestAFirstVisitBetweenAProviderSignOutsReadAndItsEndIsNotified,
		"SignInPastTheLimitSignsOutTheOldest":                        TestSignInPastTheLimitSignsOutTheOldest,
		"RacingSignInsStayWithinTheLimit":                            TestRacingSignInsStayWithinTheLimit,
		"SignInsForcedInOneBrowserSignOutNoOtherBrowser":             TestSignInsForcedInOneBrowserSignOutNoOtherBrowser,
		"ASignInToAProviderSessionEndedMeanwhileMakesNoSession":      TestASignInToAProviderSessionEndedMeanwhileMakesNoSession,
		"ASignInRefusedForAnEndedProviderSessionCountsTowardNoLimit": TestASignInRefusedForAnEndedProviderSessionCountsTowardNoLimit,
		"ASignInRacingALogoutOfEveryUserSessionMakesNoSession":       TestASignInRacingALogoutOfEveryUserSessionMakesNoSession,
		"ASignInToAnEndedProviderSessionEndsNothingForIt":            TestASignInToAnEndedProviderSessionEndsNothingForIt,
	}
}
