package core

import (
	"bytes"
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
	// The common case first: the hint is the assertion this VM caches for the session
	// and client its payload names, found without decoding the payload's JSON, and
	// answered with the claims decoded when it was cached (BENCHMARKS.md, "Issue 15: the
	// sign-out's own work, profiled again"). What the names are read for is only which
	// entry to compare with: a hint that is not that entry's bytes, in constant time,
	// goes the whole way below, as before.
	if sid, aud, ok := hintEntryNames(raw); ok {
		if cached, found := e.cachedAssertionFor(sid, aud); found && cached.claims != nil &&
			subtle.ConstantTimeCompare([]byte(cached.token), []byte(raw)) == 1 {
			c := *cached.claims // a copy: the cached claims stay as decoded
			return &c, true
		}
	}
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

// hintEntryNames reads the "sid" and "aud" members of a compact JWS's payload as the
// assertions Exeunt signs spell them ("sid":"...", no escapes), without decoding the JSON:
// only to name the cache entry ownAssertion compares the whole hint with. ok is false
// when either is not found in that spelling (escaped, absent, not a string); a wrong pair
// names an entry whose bytes the hint is not, and the hint then goes the way every other
// one goes.
func hintEntryNames(raw string) (sid, aud string, ok bool) {
	header, rest, ok := strings.Cut(raw, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || header == "" || len(payload) > maxHintPayload {
		return "", "", false
	}
	var buf [maxHintPayload * 3 / 4]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(payload))
	if err != nil {
		return "", "", false
	}
	plain := buf[:n]
	sid, ok = plainMember(plain, `"sid":"`)
	if !ok {
		return "", "", false
	}
	aud, ok = plainMember(plain, `"aud":"`)
	return sid, aud, ok
}

// maxHintPayload bounds the payload hintEntryNames decodes on the stack (base64url
// characters); an assertion's is a few hundred, a longer one goes the whole way.
const maxHintPayload = 2048

// plainMember is the string after the first occurrence of prefix in doc, up to the next
// quote, when it holds no backslash (an escape would make the decoded value differ).
func plainMember(doc []byte, prefix string) (string, bool) {
	i := bytes.Index(doc, []byte(prefix))
	if i < 0 {
		return "", false
	}
	v := doc[i+len(prefix):]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 {
		return "", false
	}
	return string(v[:j]), true
}
