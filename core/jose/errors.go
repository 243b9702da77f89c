package jose

import (
	"errors"
	"strconv"
)

// The errors of this package, for errors.Is; messages add what precisely is wrong.
var (
	// ErrMalformed: not a well-formed compact JWS or JWE of the shape this package reads,
	// or a header breaking one of its rules.
	ErrMalformed = errors.New("jose: malformed")
	// ErrSignature: the signature does not verify with the key given.
	ErrSignature = errors.New("jose: invalid signature")
	// ErrKeyMismatch: the key given cannot verify the token's algorithm (wrong type,
	// curve, or an RSA key outside 2048-4096 bits).
	ErrKeyMismatch = errors.New("jose: key does not fit the algorithm")
	// ErrDecrypt: a JWE does not decrypt with the key given: tampered with, or not ours.
	ErrDecrypt = errors.New("jose: does not decrypt")
	// ErrUnsupportedKey: a JWK of a type, curve or shape this package does not read. RFC
	// 7517 §5 asks a key set's reader to skip such keys.
	ErrUnsupportedKey = errors.New("jose: unsupported key")
)

// UnexpectedAlgorithmError reports a header "alg" outside the caller's allow-list.
type UnexpectedAlgorithmError struct {
	// Got is the header's "alg", as sent.
	Got string
}

func (e *UnexpectedAlgorithmError) Error() string {
	return "jose: unexpected algorithm " + quote(e.Got)
}

// maxShown is how much of an untrusted value an error message repeats.
const maxShown = 40

// quote renders an untrusted, non-secret value for an error message, cut short.
func quote(s string) string {
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "..."
	}
	return strconv.Quote(s)
}
