// Package jose is the small, strict subset of JOSE (RFC 7515 JWS, RFC 7516 JWE, RFC 7517
// JWK, RFC 7518 algorithms) that Exeunt uses, on the standard library alone:
//
//   - compact JWS verification with RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA
//     (the algorithms a provider's ID and logout tokens may be configured with), always
//     against an allow-list given by the caller: [ParseSignedCompact], [JSONWebSignature.Verify];
//   - compact JWS signing with ES256 only (Exeunt's own assertions and logout tokens):
//     [SignES256];
//   - public JWKs of those key types, read from a provider's JWK Set and written for our own
//     keys: [ParseJWK], [MarshalPublicJWKS];
//   - compact JWE with "alg":"dir" and "enc":"A256GCM" only (what core/oidc seals cookies
//     and URL values with): [EncryptDirA256GCM], [DecryptDirA256GCM], and the same with a
//     key prepared once, [A256GCMKey] and [DecryptDir].
//
// Nothing else: no JSON serialization, no HMAC, no key wrapping, no compression, no
// embedded keys or certificate chains, no crypto/x509. It replaced github.com/go-jose/go-jose/v4
// in the built module (RATIONALE.md, "Why is JOSE hand-written in core/jose?"), which
// stays a test-only dependency: the differential tests in this package check that every
// token, key and sealed value go-jose makes is read here exactly as go-jose reads it, that
// go-jose reads what this package makes, and (in a fuzz target) that this package never
// accepts what go-jose refuses.
//
// Rules, each stricter than or equal to go-jose's (the differences are listed in
// differences_test.go and tested):
//
//   - base64url is exact: unpadded, no stray trailing bits, so every token has exactly one
//     spelling ([RFC 7515 §2]);
//   - a header is one JSON object without duplicate member names; "alg" is a string in the
//     caller's allow-list, so never "none" nor an HMAC algorithm; "kid" and "typ" are
//     strings when present; "crit" is refused (we understand no extension), and so are
//     "b64" and "zip"; the members that carry or point at keys ("jwk", "jku", "x5c",
//     "x5u") are ignored: a token is verified only with a key the caller hands over;
//   - the key must fit the algorithm: RSA of 2048 to 4096 bits for RS*/PS*, the curve of
//     ES256/384/512, Ed25519 for EdDSA; an ECDSA signature is exactly r||s of the curve's
//     size (64 bytes for ES256); points are checked to be on their curve, and low-order
//     Ed25519 keys are refused;
//   - tokens are bounded in size ([MaxCompactSize]);
//   - GCM tags are checked by crypto/cipher, in constant time.
//
// As in go-jose, ECDSA signatures are not checked for a low S: (r, s) and (r, n-s) both
// verify, as ECDSA defines. No decision in Exeunt depends on a signature's bytes being the
// only ones possible for a message.
package jose
