package oidc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// defaultAlgorithms is the allow-list used for a provider's tokens when none is
// configured: RS256 (what every provider supports; OpenID Connect Core §15.1 makes it
// mandatory) and ES256.
var defaultAlgorithms = []string{string(jose.RS256), string(jose.ES256)}

// asymmetricAlgorithms are the only algorithms a provider's token may ever be accepted
// with. "none" is absent by construction, and so are the HMAC algorithms: an HS256 token
// "signed" with a public key is the classic algorithm-confusion attack.
var asymmetricAlgorithms = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"EdDSA": jose.EdDSA,
}

// minRSABits is the smallest RSA key a provider's signature is accepted from.
const minRSABits = 2048

// allowList turns configured algorithm names into go-jose's allow-list; empty means
// [defaultAlgorithms]. Names outside the asymmetric set ("none", "HS256", typos) are a
// configuration mistake, reported with [ErrAlgorithm].
func allowList(names []string) ([]jose.SignatureAlgorithm, error) {
	if len(names) == 0 {
		names = defaultAlgorithms
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		a, ok := asymmetricAlgorithms[n]
		if !ok {
			return nil, errorf(ErrAlgorithm, "algorithm %s may not be allowed: only asymmetric JWS algorithms are (never none or HS*)", quote(n))
		}
		algs = append(algs, a)
	}
	return algs, nil
}

// verifyWithSet verifies a parsed single-signature JWS against a provider's key set and
// returns its payload. The key is the one named by the header "kid"; without a "kid",
// it is the only key in the set usable for the token's algorithm (OpenID Connect Core
// §10.1: with several keys, a kid is required). A key is usable when its type and curve
// fit the algorithm, its "use" is empty or "sig", and its "alg", when set, is the token's.
func verifyWithSet(obj *jose.JSONWebSignature, keys *jose.JSONWebKeySet) ([]byte, error) {
	h := obj.Signatures[0].Header
	alg := jose.SignatureAlgorithm(h.Algorithm)
	if keys == nil {
		return nil, errorf(ErrUnknownKey, "no provider keys")
	}
	var candidates []jose.JSONWebKey
	for _, k := range keys.Keys {
		if (h.KeyID == "" || k.KeyID == h.KeyID) && keyUsable(k, alg) {
			candidates = append(candidates, k)
		}
	}
	switch {
	case len(candidates) == 0 && h.KeyID != "":
		return nil, errorf(ErrUnknownKey, "no %s key with kid %s in the provider's key set", alg, quote(h.KeyID))
	case len(candidates) == 0:
		return nil, errorf(ErrUnknownKey, "no kid, and no %s key in the provider's key set", alg)
	case len(candidates) > 1 && h.KeyID == "":
		return nil, errorf(ErrUnknownKey, "no kid, and %d keys could have signed with %s", len(candidates), alg)
	}
	for _, k := range candidates {
		if payload, err := obj.Verify(k.Key); err == nil {
			return payload, nil
		}
	}
	return nil, errorf(ErrSignature, "%s signature with kid %s does not verify", alg, quote(h.KeyID))
}

// keyUsable reports whether k may verify a signature made with alg.
func keyUsable(k jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != string(alg)) {
		return false
	}
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		rsaAlg := strings.HasPrefix(string(alg), "RS") || strings.HasPrefix(string(alg), "PS")
		return rsaAlg && key.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return key.Curve == elliptic.P256()
		case jose.ES384:
			return key.Curve == elliptic.P384()
		case jose.ES512:
			return key.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// decodeClaims unmarshals a verified payload into dest, naming the claim when a type is
// wrong.
func decodeClaims(payload []byte, dest any) error {
	if err := json.Unmarshal(payload, dest); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return errorf(ErrMalformed, "claim %q has the wrong type (%s)", te.Field, te.Value)
		}
		return errorf(ErrMalformed, "claims are not a JSON object of the expected shape: %v", err)
	}
	return nil
}

// checkIssuerAudience applies the two checks every token from a provider needs: iss is
// exactly the provider's issuer and aud contains our client id at that provider.
func checkIssuerAudience(iss string, aud jwt.Audience, wantIssuer, clientID string) error {
	if iss != wantIssuer {
		return errorf(ErrIssuer, "iss is %s, want %s", quote(iss), quote(wantIssuer))
	}
	if !aud.Contains(clientID) {
		return errorf(ErrAudience, "aud does not contain client_id %s", quote(clientID))
	}
	return nil
}
