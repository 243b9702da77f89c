package oidc

import (
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Back-Channel Logout 1.0 §2.6 (SPEC-MUSTS.md, "as a receiver"): iat and exp are checked
// with a small leeway for clock skew: inside it a token passes, past it it does not.
func TestSpecLogoutTokenTimesWithLeeway(t *testing.T) {
	k := keys(t)
	set := providerJWKS(t)
	v := &LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Leeway: 10 * time.Second}
	for _, tt := range []struct {
		name     string
		iat, exp time.Duration // from testNow
		want     error
	}{
		{"iat a little ahead (skew)", 8 * time.Second, 2 * time.Minute, nil},
		{"exp a little past (skew)", -2 * time.Minute, -8 * time.Second, nil},
		{"iat ahead past the leeway", 12 * time.Second, 2 * time.Minute, ErrIssuedAt},
		{"exp past the leeway", -2 * time.Minute, -12 * time.Second, ErrExpired},
	} {
		raw := sign(t, jose.RS256, k.rsa, "rsa-1", "logout+jwt", with(logoutClaims(),
			"iat", testNow.Add(tt.iat).Unix(), "exp", testNow.Add(tt.exp).Unix()))
		if _, err := v.Verify(raw, set, testNow); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
