package core

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/oidc"

	"github.com/exeunt/exeunt/core/jsonx"
)

// session is the edge session: who signed in, through which provider, and which
// clients (apps) the browser has visited since, because exactly those must hear of a
// sign-out. It lives sealed in the session cookie (see RATIONALE.md).
type session struct {
	SID      string   `json:"sid"`            // the edge session's id, random
	Sub      string   `json:"sub"`            // the user's subject at the provider
	IdP      string   `json:"idp"`            // the provider's scheme
	Iss      string   `json:"iss"`            // the provider's issuer
	PSID     string   `json:"psid,omitempty"` // the provider's session id (its "sid")
	IDToken  string   `json:"idt,omitempty"`  // the provider's ID token, for id_token_hint
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	AuthTime int64    `json:"auth_time"`
	Created  int64    `json:"iat"`
	Expires  int64    `json:"exp"`  // absolute end, Unix seconds
	Seen     int64    `json:"seen"` // start of the current idle window
	Clients  []string `json:"clients,omitempty"`

	// EmailVerified is the provider's email_verified ("ev": the cookie stays compact). A
	// cookie sealed before the field existed, or a provider that never sends the claim
	// (Entra ID), reads as false: not verified.
	EmailVerified bool `json:"ev,omitempty"`
}

const sessionPurpose = "session"

// expiry is when the session ends if nothing happens: the end of its idle window or its
// absolute end, whichever comes first.
func (s *session) expiry(idle time.Duration) time.Time {
	return time.Unix(min(s.Expires, s.Seen+int64(idle/time.Second)), 0)
}

// needsRefresh says whether the idle window should be renewed: past half of it, so an
// active user never meets the idle timeout while the cookie is re-sealed at most once
// per half window, not on every request.
func (s *session) needsRefresh(now time.Time, idle time.Duration) bool {
	return now.Unix()-s.Seen > int64(idle/time.Second)/2 && s.Seen+int64(idle/time.Second) < s.Expires
}

func (s *session) visited(clientID string) bool { return slices.Contains(s.Clients, clientID) }

var errNoSession = errors.New("no session cookie")

// openSession reads the session cookie(s) of a request. Any problem (absent, truncated,
// tampered, sealed with a retired key, expired) means "not signed in": the cookie is
// the browser's word, and nothing in it is trusted unless it opens.
//
// The session comes back by value: a pointer to it would be a heap allocation on every
// signed-in request.
func (e *Engine) openSession(cs cookies, now time.Time) (session, int, error) {
	// The usual request carries one session cookie, unchunked: it is opened alone.
	// More than one, or a chunked one, is tried copy by copy (openAmong).
	sc := cookieScan{cs: cs, name: e.cfg.Cookie.Name}
	raw, ok := sc.next()
	if !ok {
		return session{}, 0, errNoSession
	}
	if _, more := sc.next(); more || isChunked(raw) {
		return e.openAmong(cs, now)
	}
	return e.openSealed(raw, 1, now)
}

// openSealed opens one sealed session value that took chunks cookies.
func (e *Engine) openSealed(raw string, chunks int, now time.Time) (session, int, error) {
	s, err := e.unseal(raw, now)
	if err != nil {
		return session{}, chunks, err
	}
	if !now.Before(s.expiry(e.cfg.Session.IdleTimeout)) {
		return session{}, chunks, oidc.ErrExpired
	}
	// A session older than the store's memory of sign-outs (the local store after Envoy
	// restarted) may have been signed out: refused as one (store_local_since.go).
	if s.Created <= e.storeSince {
		return session{}, chunks, errRevoked
	}
	// Every request checks revocation: a stolen or lingering cookie is worthless once
	// its session ended. When the store cannot answer (a fleet store not loaded yet, or
	// past its staleness bound) the session is not used: fail closed, but without
	// claiming it ended (errStoreUnavailable: a 503, the cookie kept).
	if found, err := e.ports.revocations.isRevoked(s.SID, now); err != nil {
		return session{}, chunks, errStoreUnavailable
	} else if found {
		return session{}, chunks, errRevoked
	}
	return s, chunks, nil
}

var (
	// errSessionTooLarge: the sealed session needs more cookies than joinCookie reads.
	errSessionTooLarge = errors.New("the session is too large for its cookies")
	errRevoked         = errors.New("session was signed out")
	// errStoreUnavailable: the store cannot say whether the session was signed out.
	errStoreUnavailable = errors.New("the session store cannot say whether the session was signed out")
)

// maxCachedSessions bounds the per-VM cache of opened cookies; past it the cache starts
// over.
const maxCachedSessions = 10000

