package core

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
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
}

func recordOf(s *session) sessionRecord {
	return sessionRecord{SID: s.SID, Sub: s.Sub, IdP: s.IdP, Iss: s.Iss, PSID: s.PSID, Clients: s.Clients, Expires: s.Expires}
}

// errRecordGone: a session's index record is not there to add a client to. The index
// writes it before the session starts and keeps it until the session expires, so it went
// with a sign-out (revocations.end drops it after queueing the notices of the clients it
// named): a record written again would name a client that sign-out never notifies, so the
// visit is refused instead (recordVisit).
var errRecordGone = errors.New("the session's index record is gone: the session was signed out")

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
// cookie lacks (a first visit racing another one: withClients), then goes on with next.
// When the index cannot be read, the sign-out goes on with the cookie's clients (the
// store's failure is logged): refusing the sign-out would keep the session alive.
func (e *Engine) withRecordedClients(s *session, now time.Time, next func() Decision) Decision {
	return e.ports.sessions.find(s.Iss, s.PSID, s.Sub, now, func(recs []sessionRecord, err error) Decision {
		if err != nil {
			e.logf("exeunt: sign-out: the session index cannot be read (%v); notifying the clients the cookie of sid=%s names", err, s.SID)
		}
		for _, r := range recs {
			if r.SID == s.SID {
				s.Clients = withClients(s.Clients, r.Clients)
			}
		}
		return next()
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
func (e *Engine) indexSession(s *session, now time.Time, next func(error) Decision) Decision {
	return e.ports.sessions.index(recordOf(s), now, next)
}

// recordVisit records in the index that s visited a new client, then answers d. It is
// apart from the request path's function so that d escapes only here (the signed-in
// request makes no allocation, BENCHMARKS.md). When the index cannot record the visit,
// the request does not reach the client: a provider-initiated sign-out (no cookie) learns
// whom to notify from the record alone, and would end the session without telling this
// client, whose own session would live on. The answer is the store's 503 (kind and lang
// say how), and the next request tries again (the cookie still lacks the client).
func (e *Engine) recordVisit(s *session, now time.Time, d Decision, kind answerKind, lang string) Decision {
	sid := s.SID // not s: the closure would take the request's view to the heap with it
	return e.ports.sessions.update(recordOf(s), now, func(err error) Decision {
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
	return e.ports.revocations.end(sid, revocationEnd(expires, now), deliveryJob{}, now, func(_ ended, err error) Decision { return then(err) })
}

// endSessions is the one "end sessions" step of every sign-out trigger: for each record
// in turn it ends the session in one durable, atomic and idempotent step of the store
// (revocations.end: the revocation, the index record dropped, and its back-channel
// notifications queued), counts and logs it, and calls each. It stops at the first that
// fails, calling done with that record (errors.Is(err, errOutcomeUnknown) when the store
// may still apply it); done(nil, nil) when all ended. A session found revoked already is
// ended: whoever revoked it queued its notices, so none are queued again.
func (e *Engine) endSessions(recs []sessionRecord, trigger string, now time.Time, each func(sessionRecord), done func(failed *sessionRecord, err error) Decision) Decision {
	if len(recs) == 0 {
		return done(nil, nil)
	}
	rec := recs[0]
	job := e.backchannelJob(rec.SID, rec.Sub, rec.Clients, trigger, now)
	return e.ports.revocations.end(rec.SID, revocationEnd(rec.Expires, now), job, now, func(r ended, err error) Decision {
		if err != nil {
			if errors.Is(err, errOutcomeUnknown) {
				e.metrics.Add(counterLogoutUnconfirmed, 1)
			}
			return done(&rec, err)
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
		if each != nil {
			each(rec)
		}
		return e.endSessions(recs[1:], trigger, now, each, done)
	})
}
