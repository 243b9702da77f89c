package oidc

import (
	"crypto/rand"
	"encoding/base64"
)

// RandomID returns nBytes bytes from crypto/rand, base64url-encoded without padding
// (RFC 4648 §5): safe in URLs, cookies and headers as it is. 16 bytes (22 characters)
// are enough for identifiers an attacker must not guess; 32 for secrets.
//
// It panics only if the system's random number generator fails, which the Go runtime
// treats as fatal anyway, or if nBytes is negative.
func RandomID(nBytes int) string {
	b := make([]byte, nBytes)
	randomBytes(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomBytes fills b from crypto/rand.
func randomBytes(b []byte) {
	if _, err := rand.Read(b); err != nil {
		// crypto/rand.Read is documented never to return an error; should it ever, no
		// secret can be made, and carrying on would be worse than stopping.
		panic("oidc: system random number generator failed: " + err.Error())
	}
}