// unseal opens a sealed session cookie value. Opening (AES-GCM and JSON) is the most
// expensive part of a signed-in request, so each VM remembers the cookies it opened:
// the same sealed string always holds the same session. Expiry and revocation are
// still checked on every request.
//
// The cache is keyed by the value's last bytes (the end of the AES-GCM tag), and a hit
// must then equal the whole value: hashing a 1.5 KB key and comparing it again would
// be two passes over it where one does, in a guest where each pass shows. That one
// pass is sameLong, eight bytes a step on wasm (equal_words.go).
//
// The session returned shares its Clients with the cache, capped at their length: a
// caller that appends gets a new array, and none changes an element in place.
func (e *Engine) unseal(raw string, now time.Time) (session, error) {
	key := raw[len(raw)-min(len(raw), sessionCacheKeyLen):]
	if c, ok := e.sessions[key]; ok && sameLong(c.raw, raw) {
		return c.session, nil
	}
	payload, err := e.keys.sealer.Open(sessionPurpose, raw, now)
	if err != nil {
		return session{}, err
	}
	var s session
	if err := jsonx.Unmarshal(payload, &s); err != nil || s.SID == "" || s.Sub == "" {
		return session{}, errors.New("session cookie content is malformed")
	}
	if len(e.sessions) >= maxCachedSessions {
		clear(e.sessions)
	}
	s.Clients = slices.Clip(s.Clients)
	// The request's strings may point into a buffer the host filled for the whole
	// header map; the cache keeps a copy of the cookie alone.
	raw = strings.Clone(raw)
	e.sessions[raw[len(raw)-min(len(raw), sessionCacheKeyLen):]] = &openedCookie{raw, s}
	return s, nil
}

// sessionCacheKeyLen: the last 16 characters of a sealed value are 12 bytes of its
// authentication tag, which differ between any two values sealed.
const sessionCacheKeyLen = 16

// openedCookie is a session cookie value this VM opened, and what it held.
type openedCookie struct {
	raw     string
	session session
}

// sessionCookies seals s into Set-Cookie headers, deleting chunks a previous, longer
// cookie left behind (oldChunks is how many the request carried).
func (e *Engine) sessionCookies(s *session, now time.Time, oldChunks int) ([]Header, error) {
	// Marshal a copy: handing s itself to jsonx.Marshal (an interface) would make every
	// caller's session escape to the heap, an allocation on each signed-in request.
	plain := *s
	payload, err := jsonx.Marshal(&plain)
	if err != nil {
		return nil, err
	}
	exp := s.expiry(e.cfg.Session.IdleTimeout)
	sealed, err := e.keys.sealer.Seal(sessionPurpose, payload, now, exp)
	if err != nil {
		return nil, err
	}
	base := e.cookie(e.cfg.Cookie.Name, sealed, int(time.Unix(s.Expires, 0).Sub(now)/time.Second))
	var out []Header
	set := chunkCookie(base)
	if len(set) > maxChunks {
		// joinCookie would not read it back: the browser would carry a session that is
		// never found, and be sent to sign in again and again.
		return nil, fmt.Errorf("%w: %d bytes sealed, %d cookies; at most %d are read back", errSessionTooLarge, len(sealed), len(set), maxChunks)
	}
	for _, c := range set {
		out = append(out, c.header())
	}
	for i := len(set); i < oldChunks; i++ {
		out = append(out, e.deleteCookie(chunkName(e.cfg.Cookie.Name, i)))
	}
	return out, nil
}

// clearSessionCookies deletes the session cookie and every chunk of it.
func (e *Engine) clearSessionCookies(chunks int) []Header {
	out := []Header{e.deleteCookie(e.cfg.Cookie.Name)}
	for i := 1; i < chunks; i++ {
		out = append(out, e.deleteCookie(chunkName(e.cfg.Cookie.Name, i)))
	}
	return out
}

func chunkName(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "." + strconv.Itoa(i)
}

// cookie builds a cookie with the configured attributes. A deleting Set-Cookie repeats
// the original Path and Domain, or the browser keeps the original (a lesson of Envoy's
// oauth2 filter).
func (e *Engine) cookie(name, value string, maxAge int) setCookie {
	c := e.cfg.Cookie
	return setCookie{name: name, value: value, path: c.Path, domain: c.Domain, maxAge: maxAge,
		secure: c.Secure, httpOnly: true, sameSite: string(c.SameSite)}
}

func (e *Engine) deleteCookie(name string) Header {
	return e.cookie(name, "", -1).header()
}
