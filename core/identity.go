package core

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// assertionClaims is the identity assertion passed to an app (a JWS signed by Exeunt;
// validate it with Exeunt's JWKS). The app may send it back as id_token_hint.
type assertionClaims struct {
	_        noCompare
	Iss      string `json:"iss"`
	Aud      string `json:"aud"`
	Sub      string `json:"sub"`
	SID      string `json:"sid"`
	IdP      string `json:"idp"`
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	AuthTime int64  `json:"auth_time"`
	Iat      int64  `json:"iat"`
	Exp      int64  `json:"exp"`

	// EmailVerified is present exactly when Email is: an app must not link accounts by
	// an email the provider did not verify (see docs/security-model.md).
	EmailVerified *bool `json:"email_verified,omitempty"`
}

// clientAssertion is a cached assertion of a session (the cache's key) for one client.
type clientAssertion struct {
	client string
	cachedAssertion
}

// cachedAssertionFor is the cached assertion of session sid for client, if any.
func (c *vmCaches) cachedAssertionFor(sid, client string) (cachedAssertion, bool) {
	for _, a := range c.assertions[sid] {
		if a.client == client {
			return a.cachedAssertion, true
		}
	}
	return cachedAssertion{}, false
}

// cacheAssertion keeps a as session sid's assertion for client, in place of any
// before it. Past maxCachedAssertions the cache starts over.
func (c *vmCaches) cacheAssertion(sid, client string, a cachedAssertion) {
	list := c.assertions[sid]
	for i := range list {
		if list[i].client == client {
			list[i].cachedAssertion = a
			return
		}
	}
	if c.assertionCount >= maxCachedAssertions {
		clear(c.assertions)
		c.assertionCount, list = 0, nil
	}
	c.assertions[sid] = append(list, clientAssertion{client, a})
	c.assertionCount++
}

// cachedAssertion is the identity headers of a session for a client, the signed
// assertion among them, and when that assertion expires. The assertion is kept apart
// too (the same string as in headers): an app sends it back as id_token_hint, and one
// this VM signed is recognized by its bytes (ownAssertion, hint.go), and answered with
// claims, the token's payload decoded when it was cached (nil when it did not decode),
// so that the sign-out does not decode it again.
type cachedAssertion struct {
	exp     time.Time
	headers []Header // capped at their length: a caller appending gets a copy
	token   string
	claims  *assertionClaims // read only: shared by every hint of these bytes
}

// maxCachedAssertions bounds the per-VM cache; past it the cache starts over.
const maxCachedAssertions = 10000

// identityHeaders are the headers an app receives for a signed-in request. The signed
// assertion in them, and the headers themselves, are cached per session and client and
// reused while more than half the assertion's lifetime remains, so the common request
// costs no signature and no allocation. On a miss, an assertion another VM of this
// Envoy signed and shared is adopted when it is still as fresh (store_local_assertions.go);
// only without one does this VM sign, and then shares what it signed. Shared data is
// read only on that miss: a cached request makes no host call more.
func (e *Engine) identityHeaders(s *session, client *Client, now time.Time) ([]Header, error) {
	if c, ok := e.cachedAssertionFor(s.SID, client.ClientID); ok && c.exp.Sub(now) > e.cfg.AssertionLifetime/2 {
		return c.headers, nil
	}
	tok := e.sharedAssertion(s.SID, client.ClientID, now)
	exp, adopted := e.adoptable(tok, s, client, now)
	if adopted {
		e.metrics.Add(counterAssertionAdopted, 1)
	} else {
		var err error
		if tok, exp, err = e.signAssertion(s, client, now); err != nil {
			return nil, err
		}
		e.metrics.Add(counterAssertionSigned, 1)
		e.shareAssertion(s.SID, client.ClientID, tok, exp, now)
	}
	h := e.cfg.IdentityHeaders
	out := []Header{{Name: h.Sub, Value: s.Sub}, {Name: h.IDP, Value: s.IdP}, {Name: h.SID, Value: s.SID}, {Name: h.Assertion, Value: tok}}
	out = appendEmailHeaders(out, h, s)
	if s.Name != "" {
		out = append(out, Header{Name: h.Name, Value: s.Name})
	}
	out = slices.Clip(out)
	a := cachedAssertion{exp: exp, headers: out, token: tok}
	// The claims as a hint of these bytes reads them (ownAssertion): decoded from the
	// token, not copied from what was signed, so that they are what decoding the hint
	// would give. Once per signature or adoption, never on a cached request.
	if c, ok := assertionPayload(tok); ok {
		a.claims = &c
	}
	e.cacheAssertion(s.SID, client.ClientID, a)
	return out, nil
}

