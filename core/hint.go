package core

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// ownAssertion recognizes an id_token_hint that is, byte for byte, an assertion this VM
// signed and still keeps in its assertion cache (identity.go), or one another VM of
// this Envoy signed and still shares (store_local_assertions.go): the app sending back
// what it received, the common case. Such a hint needs no signature check, since its
// bytes are ours: the same header, payload and signature that VerifyOwn would accept.
// The payload is read before anything is verified only to name the cache entry (the
// session and client it claims); the hint is then compared with that entry's
// assertion in constant time, and its claims are used only when the two are equal.
// Shared data is read only when this VM's cache does not hold the hint. Anything
// else (an older assertion, one signed with another key, a forged or altered one)
// returns false, and the caller verifies the signature as before.
//
// On the 2-core test machine, an ES256 verification in the guest takes about 1.9 ms
// and this check some tens of microseconds (BENCHMARKS.md, "Issue 15, continued").
func (e *Engine) ownAssertion(raw string) (*assertionClaims, bool) {
	c, ok := assertionPayload(raw)
	if !ok {
		return nil, false
	}
	if cached, found := e.cachedAssertionFor(c.SID, c.Aud); found && subtle.ConstantTimeCompare([]byte(cached.token), []byte(raw)) == 1 {
		// raw is our own assertion, so c is the claims we signed.
		return &c, true
	}
	if shared := e.sharedAssertion(c.SID, c.Aud, e.now); shared != "" && subtle.ConstantTimeCompare([]byte(shared), []byte(raw)) == 1 {
		// raw is what a VM of this Envoy signed with our current key and shared.
		return &c, true
	}
	return nil, false
}

// assertionPayload reads the claims of a compact JWS without verifying anything: for
// naming a cache entry (ownAssertion), or for an assertion whose bytes are known to be
// ours (adoptable).
func assertionPayload(raw string) (assertionClaims, bool) {
	var c assertionClaims
	header, rest, ok := strings.Cut(raw, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || header == "" {
		return c, false
	}
	plain, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return c, false
	}
	if jsonx.Unmarshal(plain, &c) != nil {
		return c, false
	}
	return c, true
}
