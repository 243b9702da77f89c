// Package oidc holds the token and protocol primitives Exeunt needs on both of its sides:
// as a relying party towards upstream OpenID Connect providers, and as the session
// authority that issues assertions and logout tokens to the apps behind Envoy.
//
// It is sans-IO like the rest of core: it never reads the network, files or clocks. Every
// document it parses is handed to it as bytes, and every check that depends on time takes
// "now" as a parameter. Randomness comes from crypto/rand.
//
// What it implements, and where the rules come from:
//
//   - [NewPKCE], [PKCEChallenge]: RFC 7636 §4.1-4.2, "code_challenge =
//     BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))", with a 32-byte random verifier
//     (43 characters, as §4.1 recommends).
//   - [Sealer]: protected data for cookies and URLs (sessions, sign-in state, logoutIds):
//     JWE (RFC 7516) compact serialization, "alg":"dir", "enc":"A256GCM", with the key id,
//     the purpose and the expiry in the integrity-protected header, so a value sealed for
//     one purpose can never be opened as another, and keys rotate by "kid".
//   - [Signer]: Exeunt's own ES256 JWS (RFC 7515, RFC 7518 §3.4) assertions and logout
//     tokens, and the public JWK Set (RFC 7517 §5) apps verify them with.
//   - [ParseDiscovery]: OpenID Connect Discovery 1.0 §4.3, "The issuer value returned MUST
//     be identical to the Issuer URL that was used as the prefix to /.well-known/
//     openid-configuration to retrieve the configuration information."
//   - [ParseJWKS]: a provider's JWK Set; RFC 7517 §5 "Implementations SHOULD ignore JWKs
//     within a JWK Set that use "kty" (key type) values that are not understood by them",
//     and a provider must never publish private or symmetric keys.
//   - [IDTokenVerifier]: OpenID Connect Core 1.0 §3.1.3.7, ID Token Validation: the
//     issuer "MUST exactly match", the audience "MUST contain the client_id", "If the ID
//     Token contains multiple audiences, the Client SHOULD verify that an azp Claim is
//     present" (we require it), "If an azp (authorized party) Claim is present, the Client
//     SHOULD verify that its client_id is the Claim Value" (we require it), "The current
//     time MUST be before the time represented by the exp Claim", iat checked against the
//     clock, and "The value of the nonce Claim MUST be checked to verify that it is the
//     same value as the one that was sent in the Authentication Request."
//   - [NewLogoutTokenClaims], [LogoutTokenVerifier]: OpenID Connect Back-Channel Logout
//     1.0 §2.4 (the logout token: iss, aud, iat, exp, jti, events with the member
//     "http://schemas.openid.net/event/backchannel-logout", sub and/or sid, and "A nonce
//     Claim MUST NOT be present") and §2.6 (its validation by a receiver, including the
//     explicit "typ" "logout+jwt" of §2.4 when present).
//
// Limits, stated once: the verifiers do not remember anything. Replay protection of
// logout tokens (jti), of authorization codes and of nonces belongs to the caller, who has
// the store. [Signer.VerifyOwn] checks signature, key and type only: expiry and claims are
// the caller's, because RP-Initiated Logout accepts an expired id_token_hint.
//
// Every failure to open, parse or verify wraps one of the Err* sentinels of this package,
// for errors.Is, and says what is wrong without repeating secrets or whole tokens.
package oidc
