package core

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// Several cookies of the session cookie's name.
//
// A browser sends every cookie whose Domain and Path cover the request, and two of the
// same name when they differ in either, the longer Path first (RFC 6265 §5.4). With a
// domain cookie (cookie.domain, no __Host- prefix) any host under the domain can set
// one of that name on a longer path, and so can a stale cookie of an earlier
// configuration (another path, another domain). Reading the first alone let such a
// cookie hide the browser's own session: sign-in started over and over. So every copy
// is tried, and the session is the one that opens (its seal verifies, it has not
// expired, it was not signed out). Two that open to different sessions leave nothing
// to choose by (which was set by Exeunt for this browser is not in the request), and
// the attacker's own valid session planted on a longer path must not win over the
// user's: neither is used (errAmbiguousSession), except by a sign-out, which ends all
// of them (openEvery, signout_all.go; RATIONALE.md, "Why is every cookie of the
// session's name tried, and two different valid sessions refused?").

// errAmbiguousSession: the request carries cookies of two different valid sessions.
var errAmbiguousSession = errors.New("the request carries two different valid sessions")

// maxCookieCopies bounds how many cookies of one name are read; maxSessionCandidates
// bounds how many assembled values are opened, so that planted cookies cannot make a
// request open thousands of combinations of chunks.
const (
	maxCookieCopies      = 8
	maxSessionCandidates = 16
)

// sealedCandidate is a value the session may be sealed in, and how many cookies it took.
type sealedCandidate struct {
	raw    string
	chunks int
}

// isChunked reports whether a session cookie's value starts a chunked value ("N~").
func isChunked(v string) bool { return strings.IndexByte(v[:min(len(v), 12)], '~') >= 0 }

// sessionCandidates returns the values the request's cookies called name (and its
// chunks name.1, name.2, ...) could hold a sealed session in: each copy of name, and
// for a chunked one each combination of the copies of its chunks, in the order the
// browser sent them, at most maxSessionCandidates. claimed is the largest number of
// cookies any copy says it took (what clearing them must cover), 0 without any.
func sessionCandidates(cs cookies, name string) (out []sealedCandidate, claimed int) {
	var chunkCopies [maxChunks][]string // copies of name.i, read when first needed
	first := cookieScan{cs: cs, name: name}
	for copies := 0; copies < maxCookieCopies; copies++ {
		v, ok := first.next()
		if !ok {
			break
		}
		claimed = max(claimed, 1)
		i := strings.IndexByte(v[:min(len(v), 12)], '~')
		if i < 0 {
			out = append(out, sealedCandidate{v, 1})
		} else if n, err := strconv.Atoi(v[:i]); err == nil && n >= 2 && n <= maxChunks {
			claimed = max(claimed, n)
			out = appendChunked(out, v[i+1:], n, cs, name, &chunkCopies)
		}
		if len(out) >= maxSessionCandidates {
			return out[:maxSessionCandidates], claimed
		}
	}
	return out, claimed
}

// appendChunked appends each combination of the copies of chunks 1 to n-1 after head
// (the first chunk's value), until out holds maxSessionCandidates.
func appendChunked(out []sealedCandidate, head string, n int, cs cookies, name string, copies *[maxChunks][]string) []sealedCandidate {
	for i := 1; i < n; i++ {
		if copies[i] == nil {
			s := cookieScan{cs: cs, name: name + "." + strconv.Itoa(i)}
			copies[i] = []string{}
			for len(copies[i]) < maxCookieCopies {
				v, ok := s.next()
				if !ok {
					break
				}
				copies[i] = append(copies[i], v)
			}
		}
		if len(copies[i]) == 0 {
			return out // a chunk is missing: a truncated jar
		}
	}
	pick := make([]int, n) // an odometer over the copies of each chunk
	for len(out) < maxSessionCandidates {
		var b strings.Builder
		b.WriteString(head)
		for i := 1; i < n; i++ {
			b.WriteString(copies[i][pick[i]])
		}
		out = append(out, sealedCandidate{b.String(), n})
		i := n - 1
		for ; i >= 1; i-- {
			if pick[i]++; pick[i] < len(copies[i]) {
				break
			}
			pick[i] = 0
		}
		if i < 1 {
			break
		}
	}
	return out
}

// severalSessionCookies reports whether the request carries more than one cookie called
// name, or a chunked one: what openSession opens with openAmong rather than alone.
func severalSessionCookies(cs cookies, name string) bool {
	sc := cookieScan{cs: cs, name: name}
	raw, ok := sc.next()
	if !ok {
		return false
	}
	_, more := sc.next()
	return more || isChunked(raw)
}

// openAmong opens the session among several cookies of its name (or a chunked one):
// the only session that opens, or errAmbiguousSession when two different ones do.
func (e *Engine) openAmong(cs cookies, now time.Time) (session, int, error) {
	all, claimed, err := e.openEvery(cs, now)
	switch {
	case err != nil:
		return session{}, claimed, err
	case len(all) > 1:
		e.logf("exeunt: the request carries cookies %s of two different valid sessions (one may have been set by another host under the cookie's domain, or on a longer path); neither is used", e.cfg.Cookie.Name)
		return session{}, claimed, errAmbiguousSession
	}
	return all[0], claimed, nil
}

// openEvery opens every candidate of the request's session cookies (at most
// maxSessionCandidates) and returns each different session that opens, once (of two
// seals of one session, the later one), in the order the browser sent them. A copy that
// does not open is skipped; when none opens, the error is the most telling of theirs
// (signed out, then expired, then unreadable), as for a single cookie, and errNoSession
// without any. errStoreUnavailable when the store cannot say of one of them: whether
// that one is alive is unknown, so nothing is used. A sign-out ends all it returns
// (signout_all.go); any other request uses one only when it is the only one (openAmong).
func (e *Engine) openEvery(cs cookies, now time.Time) ([]session, int, error) {
	cands, claimed := sessionCandidates(cs, e.cfg.Cookie.Name)
	if len(cands) == 0 {
		return nil, claimed, errNoSession
	}
	var all []session
	var why error
	for _, c := range cands {
		s, _, err := e.openSealed(c.raw, c.chunks, now)
		if err == errStoreUnavailable {
			return nil, claimed, err
		}
		if err != nil {
			if openErrorRank(err) > openErrorRank(why) {
				why = err
			}
			continue
		}
		i := 0
		for i < len(all) && all[i].SID != s.SID {
			i++
		}
		switch {
		case i == len(all):
			all = append(all, s)
		case s.Seen > all[i].Seen:
			all[i] = s // two seals of one session: the later one
		}
	}
	if len(all) == 0 {
		return nil, claimed, why
	}
	return all, claimed, nil
}

// openErrorRank orders why cookies did not open, the most telling highest.
func openErrorRank(err error) int {
	switch {
	case err == nil:
		return 0
	case err == errRevoked:
		return 3
	case err == oidc.ErrExpired:
		return 2
	}
	return 1
}

// ambiguousSession answers a request whose cookies hold two different valid sessions:
// neither is used, and the browser is not sent to sign in, which would only add a
// third (the cookie Exeunt sets replaces its own, never the other); the page says to
// clear this site's cookies. No cookie is cleared here: Exeunt can delete only the one
// it set, which would leave the other alone, and valid. A sign-out does not come here:
// it ends them all (signout_all.go).
func (e *Engine) ambiguousSession(v *requestView) Decision {
	f := pageFailure(400, "ambiguous_session")
	f.oauth, f.description = "invalid_request", "the request carries cookies of two different sessions; clear this site's cookies and sign in again"
	return Respond(e.answer(f, e.answerKindOf(v), v.language()))
}
