package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	cjose "github.com/exeunt/exeunt/core/jose"
)

func signingKey(t testing.TB, kid string) SigningKey {
	t.Helper()
	k, err := GenerateSigningKey(kid)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSigner(t testing.TB, keys ...SigningKey) *Signer {
	t.Helper()
	s, err := NewSigner(keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jwsHeader decodes the header of a compact JWS.
func jwsHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSignVerifyOwn(t *testing.T) {
	cur, old := signingKey(t, "sig-2"), signingKey(t, "sig-1")
	s := newSigner(t, cur, old)
	claims := map[string]any{"iss": "https://edge.example", "sub": "alice", "exp": 1}
	token, err := s.Sign("JWT", claims)
	if err != nil {
		t.Fatal(err)
	}
	h := jwsHeader(t, token)
	for k, v := range map[string]any{"alg": "ES256", "kid": "sig-2", "typ": "JWT"} {
		if h[k] != v {
			t.Errorf("header %q = %v, want %v", k, h[k], v)
		}
	}
	payload, err := s.VerifyOwn(token, "JWT")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil || got["sub"] != "alice" {
		t.Errorf("payload = %s", payload)
	}
	// An expired token still verifies: expiry is the caller's decision.
	if _, err := s.VerifyOwn(token, ""); err != nil {
		t.Errorf("VerifyOwn checks more than signature and type: %v", err)
	}
}

func TestVerifyOwnKeyRotation(t *testing.T) {
	old, cur := signingKey(t, "2025"), signingKey(t, "2026")
	token, err := newSigner(t, old).Sign("JWT", map[string]any{"sub": "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSigner(t, cur, old).VerifyOwn(token, "JWT"); err != nil {
		t.Errorf("a token signed with the old key (now second) does not verify: %v", err)
	}
	_, err = newSigner(t, cur).VerifyOwn(token, "JWT")
	wantErr(t, err, ErrUnknownKey)
}

func TestVerifyOwnRejects(t *testing.T) {
	key := signingKey(t, "sig-1")
	s := newSigner(t, key)
	claims := map[string]any{"iss": "https://edge.example", "sub": "alice"}
	good, err := s.Sign("JWT", claims)
	if err != nil {
		t.Fatal(err)
	}
	logout, _ := s.Sign(LogoutTokenType, claims)
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pub, _ := json.Marshal(jose.JSONWebKey{Key: &key.Key.PublicKey})

	tests := []struct {
		name    string
		token   string
		wantTyp string
		want    error
	}{
		{"valid", good, "JWT", nil},
		{"valid, typ not checked", logout, "", nil},
		{"typ logout+jwt", logout, LogoutTokenType, nil},
		{"typ compared ignoring case and application/", logout, "application/Logout+JWT", nil},
		{"wrong typ", good, LogoutTokenType, ErrType},
		{"alg none, crafted by hand", unsigned(t, map[string]any{"alg": "none", "kid": "sig-1", "typ": "JWT"}, claims), "JWT", ErrAlgorithm},
		{"alg none, signature kept", strings.Join(append(strings.Split(unsigned(t, map[string]any{"alg": "none", "kid": "sig-1"}, claims), ".")[:2], strings.Split(good, ".")[2]), "."), "", ErrAlgorithm},
		{"HS256 keyed with our public key", sign(t, jose.HS256, pub, "sig-1", "JWT", claims), "JWT", ErrAlgorithm},
		{"RS256", sign(t, jose.RS256, keys(t).rsa, "sig-1", "JWT", claims), "JWT", ErrAlgorithm},
		{"ES384", sign(t, jose.ES384, p384, "sig-1", "JWT", claims), "JWT", ErrAlgorithm},
		{"unknown kid", sign(t, jose.ES256, key.Key, "sig-9", "JWT", claims), "JWT", ErrUnknownKey},
		{"no kid", sign(t, jose.ES256, key.Key, "", "JWT", claims), "JWT", ErrUnknownKey},
		{"our kid, foreign key", sign(t, jose.ES256, foreign, "sig-1", "JWT", claims), "JWT", ErrSignature},
		{"tampered payload", tamper(good, 1), "JWT", ErrSignature},
		{"tampered signature", tamper(good, 2), "JWT", ErrSignature},
		{"tampered header", tamper(good, 0), "JWT", ErrMalformed},
		{"truncated", good[:len(good)-10], "JWT", ErrSignature},
		{"two parts", good[:strings.LastIndex(good, ".")], "JWT", ErrMalformed},
		{"empty", "", "JWT", ErrMalformed},
		{"garbage", "a.b.c", "JWT", ErrMalformed},
		{"too long", strings.Repeat("a", maxTokenSize+1), "JWT", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.VerifyOwn(tt.token, tt.wantTyp)
			wantErr(t, err, tt.want, tt.token)
		})
	}
}

func TestPublicJWKS(t *testing.T) {
	s := newSigner(t, signingKey(t, "sig-2"), signingKey(t, "sig-1"))
	doc := s.PublicJWKS()
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 2 {
		t.Fatalf("%d keys published, want 2", len(raw.Keys))
	}
	for i, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %d publishes its private part %q", i, private)
			}
		}
		for m, v := range map[string]any{"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256"} {
			if k[m] != v {
				t.Errorf("key %d: %q = %v, want %v", i, m, k[m], v)
			}
		}
	}
	if raw.Keys[0]["kid"] != "sig-2" || raw.Keys[1]["kid"] != "sig-1" {
		t.Errorf("kids = %v, %v", raw.Keys[0]["kid"], raw.Keys[1]["kid"])
	}
	// Our own set passes the checks we apply to a provider's, and verifies our tokens.
	set, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := s.Sign("JWT", map[string]any{"sub": "a"})
	obj, err := parseJWS(token, []string{cjose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyWithSet(obj, set); err != nil {
		t.Errorf("published keys do not verify our token: %v", err)
	}
}

func TestNewSignerRejects(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k := signingKey(t, "a")
	for _, tt := range []struct {
		name string
		keys []SigningKey
	}{
		{"no keys", nil},
		{"empty kid", []SigningKey{{Key: k.Key}}},
		{"nil key", []SigningKey{{KID: "a"}}},
		{"P-384 key", []SigningKey{{KID: "a", Key: p384}}},
		{"duplicate kid", []SigningKey{k, signingKey(t, "a")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSigner(tt.keys)
			wantErr(t, err, ErrKey)
		})
	}
}

func TestSignRejects(t *testing.T) {
	s := newSigner(t, signingKey(t, "a"))
	if _, err := s.Sign("", map[string]any{}); err == nil {
		t.Error("empty typ accepted")
	}
	if _, err := s.Sign("JWT", []int{1}); err == nil {
		t.Error("claims that are not an object accepted")
	}
	if _, err := s.Sign("JWT", func() {}); err == nil {
		t.Error("claims that do not serialize accepted")
	}
}

func BenchmarkSign(b *testing.B) {
	s := newSigner(b, signingKey(b, "a"))
	claims := map[string]any{"iss": "https://edge.example", "aud": "app", "sub": "alice", "sid": "s", "exp": 2, "iat": 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign("JWT", claims); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOwn(b *testing.B) {
	s := newSigner(b, signingKey(b, "a"))
	token, _ := s.Sign("JWT", map[string]any{"iss": "https://edge.example", "sub": "alice"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.VerifyOwn(token, "JWT"); err != nil {
			b.Fatal(err)
		}
	}
}
