package oidc

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	cjose "github.com/exeunt/exeunt/core/jose"
)

// idClaims are the claims of a valid ID token at testNow.
func idClaims() map[string]any {
	return map[string]any{
		"iss":            testIssuer,
		"sub":            "248289761001",
		"aud":            testClientID,
		"nonce":          testNonce,
		"iat":            testNow.Add(-time.Minute).Unix(),
		"exp":            testNow.Add(time.Hour).Unix(),
		"auth_time":      testNow.Add(-2 * time.Minute).Unix(),
		"sid":            "provider-session-1",
		"email":          "alice@example.com",
		"email_verified": true,
		"name":           "Alice",
	}
}

func idVerifier() *IDTokenVerifier {
	return &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Leeway: 30 * time.Second}
}

func TestVerifyIDTokenValid(t *testing.T) {
	k := keys(t)
	raw := sign(t, jose.RS256, k.rsa, "rsa-1", "JWT", idClaims())
	tok, err := idVerifier().Verify(raw, providerJWKS(t), testNonce, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := IDToken{
		Issuer: testIssuer, Subject: "248289761001", Audience: []string{testClientID},
		Nonce: testNonce, SID: "provider-session-1", Email: "alice@example.com", Name: "Alice",
		EmailVerified: true,
		IssuedAt:      time.Unix(testNow.Add(-time.Minute).Unix(), 0),
		Expiry:        time.Unix(testNow.Add(time.Hour).Unix(), 0),
		AuthTime:      time.Unix(testNow.Add(-2*time.Minute).Unix(), 0),
		Raw:           raw,
	}
	got := *tok
	var claims map[string]any
	if err := json.Unmarshal(got.Claims, &claims); err != nil || claims["sub"] != "248289761001" {
		t.Errorf("Claims = %s", got.Claims)
	}
	got.Claims = nil
	if got.Issuer != want.Issuer || got.Subject != want.Subject || strings.Join(got.Audience, ",") != testClientID ||
		got.Nonce != want.Nonce || got.SID != want.SID || got.Email != want.Email || got.Name != want.Name ||
		got.EmailVerified != want.EmailVerified || !got.IssuedAt.Equal(want.IssuedAt) ||
		!got.Expiry.Equal(want.Expiry) || !got.AuthTime.Equal(want.AuthTime) || got.Raw != want.Raw || got.AuthorizedParty != "" {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestVerifyIDToken(t *testing.T) {
	k := keys(t)
	set := providerJWKS(t)
	good := sign(t, jose.RS256, k.rsa, "rsa-1", "JWT", idClaims())
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey))})
	claims := idClaims()
	future := testNow.Add(time.Hour).Unix()

	tests := []struct {
		name     string
		verifier *IDTokenVerifier
		keys     *cjose.JSONWebKeySet
		nilKeys  bool
		raw      string
		nonce    string
		want     error
	}{
		// Accepted.
		{name: "RS256 with kid", raw: good},
		{name: "ES256 with kid", raw: sign(t, jose.ES256, k.ec, "ec-1", "", claims)},
		{name: "old key, second in the set", raw: sign(t, jose.RS256, k.rsaOld, "rsa-0", "", claims)},
		{name: "no kid, one usable ES256 key", raw: sign(t, jose.ES256, k.ec, "", "", claims)},
		{name: "no typ", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", claims)},
		{name: "several audiences with azp", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", []string{"other", testClientID}, "azp", testClientID))},
		{name: "one audience as an array", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", []string{testClientID}))},
		{name: "azp equal to client_id", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "azp", testClientID))},
		{name: "expired within leeway", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", testNow.Add(-20*time.Second).Unix()))},
		{name: "iat ahead within leeway", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iat", testNow.Add(20*time.Second).Unix()))},
		{name: "fractional times", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", float64(future)+0.5))},
		{name: "email_verified as a string", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "email_verified", "true"))},
		{name: "ES256 only, configured", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"ES256"}}, raw: sign(t, jose.ES256, k.ec, "ec-1", "", claims)},
		{name: "PS256 configured", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"PS256"}}, raw: sign(t, jose.PS256, k.rsaOld, "rsa-0", "", claims)},

		// Algorithm.
		{name: "alg none, crafted by hand", raw: unsigned(t, map[string]any{"alg": "none", "kid": "rsa-1"}, claims), want: ErrAlgorithm},
		{name: "alg none, no kid", raw: unsigned(t, map[string]any{"alg": "none"}, claims), want: ErrAlgorithm},
		{name: "alg NONE", raw: unsigned(t, map[string]any{"alg": "NONE"}, claims), want: ErrAlgorithm},
		{name: "HS256 keyed with the provider's public key", raw: sign(t, jose.HS256, rsaPubPEM, "rsa-1", "", claims), want: ErrAlgorithm},
		{name: "RS384 not allowed by default", raw: sign(t, jose.RS384, k.rsa, "rsa-1", "", claims), want: ErrAlgorithm},
		{name: "RS256 not configured", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"ES256"}}, raw: good, want: ErrAlgorithm},
		{name: "none configured", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"none"}}, raw: good, want: ErrAlgorithm},
		{name: "HS256 configured", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"RS256", "HS256"}}, raw: good, want: ErrAlgorithm},

		// Key selection and signature.
		{name: "unknown kid", raw: sign(t, jose.RS256, k.rsa, "rsa-9", "", claims), want: ErrUnknownKey},
		{name: "kid of an EC key on an RS256 token", raw: sign(t, jose.RS256, k.rsa, "ec-1", "", claims), want: ErrUnknownKey},
		{name: "kid of an RS256-only key on a PS256 token", verifier: &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"PS256"}}, raw: sign(t, jose.PS256, k.rsa, "rsa-1", "", claims), want: ErrUnknownKey},
		{name: "no kid, two usable RSA keys", raw: sign(t, jose.RS256, k.rsa, "", "", claims), want: ErrUnknownKey},
		{name: "no keys", keys: &cjose.JSONWebKeySet{}, raw: good, want: ErrUnknownKey},
		{name: "only an encryption key", keys: &cjose.JSONWebKeySet{Keys: []cjose.JSONWebKey{{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Use: "enc"}}}, raw: good, want: ErrUnknownKey},
		{name: "weak RSA key", keys: &cjose.JSONWebKeySet{Keys: []cjose.JSONWebKey{{Key: &k.rsaWeak.PublicKey, KeyID: "weak"}}}, raw: sign(t, jose.RS256, k.rsaWeak, "weak", "", claims), want: ErrUnknownKey},
		{name: "attacker's key embedded in the header", raw: signEmbedded(t, k.rsaOther, claims), want: ErrUnknownKey},
		{name: "right kid, attacker's key", raw: sign(t, jose.RS256, k.rsaOther, "rsa-1", "", claims), want: ErrSignature},
		{name: "no kid, attacker's EC key", raw: sign(t, jose.ES256, k.ecOther, "", "", claims), want: ErrSignature},
		{name: "tampered payload", raw: tamper(good, 1), want: ErrSignature},
		{name: "tampered signature", raw: tamper(good, 2), want: ErrSignature},
		{name: "signature removed", raw: good[:strings.LastIndex(good, ".")+1], want: ErrSignature},
		{name: "not a JWS", raw: "eyJhbGciOiJSUzI1NiJ9", want: ErrMalformed},
		{name: "a JWE", raw: "a.b.c.d.e", want: ErrMalformed},
		{name: "empty", raw: "", want: ErrMalformed},

		// Type.
		{name: "a logout token", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "logout+jwt", claims), want: ErrType},
		{name: "an access token", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "at+jwt", claims), want: ErrType},

		// Claims.
		{name: "wrong iss", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iss", "https://evil.example")), want: ErrIssuer},
		{name: "iss with a trailing slash", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iss", testIssuer+"/")), want: ErrIssuer},
		{name: "iss missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iss", nil)), want: ErrIssuer},
		{name: "wrong aud", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", "another-app")), want: ErrAudience},
		{name: "aud missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", nil)), want: ErrAudience},
		{name: "aud a prefix of client_id", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", "exeunt")), want: ErrAudience},
		{name: "several audiences without azp", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", []string{testClientID, "other"})), want: ErrAuthorizedParty},
		{name: "several audiences, azp another", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", []string{testClientID, "other"}, "azp", "other")), want: ErrAuthorizedParty},
		{name: "one audience, azp another", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "azp", "other")), want: ErrAuthorizedParty},
		{name: "expired", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", testNow.Add(-time.Minute).Unix())), want: ErrExpired},
		{name: "expired exactly at leeway", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", testNow.Add(-30*time.Second).Unix())), want: ErrExpired},
		{name: "exp missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", nil)), want: ErrClaims},
		{name: "iat in the future", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iat", testNow.Add(time.Minute).Unix())), want: ErrIssuedAt},
		{name: "iat missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "iat", nil)), want: ErrIssuedAt},
		{name: "wrong nonce", raw: good, nonce: "another-nonce", want: ErrNonce},
		{name: "nonce a prefix", raw: good, nonce: testNonce[:4], want: ErrNonce},
		{name: "nonce missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "nonce", nil)), want: ErrNonce},
		{name: "no nonce expected", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "nonce", nil)), nonce: "-", want: ErrNonce},
		{name: "sub missing", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "sub", nil)), want: ErrSubject},
		{name: "sub empty", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "sub", "")), want: ErrSubject},
		{name: "exp a string", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", "tomorrow")), want: ErrMalformed},
		{name: "exp out of range", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "exp", 1e300)), want: ErrMalformed},
		{name: "sub a number", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "sub", 42)), want: ErrMalformed},
		{name: "aud a number", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "aud", 42)), want: ErrMalformed},
		{name: "email_verified a number", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", with(claims, "email_verified", 1)), want: ErrMalformed},
		{name: "payload not an object", raw: sign(t, jose.RS256, k.rsa, "rsa-1", "", []string{"iss"}), want: ErrMalformed},

		// Configuration.
		{name: "no issuer configured", verifier: &IDTokenVerifier{ClientID: testClientID}, raw: good, want: ErrIssuer},
		{name: "no client_id configured", verifier: &IDTokenVerifier{Issuer: testIssuer}, raw: good, want: ErrIssuer},
		{name: "nil key set", nilKeys: true, raw: good, want: ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.verifier
			if v == nil {
				v = idVerifier()
			}
			ks := tt.keys
			if ks == nil && !tt.nilKeys {
				ks = set
			}
			nonce := tt.nonce
			switch nonce {
			case "":
				nonce = testNonce
			case "-":
				nonce = ""
			}
			tok, err := v.Verify(tt.raw, ks, nonce, testNow)
			wantErr(t, err, tt.want, tt.raw, testNonce, nonce)
			if tt.want != nil && tok != nil {
				t.Error("a token returned with an error")
			}
		})
	}
}

