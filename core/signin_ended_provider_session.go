package core

import (
	"strconv"
	"time"
)

// A provider's back-channel logout racing a sign-in to the same provider session: the
// logout ends the edge sessions it finds in the index by the provider's sid, and a
// sign-in whose ID token carries that sid (issued just before the provider ended it)
// records its new session in the index. When the record lands after the logout read the
// index, nothing ended the new session: the provider said the session was over, Exeunt
// answered the logout token 200, and a browser was signed in on it all the same (the
// fleet probe's TestFleetOperatorProbe/AProviderLogoutRacingASignInToTheSameProviderSession
// AtTheOtherReplica, with the sign-in's index write on one replica held until the other
// had answered the logout).
//
// So the logout first marks the provider session ended (a claim, claimEndedProviderSession,
// holding the logout token's iat), then reads the index; the sign-in first writes the
// index, then reads the mark, and refuses when its ID token was issued no later than the
// logout. On a store whose reads see every acknowledged write (etcd's linearizable reads;
// a VM's shared data), one of the two sees the other's write: either the logout finds the
// new session and ends it, or the sign-in finds the mark and hands out no session.
// RATIONALE.md, "The operator's fleet probe: a rolling update, and a provider logout
// racing a sign-in".

// endedProviderSessionMemory is how long the mark lasts: a sign-in that can still race a
// logout began its flow before the provider ended the session, and its callback is
// refused once the flow is flowLifetime old; the minute covers clocks and the store's
// answers.
const endedProviderSessionMemory = flowLifetime + time.Minute

// markProviderSessionEnded marks the provider session (iss, psid) ended at endedAt (the
// logout token's iat: the provider's clock, as the ID tokens' iat are), before its edge
// sessions are looked up. A logout token naming only the subject (no psid) ends every
// provider session of the user (Back-Channel Logout 1.0 §2.4): the user (iss, sub) is
// marked then (claimEndedProviderUser), since a sign-in whose ID token was issued before
// it races the logout just the same; a sign-in issued after it is a new provider session
// and is let through (providerSessionEnded compares the iat).
func (e *Engine) markProviderSessionEnded(iss, psid, sub string, endedAt, now time.Time, next func(error) Decision) Decision {
	kind, id := claimEndedProviderSession, indexKey(iss, psid)
	if psid == "" {
		kind, id = claimEndedProviderUser, indexKey(iss, sub)
	}
	return e.ports.claims.claimAs(kind, id, strconv.FormatInt(endedAt.Unix(), 10),
		now.Add(endedProviderSessionMemory), now, func(_ bool, err error) Decision { return next(err) })
}

// providerSessionEnded reports, after s was written to the index, whether its provider
// session (or every provider session of its user) was marked ended meanwhile by a logout
// no later than its ID token was issued (issuedAt, the token's iat). Only those: the mark
// must not refuse a sign-in the provider made after the logout, should it give the new
// session the ended one's sid again.
func (e *Engine) providerSessionEnded(s *session, issuedAt, now time.Time, next func(ended bool, err error) Decision) Decision {
	return e.endedBy(claimEndedProviderUser, indexKey(s.Iss, s.Sub), issuedAt, now, func(ended bool, err error) Decision {
		if err != nil || ended || s.PSID == "" {
			return next(ended, err)
		}
		return e.endedBy(claimEndedProviderSession, indexKey(s.Iss, s.PSID), issuedAt, now, next)
	})
}

// endedBy reads the mark (kind, id) and reports whether it says ended no earlier than
// issuedAt.
func (e *Engine) endedBy(kind claimKind, id string, issuedAt, now time.Time, next func(ended bool, err error) Decision) Decision {
	return e.ports.claims.claimedBy(kind, id, now, func(owner string, found bool, err error) Decision {
		if err != nil || !found {
			return next(false, err)
		}
		endedAt, perr := strconv.ParseInt(owner, 10, 64)
		return next(perr != nil || issuedAt.Unix() <= endedAt, nil) // unreadable: ended (fail closed)
	})
}
