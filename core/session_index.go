package core

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The session index lets Exeunt find edge sessions without the browser: a provider's
// front-channel iframe arrives without cookies (third-party cookies are blocked) and a
// provider's back-channel logout token arrives with no browser at all. It maps the
// provider's session (iss+sid) and the provider's user (iss+sub) to edge session ids,
// and each edge session id to a record of what a sign-out needs: who, through which
// provider, and the clients it visited. Entries expire with their sessions. It is kept
// behind the sessionIndex port (store_ports.go).

// sessionRecord is the server-side copy of a session: no tokens, only what the cascade
// of a federated sign-out needs.
type sessionRecord struct {
	SID     string   `json:"sid"`
	Sub     string   `json:"sub"`
	IdP     string   `json:"idp"`
	Iss     string   `json:"iss"`
	PSID    string   `json:"psid,omitempty"`
	Clients []string `json:"clients,omitempty"`
	Expires int64    `json:"exp"`
	// Created is when the session began (Unix seconds; 0 in a record written before the
	// field was), which the session limit ends the oldest by (session_limit.go).
	Created int64 `json:"iat,omitempty"`

	// version is the store's version of the record as sessionIndex.find read it (0: not
	// read from the store), which revocations.end is made conditional on (endRecorded).
	version int64
}

func recordOf(s *session) sessionRecord {
	return sessionRecord{SID: s.SID, Sub: s.Sub, IdP: s.IdP, Iss: s.Iss, PSID: s.PSID, Clients: s.Clients, Expires: s.Expires, Created: s.Created}
}

// errRecordGone: a session's index record is not there to add a client to. The index
// writes it before the session starts and keeps it until the session expires, so it went
// with a sign-out (revocations.end drops it, in the step that queues the notices of the
// clients it named: endRecorded), or the store lost it (etcd restarted empty): nothing
// here tells which. A record written again would name a client that a sign-out never
// notifies, so the visit is refused instead (recordVisit).
var errRecordGone = errors.New("the session's index record is gone: signed out, or the store lost it")

// withClients is clients with the ones of also it lacks added at the end, in a new slice
// when anything is added (clients may be shared with a cache). Two first visits to
// different clients sent with the same cookie each write a record of that cookie's
// clients plus their own: the index keeps the union of what the record held and what
// is written (sessionIndex.update), and a sign-out notifies the union of the cookie's
// clients and the record's (withRecordedClients), so that neither visit is lost.
func withClients(clients, also []string) []string {
	out := clients
	for _, c := range also {
		if !slices.Contains(out, c) {
			if len(out) == len(clients) {
				out = slices.Clone(clients)
			}
			out = append(out, c)
		}
	}
	return out
}

// withRecordedClients adds to s.Clients the clients its index record names and its
// cookie lacks (a first visit racing another one: withClients), then goes on with next,
// which gets the record's version (0 when there was none), for the end (endRecorded).
// When the index cannot be read, the sign-out goes on with the cookie's clients (the
// store's failure is logged): refusing the sign-out would keep the session alive. Its end
// is then not conditional on the record (anyRecord): its version is not known, and an
// end whose answer is lost must still end the session when the store applies it late
// (the "not confirmed" page, docs/fleet.md); a client the record alone names is not
// told then, raced or not.
func (e *Engine) withRecordedClients(s *session, now time.Time, next func(version int64) Decision) Decision {
	return e.ports.sessions.find(s.Iss, s.PSID, s.Sub, now, func(recs []sessionRecord, err error) Decision {
		var version int64
		if err != nil {
			e.logf("exeunt: sign-out: the session index cannot be read (%v); notifying the clients the cookie of sid=%s names", err, s.SID)
			version = anyRecord
		}
		for _, r := range recs {
			if r.SID == s.SID {
				s.Clients = withClients(s.Clients, r.Clients)
				version = r.version
			}
		}
		return next(version)
	})
}

// indexKey turns provider-chosen strings (which may hold spaces or be long) into a
// fixed-size id.
func indexKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// indexSession records s in the index, then goes on with next: with nil once the
// index holds it, with the error when it could not be recorded. A session the index
// does not hold cannot be found by a provider-initiated sign-out (its logout token and
// its front-channel iframe carry no cookie): the provider would be told "no session
// here" while the edge session lives on. So the caller makes no session then
// (startSession: fail closed).
//
// seen is the read of the user's sessions that the session limit counted (nil: none);
// the write is refused with errUserChanged when another session of the user was
// indexed since (sessionIndex.index).
func (e *Engine) indexSession(s *session, seen *userRead, now time.Time, next func(error) Decision) Decision {
	return e.ports.sessions.index(recordOf(s), seen, now, next)
}

// recordVisit records in the index that s visited a new client, then answers d. It is
// apart from the request path's function so that d escapes only here (the signed-in
// request makes no allocation, BENCHMARKS.md). When the index cannot record the visit,
// the request does not reach the client: a provider-initiated sign-out (no cookie) learns
// whom to notify from the record alone, and would end the session without telling this
// client, whose own session would live on. The answer is the store's 503 (a.kind and
// a.lang say how), and the next request tries again (the cookie still lacks the client).
// A record that is gone (errRecordGone) is no store failure: a sign-out ended the
// session while this request was on its way, or the store lost the record; either way
// the session cannot be told apart from a signed-out one, so it is answered as any
// signed-out session on this route is (unauthenticatedAnswer), and not counted as a
// refusal. The log line says only that the record is gone.
func (e *Engine) recordVisit(s *session, now time.Time, d Decision, a signedOutAnswer) Decision {
	sid := s.SID // not s: the closure would take the request's view to the heap with it
	return e.ports.sessions.update(recordOf(s), now, func(err error) Decision {
		if errors.Is(err, errRecordGone) {
			e.logf("exeunt: sid=%s: the session's index record is gone (signed out, or the store lost it); its first request to this client is answered as a signed-out session", sid)
			return e.unauthenticatedAnswer(a, errRevoked, now)
		}
		kind, lang := a.kind, a.lang
		if err != nil {
			e.logf("exeunt: session index: %v; the first request of sid=%s to this client is refused", err, sid)
			e.metrics.Add(counterStoreUnavailableRefusals, 1)
			return Respond(e.answer(storeUnavailableFailure("store_unavailable"), kind, lang))
		}
		return d
	})
}