// TestVerifyIDTokenLeewayDefaultsToZero: without Leeway, a token is expired at exp.
func TestVerifyIDTokenLeewayDefaultsToZero(t *testing.T) {
	k := keys(t)
	v := &IDTokenVerifier{Issuer: testIssuer, ClientID: testClientID}
	raw := sign(t, jose.RS256, k.rsa, "rsa-1", "", with(idClaims(), "exp", testNow.Unix()))
	_, err := v.Verify(raw, providerJWKS(t), testNonce, testNow)
	wantErr(t, err, ErrExpired)
	_, err = v.Verify(raw, providerJWKS(t), testNonce, testNow.Add(-time.Second))
	wantErr(t, err, nil)
}

// signEmbedded signs with the attacker's key and embeds its public key in the "jwk"
// header: a verifier that trusted it would accept anything.
func signEmbedded(t *testing.T, key *rsa.PrivateKey, claims any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, &jose.SignerOptions{EmbedJWK: true})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(must(base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[0]))), `"jwk"`) {
		t.Fatal("no jwk header")
	}
	return s
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkVerifyIDTokenRS256(b *testing.B) {
	k := keys(b)
	raw := sign(b, jose.RS256, k.rsa, "rsa-1", "JWT", idClaims())
	set := providerJWKS(b)
	v := idVerifier()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(raw, set, testNonce, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// encoding/json fills a field from any member whose name equals the field's tag
// ignoring case (Unicode folding: "SUB", "Sub", and "ſub" with U+017F all fill "sub"),
// the last one winning. A claims set that also carries such a variant of a claim Exeunt
// reads would have that claim read from a member the provider did not mean as it
// (a custom claim a user can name, say): it is refused, as a repeated name is.
func TestClaimNamesAreMatchedExactly(t *testing.T) {
	k := keys(t)
	v := idVerifier()
	for name, claims := range map[string]map[string]any{
		"sub then a folded variant": with(idClaims(), "ſub", "victim"),
		"sid then a folded variant": with(idClaims(), "ſid", "someone-elses-session"),
		"only an upper-case SUB":    with(with(idClaims(), "sub", nil), "SUB", "victim"),
		"Nonce beside nonce":        with(idClaims(), "Nonce", "x"),
	} {
		tok, err := v.Verify(sign(t, jose.RS256, k.rsa, "rsa-1", "JWT", claims), providerJWKS(t), testNonce, testNow)
		if err == nil {
			t.Errorf("%s: accepted, sub %q sid %q", name, tok.Subject, tok.SID)
		}
	}
	lv := &LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Leeway: 30 * time.Second}
	if tok, err := lv.Verify(sign(t, jose.RS256, k.rsa, "rsa-1", "logout+jwt", with(logoutClaims(), "ſid", "x")), providerJWKS(t), testNow); err == nil {
		t.Errorf("logout token with a folded sid accepted, sid %q", tok.SID)
	}
	// Other claims, whatever their case, are not read and do not matter.
	if _, err := v.Verify(sign(t, jose.RS256, k.rsa, "rsa-1", "JWT", with(idClaims(), "Groups", []string{"a"}, "groups", []string{"b"})), providerJWKS(t), testNonce, testNow); err != nil {
		t.Errorf("claims not read by Exeunt: %v", err)
	}
}
