package oidc

import (
	"errors"
	"fmt"
	"strconv"
)

// The errors of this package. Every failure to open, parse or verify wraps one of them
// (a discovery issuer mismatch wraps both ErrDiscovery and ErrIssuer), so callers can
// choose a response with errors.Is while the message says what precisely is wrong.
// Seal, Sign and NewLogoutTokenClaims fail only on a caller's mistake, with plain errors.
var (
	// ErrInvalid: a sealed value was tampered with, truncated, sealed with a key we do not
	// have (any more), or sealed for another purpose.
	ErrInvalid = errors.New("oidc: invalid sealed value")
	// ErrExpired: a sealed value or a token is past its expiry.
	ErrExpired = errors.New("oidc: expired")
	// ErrMalformed: a token is not a well-formed compact JWS with a JSON claims set, or a
	// claim has the wrong type.
	ErrMalformed = errors.New("oidc: malformed token")
	// ErrAlgorithm: a token's "alg" is not in the allow-list (this includes "none" and the
	// HMAC algorithms), or the allow-list itself names an algorithm we never accept.
	ErrAlgorithm = errors.New("oidc: algorithm not allowed")
	// ErrUnknownKey: no key matches the token's "kid" (or, without a "kid", not exactly one
	// key is usable). For a provider's token this may mean its JWKS must be refreshed.
	ErrUnknownKey = errors.New("oidc: unknown signing key")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("oidc: invalid signature")
	// ErrType: the JOSE header "typ" is not the one expected.
	ErrType = errors.New("oidc: wrong token type")
	// ErrIssuer: "iss" is missing or not the expected issuer.
	ErrIssuer = errors.New("oidc: wrong issuer")
	// ErrAudience: "aud" is missing or does not contain our client_id.
	ErrAudience = errors.New("oidc: wrong audience")
	// ErrAuthorizedParty: "azp" is missing where required, or not our client_id.
	ErrAuthorizedParty = errors.New("oidc: wrong authorized party")
	// ErrIssuedAt: "iat" is missing or in the future.
	ErrIssuedAt = errors.New("oidc: wrong issued-at time")
	// ErrNonce: "nonce" differs from the one sent (ID token) or is present where it must
	// not be (logout token).
	ErrNonce = errors.New("oidc: wrong nonce")
	// ErrSubject: "sub" is missing (ID token), or neither "sub" nor "sid" is present
	// (logout token).
	ErrSubject = errors.New("oidc: missing subject")
	// ErrClaims: another required claim is missing or wrong ("jti", "events", "exp").
	ErrClaims = errors.New("oidc: wrong claims")
	// ErrDiscovery: a provider's discovery document is unusable.
	ErrDiscovery = errors.New("oidc: invalid discovery document")
	// ErrJWKS: a JSON Web Key Set is unusable.
	ErrJWKS = errors.New("oidc: invalid JWK set")
	// ErrKey: a key handed to this package (configuration) is unusable.
	ErrKey = errors.New("oidc: invalid key")
)

// errorf wraps kind with a formatted detail: "oidc: wrong issuer: iss ...".
func errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)
}

// maxShown is how much of an untrusted value an error message repeats.
const maxShown = 80

// quote renders an untrusted, non-secret value for an error message: quoted, and cut
// short so that a hostile input cannot make the message huge.
func quote(s string) string {
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "..."
	}
	return strconv.Quote(s)
}