// revocationEnd is how long a revocation of a session ending at expires is kept: until
// the session would have ended anyway (after that the entry can go), at least a minute.
func revocationEnd(expires int64, now time.Time) time.Time {
	until := time.Unix(expires, 0)
	if !until.After(now) {
		until = now.Add(time.Minute)
	}
	return until
}

// revokeSession ends an edge session everywhere that notifies nobody: the revocations
// (checked on every request, by every VM) and the index. then(nil) once durable.
func (e *Engine) revokeSession(sid string, expires int64, now time.Time, then func(error) Decision) Decision {
	return e.ports.revocations.end(sid, anyRecord, revocationEnd(expires, now), deliveryJob{}, now, func(_ ended, err error) Decision { return then(err) })
}

// endSessions is the one "end sessions" step of every sign-out trigger: for each record
// in turn it ends the session in one durable, atomic and idempotent step of the store
// (endRecorded: the revocation, the index record dropped, and its back-channel
// notifications queued), counts and logs it, and calls each with the record as ended
// (its clients are those notified). It stops at the first that fails, calling done with
// that record (errors.Is(err, errOutcomeUnknown) when the store may still apply it);
// done(nil, nil) when all ended. A session found revoked already is ended: whoever
// revoked it queued its notices, so none are queued again.
func (e *Engine) endSessions(recs []sessionRecord, trigger string, now time.Time, each func(sessionRecord), done func(failed *sessionRecord, err error) Decision) Decision {
	if len(recs) == 0 {
		return done(nil, nil)
	}
	return e.endRecorded(recs[0], trigger, now, 0, func(rec sessionRecord, err error) Decision {
		if err != nil {
			return done(&rec, err)
		}
		if each != nil {
			each(rec)
		}
		return e.endSessions(recs[1:], trigger, now, each, done)
	})
}

// endRetries bounds the ends of one session that find its record changed (first visits
// to new clients landing between the read and the end: a handful at most).
const endRetries = 8

// endRecorded ends rec's session, notifying rec.Clients, on condition that its index
// record is still the one read (rec.version): the one place that closes the race between
// a sign-out and a session's first visit to a new client (recordVisit). Every trigger
// reads the record (sessions.find), builds the job from its clients, then ends; a first
// visit's update (a compare-and-swap that refuses with errRecordGone once the record is
// gone) landing between the two would reach its client while the job, built from the
// earlier read, leaves it out. So the end compares the record with the version read, in
// the same atomic step that drops it: when it moved, nothing is written, its clients are
// merged into rec and the end is tried again (at most endRetries times, then it fails as
// the store failing: nothing applied, and no page says "signed out"). Each visit's update
// is thus either before the end's compare (its client is in the job, or the end moves
// and retries) or after the drop (errRecordGone: the visit is refused).
//   - etcd: one transaction compares revoked/<sid> absent and session/<sid>'s mod_revision
//     with the one find returned (0: absent), and on failure reads both; a moved record
//     costs one more transaction, none on the common path (store_etcd_follow.go).
//   - local: end drops the record first, by compare-and-swap on the record as read (a
//     hash of its value), then revokes and queues (store_local.go); the visit's update is
//     a compare-and-swap of the same shared-data bucket, so it is ordered before the drop
//     (the end moves) or after it (errRecordGone).
func (e *Engine) endRecorded(rec sessionRecord, trigger string, now time.Time, tries int, then func(sessionRecord, error) Decision) Decision {
	job := e.backchannelJob(rec.SID, rec.Sub, rec.Clients, trigger, now)
	return e.ports.revocations.end(rec.SID, rec.version, revocationEnd(rec.Expires, now), job, now, func(r ended, err error) Decision {
		if err == nil && r.moved {
			if tries >= endRetries {
				return then(rec, fmt.Errorf("the index record of sid=%s changed %d times while the sign-out ended it; nothing was ended", rec.SID, tries+1))
			}
			e.log("exeunt: sid=" + rec.SID + ": its index record changed between the sign-out's read and its end (a first visit to a client); ending it again with the record's clients")
			rec.Clients, rec.version = withClients(rec.Clients, r.record.Clients), r.record.version
			return e.endRecorded(rec, trigger, now, tries+1, then)
		}
		if err != nil {
			if errors.Is(err, errOutcomeUnknown) {
				e.metrics.Add(counterLogoutUnconfirmed, 1)
			}
			return then(rec, err)
		}
		if r.already {
			// Spelt without fmt: Sprintf's reflection shows in every sign-out's time in a Go
			// guest (BENCHMARKS.md, "Issue 15: the signed-in path and the sign-out").
			e.log("exeunt: sid=" + rec.SID + " was signed out already (trigger=" + trigger + " found it so): its notices were queued then, none now")
		} else {
			e.metrics.Add(logoutCounter(trigger), 1)
			e.log("exeunt: signed out sid=" + rec.SID + " idp=" + rec.IdP + " trigger=" + trigger)
			if r.unqueued != nil {
				e.sendUnqueued(job, r.unqueued, now)
			}
			if len(job.Items) > 0 {
				e.nextDelivery = now
			}
		}
		return then(rec, nil)
	})
}
