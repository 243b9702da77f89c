package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// The JWS algorithms this package verifies (RFC 7518 §3.3-3.5, RFC 8037 §3.1). There is
// deliberately no "none" and no HS*: a provider's token is verified with a public key,
// and an HMAC "signed" with a public key is the classic algorithm-confusion attack.
const (
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
	PS256 = "PS256"
	PS384 = "PS384"
	PS512 = "PS512"
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	EdDSA = "EdDSA"
)

// RSA key sizes accepted for RS* and PS*: at least 2048 bits (NIST SP 800-131A), at most
// 4096 (go-jose's limit, which bounds the work an untrusted key set can cause).
const (
	MinRSABits = 2048
	MaxRSABits = 4096
)

// algorithm describes one supported "alg".
type algorithm struct {
	hash    crypto.Hash
	newHash func() hash.Hash
	family  byte           // 'R' RSA PKCS #1 v1.5, 'P' RSA-PSS, 'E' ECDSA, 'D' EdDSA
	curve   elliptic.Curve // ECDSA only
	size    int            // ECDSA: bytes of r and of s
}

var algorithms = map[string]algorithm{
	RS256: {crypto.SHA256, sha256.New, 'R', nil, 0},
	RS384: {crypto.SHA384, sha512.New384, 'R', nil, 0},
	RS512: {crypto.SHA512, sha512.New, 'R', nil, 0},
	PS256: {crypto.SHA256, sha256.New, 'P', nil, 0},
	PS384: {crypto.SHA384, sha512.New384, 'P', nil, 0},
	PS512: {crypto.SHA512, sha512.New, 'P', nil, 0},
	ES256: {crypto.SHA256, sha256.New, 'E', elliptic.P256(), 32},
	ES384: {crypto.SHA384, sha512.New384, 'E', elliptic.P384(), 48},
	ES512: {crypto.SHA512, sha512.New, 'E', elliptic.P521(), 66},
	EdDSA: {0, nil, 'D', nil, 0},
}

// Supported reports whether this package can verify alg.
func Supported(alg string) bool {
	_, ok := algorithms[alg]
	return ok
}

// KeyFits reports whether key (*rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey) may
// verify a signature made with alg: RSA of [MinRSABits] to [MaxRSABits] for RS*/PS*, the
// algorithm's curve for ES*, Ed25519 for EdDSA.
func KeyFits(key any, alg string) bool {
	a, ok := algorithms[alg]
	if !ok {
		return false
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		return (a.family == 'R' || a.family == 'P') && k != nil && k.N != nil &&
			k.N.BitLen() >= MinRSABits && k.N.BitLen() <= MaxRSABits
	case *ecdsa.PublicKey:
		return a.family == 'E' && k != nil && k.Curve == a.curve
	case ed25519.PublicKey:
		return a.family == 'D' && len(k) == ed25519.PublicKeySize
	}
	return false
}
