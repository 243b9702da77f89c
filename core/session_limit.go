package core

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The per-user session limit: a user (a provider's issuer and subject) has at most
// session.max_per_user live sessions. Without it, signing in again and again piles up
// sessions without end: the index's list of the user's sessions grows in every VM's
// shared data (and in etcd), and each of the user's sign-ins reads every member. A
// sign-in that would pass the limit first signs out the user's oldest sessions, by the
// one step every sign-out takes (endSessions: revoked everywhere, index record dropped,
// back-channel notices queued), then records the new one. The browser holding an
// oldest session finds itself signed out at its next request, as after any sign-out.
// RATIONALE.md, "Why a user's sessions are capped, and the oldest signed out".

// maxLimitEndsPerSignIn bounds the sessions one sign-in ends for the limit. A user is
// over the limit by more than one only after the limit was lowered (or after sign-ins
// racing on several VMs): each sign-in then ends this many and adds one, so the user is
// back under it within a few sign-ins, and no sign-in waits on hundreds of ends (each a
// transaction and a fleet barrier on etcd).
const maxLimitEndsPerSignIn = 16

// userRead is what a read of a user's sessions (sessionIndex.ofUser) saw, for the
// index write that follows it to check that no other session of the user was indexed
// in between: the revision the user's links were read at (etcd), the user's list as
// read (local).
type userRead struct {
	rev  int64
	list string
}

// errUserChanged is an index write refused because another session of the user was
// indexed after the sign-in counted the user's sessions: the count is stale.
var errUserChanged = errors.New("another session of the user was indexed after its sessions were counted")

// maxLimitRounds bounds how often one sign-in counts its user's sessions again after
// another sign-in of the user was indexed in between (errUserChanged). Past it the
// sign-in is refused, fail closed, with the store's "try again": only many sign-ins of
// one user at once get there.
const maxLimitRounds = 4

// limitSessions makes room for s, a session about to be indexed, among its user's
// sessions, then goes on with next: next(seen, nil) when the user has fewer than the
// limit (the oldest ended if needed), seen being the read that counted them, for the
// index write to check (racing sign-ins must not each find room: sessionIndex.index);
// next(nil, err) when the user's sessions cannot be read or the oldest cannot be ended.
// The caller then makes no session (fail closed: the limit is what bounds the index).
func (e *Engine) limitSessions(s *session, now time.Time, next func(*userRead, error) Decision) Decision {
	limit := e.cfg.Session.MaxPerUser
	if limit <= 0 {
		limit = DefaultMaxSessionsPerUser
	}
	return e.ports.sessions.ofUser(s.Iss, s.Sub, now, func(recs []sessionRecord, seen *userRead, err error) Decision {
		if err != nil {
			return next(nil, fmt.Errorf("cannot read the user's sessions to keep them within session.max_per_user: %w", err))
		}
		over := len(recs) + 1 - limit
		if over <= 0 {
			return next(seen, nil)
		}
		n := min(over, maxLimitEndsPerSignIn)
		oldestFirst(recs, n)
		victims := recs[:n]
		e.log("exeunt: sign-in sid=" + s.SID + " idp=" + s.IdP + ": its user has " + strconv.Itoa(len(recs)) +
			" live sessions and session.max_per_user is " + strconv.Itoa(limit) + "; signing out the oldest " +
			strconv.Itoa(len(victims)) + " (" + sidList(victims) + ") as any sign-out (trigger=" + triggerSessionLimit + ")")
		each := func(rec sessionRecord) { e.frontchannelWithoutBrowser(rec, "session limit") }
		return e.endSessions(victims, triggerSessionLimit, now, each, func(failed *sessionRecord, err error) Decision {
			if err != nil {
				return next(nil, fmt.Errorf("cannot sign out sid=%s, an oldest session of the user, to keep within session.max_per_user: %w", failed.SID, err))
			}
			return e.unlinkEnded(victims, now, func(error) Decision { return next(seen, nil) })
		})
	})
}

// unlinkEnded drops the index links of the sessions the limit ended, one after the
// other, then calls next(nil). A link left behind leads nowhere (find skips it) and goes
// when its lease or list expires: the failure is logged, and the sign-in goes on.
func (e *Engine) unlinkEnded(recs []sessionRecord, now time.Time, next func(error) Decision) Decision {
	if len(recs) == 0 {
		return next(nil)
	}
	return e.ports.sessions.unlink(recs[0], now, func(err error) Decision {
		if err != nil {
			e.logf("exeunt: sid=%s, signed out for session.max_per_user: its index links stay until they expire: %v", recs[0].SID, err)
		}
		return e.unlinkEnded(recs[1:], now, next)
	})
}

// oldestFirst moves the k oldest of a user's records to the front, oldest first: by when
// their sessions began (a record written before the field existed has Created 0, so it
// counts as oldest), then by when they end, then by sid, so that every VM picks the same
// ones. A selection of k (at most maxLimitEndsPerSignIn) rather than a sort: a
// slices.SortFunc over sessionRecord instantiated Go's generic sort for that struct,
// 18 KB of the module (RATIONALE.md, "What was cut from the module").
func oldestFirst(recs []sessionRecord, k int) {
	for i := 0; i < k && i < len(recs); i++ {
		m := i
		for j := i + 1; j < len(recs); j++ {
			if older(&recs[j], &recs[m]) {
				m = j
			}
		}
		recs[i], recs[m] = recs[m], recs[i]
	}
}

// older says whether a's session comes before b's in oldestFirst's order.
func older(a, b *sessionRecord) bool {
	switch {
	case a.Created != b.Created:
		return a.Created < b.Created
	case a.Expires != b.Expires:
		return a.Expires < b.Expires
	}
	return a.SID < b.SID
}

func sidList(recs []sessionRecord) string {
	out := ""
	for i, r := range recs {
		if i > 0 {
			out += " "
		}
		out += "sid=" + r.SID
	}
	return out
}

// frontchannelWithoutBrowser counts, for a session ended with no browser to carry its
// front-channel notices (a provider's back-channel logout, the session limit), each
// front-channel client it visited as unsent, and logs those that have no back-channel
// URI either: they are not told at all. why names the trigger in the log.
func (e *Engine) frontchannelWithoutBrowser(rec sessionRecord, why string) {
	for _, id := range rec.Clients {
		if c := e.cfg.Client(id); c != nil && c.FrontchannelLogoutURI != "" {
			e.metrics.Add(clientCounter(c.ClientID, clientFrontchannelUnsent), 1)
			if c.BackchannelLogoutURI == "" {
				e.logf("exeunt: %s: %s has only front-channel logout, which needs a browser; not notified of sid=%s", why, c.ClientID, rec.SID)
			}
		}
	}
}
