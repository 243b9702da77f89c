package jose

import (
	"encoding/base64"
	"strings"
)

// b64 is base64url without padding that refuses non-zero trailing bits (RFC 7515 §2,
// "Base64url Encoding"): every byte string has exactly one encoding, so a token cannot
// be re-spelled and still verify.
var b64 = base64.RawURLEncoding.Strict()

// decodePart decodes one part of a compact serialization, strictly. encoding/base64
// skips CR and LF even in Strict mode, so a part holding one is refused here: with it a
// signature or a sealed value's IV, ciphertext or tag could be re-spelled (the signing
// input and the additional data cover only the header and payload as written).
func decodePart(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := b64.DecodeString(s)
	return b, err == nil
}

// encodePart encodes one part of a compact serialization.
func encodePart(b []byte) string { return b64.EncodeToString(b) }

// decodeJWKMember decodes a base64url member of a JWK as go-jose does: trailing "="
// trimmed, trailing bits not checked. A key set comes from the provider over TLS, not
// from whoever holds a token, and being stricter than the library used before would drop
// keys that worked; in tokens, where an attacker writes the bytes, decoding is exact.
func decodeJWKMember(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	return b, err == nil
}
