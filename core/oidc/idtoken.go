package oidc

import (
	"crypto/subtle"
	"time"

	"github.com/exeunt/exeunt/core/jose"
)

// IDTokenVerifier validates ID tokens from one provider, as OpenID Connect Core 1.0
// §3.1.3.7 prescribes for the authorization code flow. It holds no state and is safe for
// concurrent use.
type IDTokenVerifier struct {
	// Issuer is the provider's issuer identifier; "iss" must equal it exactly.
	Issuer string
	// ClientID is our client_id at the provider; "aud" must contain it.
	ClientID string
	// Algorithms is the allow-list of "alg" values; empty means RS256 and ES256. Only
	// asymmetric algorithms may be listed (RS*, PS*, ES*, EdDSA): "none" and HS* are
	// refused with [ErrAlgorithm].
	Algorithms []string
	// Leeway is the clock skew tolerated on "exp" and "iat".
	Leeway time.Duration
}

// IDToken is a validated ID token: the claims Exeunt uses, and the token itself (kept for
// a later id_token_hint at the provider).
type IDToken struct {
	Issuer          string    // iss
	Subject         string    // sub
	Audience        []string  // aud
	AuthorizedParty string    // azp, when present
	Nonce           string    // nonce
	SID             string    // sid: the provider's session, for its front- and back-channel logout
	Email           string    // email, when present
	Name            string    // name, when present
	EmailVerified   bool      // email_verified (a boolean, or the strings "true"/"false" some providers send)
	IssuedAt        time.Time // iat
	Expiry          time.Time // exp
	AuthTime        time.Time // auth_time; zero when absent
	// Raw is the token as received.
	Raw string
	// Claims is the verified claims set as JSON, for claims not copied above.
	Claims []byte
}

// idTokenClaims is the JSON shape of the claims Verify reads.
type idTokenClaims struct {
	Issuer          string       `json:"iss"`
	Subject         string       `json:"sub"`
	Audience        audience     `json:"aud"`
	AuthorizedParty string       `json:"azp"`
	Nonce           string       `json:"nonce"`
	SID             string       `json:"sid"`
	Email           string       `json:"email"`
	Name            string       `json:"name"`
	EmailVerified   flexBool     `json:"email_verified"`
	IssuedAt        *numericDate `json:"iat"`
	Expiry          *numericDate `json:"exp"`
	AuthTime        *numericDate `json:"auth_time"`
}

// Verify validates raw, an ID token received from the token endpoint, against the
// provider's keys, the nonce sent in the authentication request and the time now:
//
//  1. "alg" is in the allow-list ([ErrAlgorithm]); "typ", when present, is not that of
//     another kind of JWT such as a logout token ([ErrType]);
//  2. the key is the one named by "kid", or the only usable one without a "kid"
//     ([ErrUnknownKey]), and the signature verifies ([ErrSignature]);
//  3. "iss" equals Issuer exactly ([ErrIssuer]);
//  4. "aud" contains ClientID ([ErrAudience]); with several audiences "azp" is required,
//     and when present "azp" equals ClientID ([ErrAuthorizedParty]);
//  5. "exp" is present ([ErrClaims]) and now is before exp+Leeway ([ErrExpired]);
//  6. "iat" is present and not after now+Leeway ([ErrIssuedAt]);
//  7. "nonce" equals nonce, compared in constant time ([ErrNonce]; an empty nonce is a
//     caller's mistake and fails too);
//  8. "sub" is not empty ([ErrSubject]).
//
// A claim of the wrong JSON type fails with [ErrMalformed], a verifier without Issuer
// or ClientID with [ErrIssuer]. Verify does not remember nonces or codes: single use is
// the caller's business.
func (v *IDTokenVerifier) Verify(raw string, keys *jose.JSONWebKeySet, nonce string, now time.Time) (*IDToken, error) {
	algs, err := allowList(v.Algorithms)
	if err != nil {
		return nil, err
	}
	if v.Issuer == "" || v.ClientID == "" {
		return nil, errorf(ErrIssuer, "verifier is not configured: Issuer and ClientID are required")
	}
	if nonce == "" {
		return nil, errorf(ErrNonce, "no expected nonce given: the authentication request must send one")
	}
	obj, err := parseJWS(raw, algs)
	if err != nil {
		return nil, err
	}
	if typ := obj.Header.Type; typeIs(typ, "logout+jwt") || typeIs(typ, "at+jwt") {
		return nil, errorf(ErrType, "typ %s is not an ID token", quote(typ))
	}
	payload, err := verifyWithSet(obj, keys)
	if err != nil {
		return nil, err
	}
	var c idTokenClaims
	if err := decodeClaims(payload, &c); err != nil {
		return nil, err
	}
	if err := checkIssuerAudience(c.Issuer, c.Audience, v.Issuer, v.ClientID); err != nil {
		return nil, err
	}
	if len(c.Audience) > 1 && c.AuthorizedParty == "" {
		return nil, errorf(ErrAuthorizedParty, "aud has %d values and azp is missing", len(c.Audience))
	}
	if c.AuthorizedParty != "" && c.AuthorizedParty != v.ClientID {
		return nil, errorf(ErrAuthorizedParty, "azp is %s, want client_id %s", quote(c.AuthorizedParty), quote(v.ClientID))
	}
	if err := checkTimes(c.IssuedAt, c.Expiry, now, v.Leeway); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1 {
		if c.Nonce == "" {
			return nil, errorf(ErrNonce, "nonce is missing")
		}
		return nil, errorf(ErrNonce, "nonce does not match the one sent")
	}
	if c.Subject == "" {
		return nil, errorf(ErrSubject, "sub is missing")
	}
	return &IDToken{
		Issuer:          c.Issuer,
		Subject:         c.Subject,
		Audience:        []string(c.Audience),
		AuthorizedParty: c.AuthorizedParty,
		Nonce:           c.Nonce,
		SID:             c.SID,
		Email:           c.Email,
		Name:            c.Name,
		EmailVerified:   bool(c.EmailVerified),
		IssuedAt:        c.IssuedAt.Time(),
		Expiry:          c.Expiry.Time(),
		AuthTime:        c.AuthTime.Time(),
		Raw:             raw,
		Claims:          payload,
	}, nil
}

// checkTimes applies the rules shared by ID and logout tokens: "exp" and "iat" are both
// required, the token is not expired at now, and it was not issued after now, each with
// leeway for clock skew.
func checkTimes(iat, exp *numericDate, now time.Time, leeway time.Duration) error {
	leeway = max(leeway, 0)
	if exp == nil {
		return errorf(ErrClaims, "exp is missing")
	}
	if !now.Before(exp.Time().Add(leeway)) {
		return errorf(ErrExpired, "exp %s is past (now %s, leeway %s)", stamp(exp.Time()), stamp(now), leeway)
	}
	if iat == nil {
		return errorf(ErrIssuedAt, "iat is missing")
	}
	if iat.Time().After(now.Add(leeway)) {
		return errorf(ErrIssuedAt, "iat %s is in the future (now %s, leeway %s)", stamp(iat.Time()), stamp(now), leeway)
	}
	return nil
}

// stamp formats a time for an error message.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// flexBool is a JSON boolean that also accepts the strings "true" and "false", as some
// providers send email_verified (its decode method, json.go).
type flexBool bool
