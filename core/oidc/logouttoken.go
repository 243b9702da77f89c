package oidc

import (
	"bytes"
	"errors"
	"time"

	"github.com/exeunt/exeunt/core/jose"
)

// BackchannelLogoutEvent is the member of a logout token's "events" claim that makes it
// one (Back-Channel Logout 1.0 §2.4).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutTokenType is the JOSE header "typ" of a logout token (Back-Channel Logout 1.0
// §2.4, explicit typing), for [Signer.Sign].
const LogoutTokenType = "logout+jwt"

// MaxLogoutTokenLifetime is the longest lifetime [NewLogoutTokenClaims] gives a token:
// logout tokens are delivered at once and retried with fresh tokens, so a short life
// limits what a leaked one is worth.
const MaxLogoutTokenLifetime = 2 * time.Minute

// NewLogoutTokenClaims returns the claims of a logout token Exeunt sends to a client
// (Back-Channel Logout 1.0 §2.4), ready for [Signer.Sign] with [LogoutTokenType]: exactly
// iss, aud, iat (now), exp (iat plus lifetime, clamped to between one second and
// [MaxLogoutTokenLifetime]; zero or less means the maximum), a fresh random jti, events
// with the single member [BackchannelLogoutEvent] whose value is {}, and sub and/or sid
// (empty ones are left out; at least one is required). It never adds a nonce. Make new
// claims for every delivery attempt, so that each has its own jti and exp.
func NewLogoutTokenClaims(iss, aud, sub, sid string, now time.Time, lifetime time.Duration) (map[string]any, error) {
	if iss == "" || aud == "" {
		return nil, errors.New("oidc: logout token: iss and aud are required")
	}
	if sub == "" && sid == "" {
		return nil, errors.New("oidc: logout token: sub or sid (or both) is required")
	}
	if lifetime <= 0 || lifetime > MaxLogoutTokenLifetime {
		lifetime = MaxLogoutTokenLifetime
	}
	seconds := max(int64(lifetime/time.Second), 1)
	iat := now.Unix()
	claims := map[string]any{
		"iss":    iss,
		"aud":    aud,
		"iat":    iat,
		"exp":    iat + seconds,
		"jti":    RandomID(16),
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	return claims, nil
}

// LogoutTokenVerifier validates logout tokens POSTed to Exeunt by one provider
// (Back-Channel Logout 1.0 §2.6). It holds no state and is safe for concurrent use.
type LogoutTokenVerifier struct {
	// Issuer is the provider's issuer identifier; "iss" must equal it exactly.
	Issuer string
	// ClientID is our client_id at the provider; "aud" must contain it.
	ClientID string
	// Algorithms is the allow-list of "alg" values, as for [IDTokenVerifier].
	Algorithms []string
	// Leeway is the clock skew tolerated on "iat" and "exp".
	Leeway time.Duration
}

// LogoutToken is a validated logout token: which provider session or user to end.
type LogoutToken struct {
	_        [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	Issuer   string    // iss
	Subject  string    // sub; may be empty when SID is not
	SID      string    // sid; may be empty when Subject is not
	JTI      string    // jti: remember it (after acting on the token) to refuse replays
	IssuedAt time.Time // iat
	Expiry   time.Time // exp
}

// logoutTokenClaims is the JSON shape of the claims Verify reads. Nonce is raw so that
// its mere presence, even as null, is seen.
type logoutTokenClaims struct {
	Issuer   string            `json:"iss"`
	Subject  string            `json:"sub"`
	SID      string            `json:"sid"`
	Audience audience          `json:"aud"`
	IssuedAt *numericDate      `json:"iat"`
	Expiry   *numericDate      `json:"exp"`
	JTI      string            `json:"jti"`
	Events   map[string][]byte `json:"events"`
	Nonce    []byte            `json:"nonce"`
}

// Verify validates raw, a logout token received from the provider, against the
// provider's keys and the time now:
//
//  1. "alg" is in the allow-list, so never "none" nor HS* ([ErrAlgorithm]); "typ", when
//     present, is "logout+jwt" (ignoring case and an "application/" prefix) ([ErrType]);
//  2. the key is found ([ErrUnknownKey]) and the signature verifies ([ErrSignature]);
//  3. "iss" equals Issuer ([ErrIssuer]); "aud" contains ClientID ([ErrAudience]);
//  4. "iat" is present and not in the future ([ErrIssuedAt]), "exp" present ([ErrClaims])
//     and not past ([ErrExpired]), both with Leeway;
//  5. "jti" is present, and "events" has the member [BackchannelLogoutEvent] whose value
//     is a JSON object ([ErrClaims]);
//  6. "sub" or "sid" is present ([ErrSubject]); "nonce" is absent ([ErrNonce]).
//
// Verify does not remember jti values: refusing replays is the caller's business.
func (v *LogoutTokenVerifier) Verify(raw string, keys *jose.JSONWebKeySet, now time.Time) (*LogoutToken, error) {
	algs, err := allowList(v.Algorithms)
	if err != nil {
		return nil, err
	}
	if v.Issuer == "" || v.ClientID == "" {
		return nil, errorf(ErrIssuer, "verifier is not configured: Issuer and ClientID are required")
	}
	obj, err := parseJWS(raw, algs)
	if err != nil {
		return nil, err
	}
	if typ := obj.Header.Type; typ != "" && !typeIs(typ, LogoutTokenType) {
		return nil, errorf(ErrType, "typ is %s, want %q", quote(typ), LogoutTokenType)
	}
	payload, err := verifyWithSet(obj, keys)
	if err != nil {
		return nil, err
	}
	var c logoutTokenClaims
	if err := decodeClaims(payload, &c); err != nil {
		return nil, err
	}
	if err := checkIssuerAudience(c.Issuer, c.Audience, v.Issuer, v.ClientID); err != nil {
		return nil, err
	}
	if err := checkTimes(c.IssuedAt, c.Expiry, now, v.Leeway); err != nil {
		return nil, err
	}
	if c.JTI == "" {
		return nil, errorf(ErrClaims, "jti is missing")
	}
	event, ok := c.Events[BackchannelLogoutEvent]
	if !ok {
		return nil, errorf(ErrClaims, "events has no %q member", BackchannelLogoutEvent)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(event), []byte("{")) {
		return nil, errorf(ErrClaims, "the %q event is not a JSON object", BackchannelLogoutEvent)
	}
	if c.Subject == "" && c.SID == "" {
		return nil, errorf(ErrSubject, "neither sub nor sid is present")
	}
	if c.Nonce != nil {
		return nil, errorf(ErrNonce, "nonce must not be present in a logout token")
	}
	return &LogoutToken{
		Issuer:   c.Issuer,
		Subject:  c.Subject,
		SID:      c.SID,
		JTI:      c.JTI,
		IssuedAt: c.IssuedAt.Time(),
		Expiry:   c.Expiry.Time(),
	}, nil
}
