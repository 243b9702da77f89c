package core

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The session index lets Exeunt find edge sessions without the browser: a provider's
// front-channel iframe arrives without cookies (third-party cookies are blocked) and a
// provider's back-channel logout token arrives with no browser at all. It maps the
// provider's session (iss+sid) and the provider's user (iss+sub) to edge session ids,
// and each edge session id to a record of what a sign-out needs: who, through which
// provider, and the clients it visited. Entries expire with their sessions.
var (
	sessionRecords   = newExpiringMap("exeunt/session/", 1024)
	providerSessions = newExpiringMap("exeunt/by-psid/", 1024)
	subjectSessions  = newExpiringMap("exeunt/by-sub/", 1024)
)

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

// indexKey turns provider-chosen strings (which may hold spaces or be long) into a
// fixed-size id for the maps.
func indexKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// indexSession writes (or rewrites, when the clients changed) the record of s and its
// links from the provider's sid and sub. The cookie is the session's source of truth
// for the browser; a failed index write only means a later provider-initiated sign-out
// could miss this session, so it is logged, and sign-in goes on.
func (e *Engine) indexSession(s *session, now time.Time) {
	until := time.Unix(s.Expires, 0)
	rec, _ := json.Marshal(recordOf(s))
	if err := sessionRecords.put(e.store, s.SID, string(rec), until, now); err != nil {
		e.logf("exeunt: session index: cannot record sid=%s: %v", s.SID, err)
		return
	}
	link := func(m expiringMap, key string) {
		err := m.update(e.store, key, now, func(old string, _ bool) mapUpdate {
			sids := strings.Fields(old)
			if slices.Contains(sids, s.SID) {
				return mapUpdate{keep: true}
			}
			// Keep only sessions still alive: the list expires as a whole with its
			// longest-lived member, so old members are pruned here.
			live := sids[:0]
			for _, sid := range sids {
				if _, ok, _ := sessionRecords.get(e.store, sid, now); ok {
					live = append(live, sid)
				}
			}
			live = append(live, s.SID)
			return mapUpdate{value: strings.Join(live, " "), until: until}
		})
		if err != nil {
			e.logf("exeunt: session index: cannot link sid=%s: %v", s.SID, err)
		}
	}
	if s.PSID != "" {
		link(providerSessions, indexKey(s.Iss, s.PSID))
	}
	link(subjectSessions, indexKey(s.Iss, s.Sub))
}

// updateRecordClients records in the index that s visited a new client.
func (e *Engine) updateRecordClients(s *session, now time.Time) {
	rec, _ := json.Marshal(recordOf(s))
	if err := sessionRecords.put(e.store, s.SID, string(rec), time.Unix(s.Expires, 0), now); err != nil {
		e.logf("exeunt: session index: cannot update sid=%s: %v", s.SID, err)
	}
}

// lookupRecord returns the record of an edge session.
func (e *Engine) lookupRecord(sid string, now time.Time) (sessionRecord, bool) {
	raw, ok, err := sessionRecords.get(e.store, sid, now)
	if err != nil || !ok {
		return sessionRecord{}, false
	}
	var r sessionRecord
	if json.Unmarshal([]byte(raw), &r) != nil {
		return sessionRecord{}, false
	}
	return r, true
}

// sessionsOf finds the live edge sessions bound to a provider's session (iss and sid)
// or, when sid is empty, to a provider's user (iss and sub). With both, the sessions
// must match both (Back-Channel Logout 1.0 §2.4: the token identifies the session).
func (e *Engine) sessionsOf(iss, psid, sub string, now time.Time) ([]sessionRecord, error) {
	var raw string
	var err error
	if psid != "" {
		raw, _, err = providerSessions.get(e.store, indexKey(iss, psid), now)
	} else {
		raw, _, err = subjectSessions.get(e.store, indexKey(iss, sub), now)
	}
	if err != nil {
		return nil, err
	}
	var out []sessionRecord
	for _, sid := range strings.Fields(raw) {
		r, ok := e.lookupRecord(sid, now)
		if !ok || r.Iss != iss || (psid != "" && r.PSID != psid) || (sub != "" && r.Sub != sub) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// revokeSession ends an edge session everywhere: the revocation list (checked on every
// request, by every VM) and the index (so it is not ended twice). until is when the
// session would have ended anyway: after that the revocation entry can go.
func (e *Engine) revokeSession(sid string, expires int64, now time.Time) error {
	until := time.Unix(expires, 0)
	if !until.After(now) {
		until = now.Add(time.Minute)
	}
	if _, err := revokedSessions.add(e.store, sid, until, now); err != nil {
		return err
	}
	if err := sessionRecords.update(e.store, sid, now, func(string, bool) mapUpdate { return mapUpdate{delete: true} }); err != nil {
		e.logf("exeunt: session index: cannot drop sid=%s: %v", sid, err)
	}
	return nil
}
