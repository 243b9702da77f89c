package oidc

import (
	"slices"
	"strings"

	"github.com/exeunt/exeunt/core/jose"

	"github.com/exeunt/exeunt/core/jsonx"
)

// defaultAlgorithms is the allow-list used for a provider's tokens when none is
// configured: RS256 (what every provider supports; OpenID Connect Core §15.1 makes it
// mandatory) and ES256.
var defaultAlgorithms = []string{jose.RS256, jose.ES256}

// asymmetricAlgorithms are the only algorithms a provider's token may ever be accepted
// with. "none" is absent by construction, and so are the HMAC algorithms: an HS256 token
// "signed" with a public key is the classic algorithm-confusion attack.
var asymmetricAlgorithms = []string{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// minRSABits is the smallest RSA key a provider's signature is accepted from.
const minRSABits = jose.MinRSABits

// allowList checks configured algorithm names; empty means [defaultAlgorithms]. Names
// outside the asymmetric set ("none", "HS256", typos) are a configuration mistake,
// reported with [ErrAlgorithm].
func allowList(names []string) ([]string, error) {
	if len(names) == 0 {
		names = defaultAlgorithms
	}
	for _, n := range names {
		if !slices.Contains(asymmetricAlgorithms, n) {
			return nil, errorf(ErrAlgorithm, "algorithm %s may not be allowed: only asymmetric JWS algorithms are (never none or HS*)", quote(n))
		}
	}
	return names, nil
}

// verifyWithSet verifies a parsed JWS against a provider's key set and returns its
// payload. The key is the one named by the header "kid"; without a "kid", it is the only
// key in the set usable for the token's algorithm (OpenID Connect Core §10.1: with
// several keys, a kid is required). A key is usable when its type and curve fit the
// algorithm (RSA keys of at least [minRSABits]), its "use" is empty or "sig", and its
// "alg", when set, is the token's.
func verifyWithSet(obj *jose.JSONWebSignature, keys *jose.JSONWebKeySet) ([]byte, error) {
	h := obj.Header
	alg := h.Algorithm
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
func keyUsable(k jose.JSONWebKey, alg string) bool {
	if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != alg) {
		return false
	}
	return jose.KeyFits(k.Key, alg)
}

// decodeClaims unmarshals a verified payload into dest, naming the claim when a type is
// wrong. A claims set that names a member twice is refused first: the reader would
// quietly keep the last, and a provider's library or an app may read the first.
func decodeClaims(payload []byte, dest claimsReader) error {
	if err := jose.CheckUniqueMembers(payload); err != nil {
		return errorf(ErrMalformed, "claims are not one JSON object with distinct member names: %v", err)
	}
	if err := checkExactClaimNames(payload, dest); err != nil {
		return err
	}
	if err := jsonx.Unmarshal(payload, dest); err != nil {
		if te, ok := err.(*jsonx.TypeError); ok {
			return errorf(ErrMalformed, "claim %q has the wrong type (%s)", te.Field, te.Value)
		}
		return errorf(ErrMalformed, "claims are not a JSON object of the expected shape: %v", err)
	}
	return nil
}

// checkIssuerAudience applies the two checks every token from a provider needs: iss is
// exactly the provider's issuer and aud contains our client id at that provider.
func checkIssuerAudience(iss string, aud audience, wantIssuer, clientID string) error {
	if iss != wantIssuer {
		return errorf(ErrIssuer, "iss is %s, want %s", quote(iss), quote(wantIssuer))
	}
	if !aud.Contains(clientID) {
		return errorf(ErrAudience, "aud does not contain client_id %s", quote(clientID))
	}
	return nil
}

// checkExactClaimNames refuses a claims set with a member whose name is not, but folds
// to, the name of a claim dest reads ("SUB", "Sub" or "ſub" for "sub"). dest reads names
// exactly, but encoding/json, which read them before (and which many apps and libraries
// use), matches names ignoring case, with Unicode folding: such a member (a custom claim
// whose name a user chose, say) would be read as the claim by them.
func checkExactClaimNames(payload []byte, dest claimsReader) error {
	names, err := claimMemberNames(payload)
	if err != nil {
		return errorf(ErrMalformed, "claims are not a JSON object")
	}
	for _, claim := range dest.claimNames() {
		for _, name := range names {
			if name != claim && strings.EqualFold(name, claim) {
				return errorf(ErrMalformed, "claim %s is a variant of %q: claim names are matched exactly", quote(name), claim)
			}
		}
	}
	return nil
}
