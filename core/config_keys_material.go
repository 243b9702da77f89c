package core

import (
	"crypto/subtle"
	"strconv"
)

// checkKeyMaterial refuses, in keys.sealing and keys.signing (sealing and signing are the
// lists' objects, in k's order), what the keys' own checks at the engine's start
// (oidc.NewSealer) would refuse without naming a field, and what they cannot see:
//
//   - a sealing secret of 32 zero bytes, a placeholder left in;
//   - the same key material under two kids: a rotation pasted wrong, where the "new" key is
//     the old one, so nothing is rotated, and once the old kid is removed (the rotation's
//     last step) every cookie or token that names it is turned away though its material is
//     still listed.
//
// The messages name the field and the other kid, never the key.
func checkKeyMaterial(k *Keys, sealing, signing []*jsonObject) error {
	for i := range k.Sealing {
		if subtle.ConstantTimeCompare(k.Sealing[i].Secret, make([]byte, len(k.Sealing[i].Secret))) == 1 {
			return sealing[i].fieldError("secret", "is all zero bytes, a placeholder: use 32 random bytes; "+generateSecretHint)
		}
		for _, earlier := range k.Sealing[:i] {
			// Secrets are compared in constant time, as every secret is.
			if subtle.ConstantTimeCompare(earlier.Secret, k.Sealing[i].Secret) == 1 {
				return sealing[i].fieldError("secret", "is the same secret as the sealing key "+strconv.Quote(earlier.KID)+
					": a new key needs a new secret (a rotation that reuses the old one rotates nothing); "+generateSecretHint)
			}
		}
	}
	for i := range k.Signing {
		for _, earlier := range k.Signing[:i] {
			if earlier.Key.PublicKey.Equal(&k.Signing[i].Key.PublicKey) {
				return signing[i].fieldError("private_key_pem", "is the same key as the signing key "+strconv.Quote(earlier.KID)+
					": a new key needs new key material (a rotation that reuses the old one rotates nothing); "+generateKeyHint)
			}
		}
	}
	return nil
}
