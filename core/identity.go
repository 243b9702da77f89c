package core

import (
	"slices"
	"time"
)

// assertionClaims is the identity assertion passed to an app (a JWS signed by Exeunt;
// validate it with Exeunt's JWKS). The app may send it back as id_token_hint.
type assertionClaims struct {
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
}

// assertionKey names a cached assertion: one per session and client.
type assertionKey struct{ sid, client string }

// cachedAssertion is a signed assertion and, once built, the identity headers carrying
// it: the common request reuses both as they are, with no allocation.
type cachedAssertion struct {
	token   string
	exp     time.Time
	headers []Header // capped at their length: appending copies
}

// maxCachedAssertions bounds the per-VM cache; past it the cache starts over.
const maxCachedAssertions = 10000

// assertion returns a signed assertion of s for client, reusing one signed earlier
// while more than half its lifetime remains, so the common request costs no signature.
func (e *Engine) assertion(s *session, client *Client, now time.Time) (string, error) {
	key := assertionKey{s.SID, client.ClientID}
	life := e.cfg.AssertionLifetime
	if c, ok := e.assertions[key]; ok && c.exp.Sub(now) > life/2 {
		return c.token, nil
	}
	exp := now.Add(life)
	if end := time.Unix(s.Expires, 0); end.Before(exp) {
		exp = end
	}
	tok, err := e.keys.signer.Sign("JWT", assertionClaims{Iss: e.cfg.Issuer, Aud: client.ClientID, Sub: s.Sub, SID: s.SID,
		IdP: s.IdP, Email: s.Email, Name: s.Name, AuthTime: s.AuthTime, Iat: now.Unix(), Exp: exp.Unix()})
	if err != nil {
		return "", err
	}
	if len(e.assertions) >= maxCachedAssertions {
		clear(e.assertions)
	}
	e.assertions[key] = cachedAssertion{token: tok, exp: exp}
	return tok, nil
}

// identityHeaders are the headers an app receives for a signed-in request.
func (e *Engine) identityHeaders(s *session, client *Client, now time.Time) ([]Header, error) {
	key := assertionKey{s.SID, client.ClientID}
	if c, ok := e.assertions[key]; ok && c.headers != nil && c.exp.Sub(now) > e.cfg.AssertionLifetime/2 {
		return c.headers, nil
	}
	tok, err := e.assertion(s, client, now)
	if err != nil {
		return nil, err
	}
	h := e.cfg.IdentityHeaders
	out := []Header{{h.Sub, s.Sub}, {h.IDP, s.IdP}, {h.SID, s.SID}, {h.Assertion, tok}}
	if s.Email != "" {
		out = append(out, Header{h.Email, s.Email})
	}
	if s.Name != "" {
		out = append(out, Header{h.Name, s.Name})
	}
	out = slices.Clip(out)
	if c, ok := e.assertions[key]; ok && c.token == tok {
		c.headers = out
		e.assertions[key] = c
	}
	return out, nil
}

// presentIdentityHeaders lists the identity headers a request carries: whatever the
// client sent under those names is stripped, signed in or not, so nobody can pose as
// someone else by sending them.
func (e *Engine) presentIdentityHeaders(r Request) []string {
	var out []string
	for _, name := range e.cfg.IdentityHeaderNames() {
		for _, h := range r.Headers {
			if h.Name == name {
				out = append(out, name)
				break
			}
		}
	}
	return out
}
