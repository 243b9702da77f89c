package core

import (
	"crypto/subtle"
	"strconv"
)

// checkDistinctKeyMaterial refuses the same key material under two kids in keys.sealing
// or keys.signing (sealing and signing are the lists' objects, in k's order). That is a
// rotation pasted wrong: the "new" key is the old one, so nothing is rotated, and once the
// old kid is removed (the rotation's last step) every cookie or token that names it is
// turned away though its material is still listed. The message names the other kid, never
// the key.
func checkDistinctKeyMaterial(k *Keys, sealing, signing []*jsonObject) error {
	for i := range k.Sealing {
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