// assertionType is the JOSE "typ" of an assertion; verifyHint accepts only that as
// an id_token_hint, so that a logout token (signed with the same keys) is never one.
const assertionType = "JWT"

// signAssertion signs s's assertion for client, valid for the assertion lifetime or
// until the session ends, whichever comes first.
func (e *Engine) signAssertion(s *session, client *Client, now time.Time) (string, time.Time, error) {
	exp := now.Add(e.cfg.AssertionLifetime)
	if end := time.Unix(s.Expires, 0); end.Before(exp) {
		exp = end
	}
	claims := assertionClaims{Iss: e.cfg.Issuer, Aud: client.ClientID, Sub: s.Sub, SID: s.SID,
		IdP: s.IdP, Email: s.Email, Name: s.Name, AuthTime: s.AuthTime, Iat: now.Unix(), Exp: exp.Unix()}
	if s.Email != "" {
		verified := s.EmailVerified // a copy: a pointer into s would move every session to the heap
		claims.EmailVerified = &verified
	}
	tok, err := e.keys.signer.Sign(assertionType, claims)
	return tok, exp, err
}

// adoptable reports whether tok, an assertion shared by another VM (or "": none), is
// one this VM may pass on for s and client: every claim the one it would sign now,
// but for iat and exp, and its expiry under the same refresh rule as the cache's (more
// than half the lifetime left) and no later than one signed here now would get. Its
// signature is not checked: the entry was found under the id of this VM's current
// signing key (sharedAssertionID), so a VM of this filter signed it with that key.
func (e *Engine) adoptable(tok string, s *session, client *Client, now time.Time) (time.Time, bool) {
	if tok == "" {
		return time.Time{}, false
	}
	c, ok := assertionPayload(tok)
	if !ok {
		return time.Time{}, false
	}
	emailVerified := c.EmailVerified == nil
	if s.Email != "" {
		emailVerified = c.EmailVerified != nil && *c.EmailVerified == s.EmailVerified
	}
	same := c.Iss == e.cfg.Issuer && c.Aud == client.ClientID && c.Sub == s.Sub && c.SID == s.SID &&
		c.IdP == s.IdP && c.Email == s.Email && c.Name == s.Name && c.AuthTime == s.AuthTime && emailVerified
	life := e.cfg.AssertionLifetime
	exp := time.Unix(c.Exp, 0)
	fresh := exp.Sub(now) > life/2 && c.Exp <= s.Expires && !exp.After(now.Add(life))
	return exp, same && fresh
}

// appendEmailHeaders adds the email and whether the provider verified it, both or
// neither: an email reaches an app only with its email_verified beside it, so an app
// that links accounts by email can tell an address anyone could have typed in at the
// provider from one the provider checked.
func appendEmailHeaders(out []Header, h IdentityHeaders, s *session) []Header {
	if s.Email == "" {
		return out
	}
	verified := "false"
	if s.EmailVerified {
		verified = "true"
	}
	return append(out, Header{Name: h.Email, Value: s.Email}, Header{Name: h.EmailVerified, Value: verified})
}

// strippedHeaders lists the request's headers that an app could read as one of the
// identity headers: whatever the client sent under those names is stripped, signed
// in or not, so nobody can pose as someone else by sending them. A name counts when it
// is an identity header's ignoring case and taking "_" for "-" (readAlikeByApps):
// Envoy passes names with "_" on by default (headers_with_underscores_action ALLOW), and
// an app server that reads headers as CGI variables (WSGI, Rack, PHP) reads x_exeunt_sub
// as HTTP_X_EXEUNT_SUB, as it reads x-exeunt-sub, whichever copy it keeps. The headers
// some frameworks take for the request's path are stripped too (pathOverrideHeaders).
// The names are listed as the request spells them, each once, for the glue to remove.
func (e *Engine) strippedHeaders(headers []Header) []string {
	var out []string
	names := e.cfg.IdentityHeaderNames()
	for _, h := range headers {
		if (spelledAsOneOf(h.Name, names) || spelledAsOneOf(h.Name, pathOverrideHeaders)) && !slices.Contains(out, h.Name) {
			out = append(out, h.Name)
		}
	}
	return out
}

