package oidc

import (
	"crypto/sha256"
	"encoding/base64"
)

// pkceVerifierBytes is the entropy of a code verifier: RFC 7636 §4.1 recommends a 32-octet
// random sequence, base64url-encoded to 43 characters.
const pkceVerifierBytes = 32

// NewPKCE returns a fresh PKCE code verifier and its S256 code challenge (RFC 7636 §4.1,
// §4.2). The verifier stays with us (sealed in the sign-in state); the challenge goes in
// the authorization request with code_challenge_method=S256; the verifier goes in the
// token request.
func NewPKCE() (verifier, challenge string) {
	verifier = RandomID(pkceVerifierBytes)
	return verifier, PKCEChallenge(verifier)
}

// PKCEChallenge is the S256 transformation of RFC 7636 §4.2:
// BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
func PKCEChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
