package core

import (
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// Signed identity assertions shared by the VMs of one Envoy (identity.go, hint.go).
// Envoy runs one VM per worker thread, and a browser's requests meet them in turn: an
// assertion one VM signed is adopted by the others instead of signed again (an ES256
// signature in the guest costs 1-2 ms), and an id_token_hint that is byte for byte the
// shared assertion is recognized without verifying its signature (another 2 ms and
// more), as one the VM cached itself is. See RATIONALE.md, "Assertions shared between
// the VMs of one Envoy".
//
// Not a store port: whichever backend keeps sign-outs, this is a cache of one Envoy,
// always in its shared data (like provider metadata), and losing it costs only time.
// Shared data is trusted as it is for revocations, session records and the generated
// dev keys (which sit there whole): only this filter's VMs write it. What it holds is
// sent to apps anyway, a bearer credential for them, never a secret of Exeunt's.
//
// The key space's prefix and bucket count must not change between releases (see
// store_local.go). Bounded: 256 buckets of at most 8 KiB, so 2 MiB in all; an assertion
// longer than maxSharedAssertionBytes is not shared (its VM keeps it, as before), so
// that no single entry passes a bucket's bound. Each entry expires with its assertion,
// and every write to a bucket drops the expired ones; a full bucket drops the entries
// that expire soonest (expiringMap.bounded).
var sharedAssertions = func() expiringMap {
	m := newExpiringMap("exeunt/assertion/", 256)
	m.maxBucketBytes = 8 << 10
	return m
}()

// maxSharedAssertionBytes: an assertion carries a name and an email; a few hundred
// bytes is usual, and 4 KiB leaves a bucket room for another entry.
const maxSharedAssertionBytes = 4 << 10

// signerID names the key that signs assertions (the first signing key): its kid and
// its public point, hashed. It is part of every shared entry's id, so that an
// assertion signed with another key (before a rotation, or by another filter
// configuration sharing this Envoy's shared data) is never found: not adopted, and a
// hint equal to it is verified in full.
func signerID(k oidc.SigningKey) ([32]byte, error) {
	point, err := k.Key.PublicKey.Bytes()
	if err != nil {
		return [32]byte{}, err
	}
	b := append([]byte(k.KID), 0)
	return sha256.Sum256(append(b, point...)), nil
}

// sharedAssertionID is the entry's id for a session and client under the current
// signing key: a hash, since a hint's sid and aud are anyone's bytes and an id may
// hold neither a space nor a newline. A collision would only meet an entry whose
// claims are checked on adoption (adoptable) and whose bytes must equal a hint's.
func (e *Engine) sharedAssertionID(sid, client string) string {
	b := make([]byte, 0, len(e.keys.signerID)+len(sid)+len(client)+2)
	b = append(b, e.keys.signerID[:]...)
	b = append(append(b, 0), sid...)
	b = append(append(b, 0), client...)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// sharedAssertion returns the live assertion shared for sid and client under the
// current signing key, or "" when there is none (or shared data cannot be read: then
// the caller signs or verifies, as without sharing).
func (e *Engine) sharedAssertion(sid, client string, now time.Time) string {
	tok, found, err := sharedAssertions.get(e.store, e.sharedAssertionID(sid, client), now)
	if err != nil || !found {
		return ""
	}
	return tok
}

// shareAssertion publishes an assertion this VM signed, until it expires, replacing
// the entry of the same session and client. A failed write is not an error: the other
// VMs then sign their own, as they did before sharing.
func (e *Engine) shareAssertion(sid, client, tok string, exp, now time.Time) {
	if len(tok) > maxSharedAssertionBytes {
		return
	}
	_ = sharedAssertions.put(e.store, e.sharedAssertionID(sid, client), tok, exp, now)
}