// StrippedTrailers names the request trailers to remove before a request goes on: the
// same names as strippedHeaders takes from the headers. Envoy forwards a request's
// trailers (HTTP/2, or an HTTP/1.1 chunked body's trailer section) to the app, and an
// app or framework that merges them into its headers would read a forged identity
// there (RATIONALE.md, "Why identity headers are stripped from trailers too").
func (e *Engine) StrippedTrailers(trailers []Header) []string {
	return e.strippedHeaders(trailers)
}

// spelledAsOneOf reports whether a request header's name reads as one of names to an app
// (readAlikeByApps).
func spelledAsOneOf(got string, names []string) bool {
	for _, n := range names {
		if readAlikeByApps(got, n) {
			return true
		}
	}
	return false
}

// pathOverrideHeaders are request headers that some app frameworks read as the request's
// path in place of the request line: Symfony's HttpFoundation and Zend Framework did
// until 2018 (CVE-2018-14773, ZF2018-01), and code written for IIS's URL Rewrite module
// does. Exeunt decides on :path, so a request to a public path carrying "X-Original-URL:
// /app1/admin" would reach such an app's admin page without a session: a public rule
// must mean the same path to the filter and to the app (docs/security-model.md). No
// browser sends them; a proxy that sets them for its app belongs behind the filter.
var pathOverrideHeaders = []string{"x-original-url", "x-rewrite-url"}

// readAlikeByApps reports whether a request header's name reads as name (lower case, as
// configured) to an app: the same letters in any case, with "_" and "-" interchangeable.
func readAlikeByApps(got, name string) bool {
	if len(got) != len(name) {
		return false
	}
	if got == name {
		return true
	}
	for i := 0; i < len(got); i++ {
		a, b := got[i], name[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if a == '_' {
			a = '-'
		}
		if b == '_' {
			b = '-'
		}
		if a != b {
			return false
		}
	}
	return true
}

// headerSafeClaims refuses an ID token whose sub, name or email could not travel as a
// request header value (RFC 9110 §5.5): each becomes one of the identity headers, and
// a line break in a name the user chose at the provider would add a header of their
// choosing on the way to the app (x-exeunt-sub: admin) wherever what a filter sets is
// not checked again, or get the request rejected. Control characters other than the
// tab are refused;
// Unicode (obs-text to HTTP) passes. The sign-in fails rather than altering the value:
// an identity passed on must be the provider's, exactly. So does a sub with a space or
// tab at either end: every HTTP parser drops those from a header value, and the app
// would read "alice " as "alice", another account (a provider whose sub is the login
// the user typed, as the demo's is, sends such a sub).
func headerSafeClaims(tok *oidc.IDToken) error {
	if sub := tok.Subject; sub != "" && (isOWS(sub[0]) || isOWS(sub[len(sub)-1])) {
		return errors.New("claim \"sub\" has white space at an end, which a request header cannot carry (the app would read another subject)")
	}
	for _, c := range [...]struct{ name, value string }{{"sub", tok.Subject}, {"name", tok.Name}, {"email", tok.Email}} {
		for i := 0; i < len(c.value); i++ {
			if b := c.value[i]; (b < 0x20 && b != '\t') || b == 0x7f {
				return fmt.Errorf("claim %q holds a control character (0x%02x), which no request header may carry", c.name, b)
			}
		}
	}
	return nil
}

// isOWS reports whether b is HTTP's optional white space (RFC 9110 §5.6.3).
func isOWS(b byte) bool { return b == ' ' || b == '\t' }

// PathOverrideHeaderNames returns the headers the filter removes from every request
// because some apps read them as the request's path (pathOverrideHeaders). A route that
// switches the filter off must remove them itself (docs/security-model.md).
func PathOverrideHeaderNames() []string { return slices.Clone(pathOverrideHeaders) }
