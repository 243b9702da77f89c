package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	cjose "github.com/exeunt/exeunt/core/jose"
)

// Fuzzing runs the target in several processes, each running the setup anew, while the
// seeds come from the first: keys must be the same in every process, or seeded tokens
// would not verify and the fuzzer would never get past the signature check. RSA keys
// cannot be derived deterministically with crypto/rsa, so the fuzz targets use P-256
// keys derived from a label.
func fuzzKey(tb testing.TB, label string) *ecdsa.PrivateKey {
	tb.Helper()
	sum := sha256.Sum256([]byte(label))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fuzzJWKS is a provider key set with the deterministic key "fuzz-ec", and an RSA key so
// that the key selection has a choice.
func fuzzJWKS(tb testing.TB) *cjose.JSONWebKeySet {
	return &cjose.JSONWebKeySet{Keys: []cjose.JSONWebKey{
		{Key: &fuzzKey(tb, "provider").PublicKey, KeyID: "fuzz-ec", Use: "sig"},
		{Key: &keys(tb).rsa.PublicKey, KeyID: "rsa-1", Use: "sig"},
	}}
}

// FuzzOpen: Open never panics, and never opens anything but what was sealed for it.
func FuzzOpen(f *testing.F) {
	s := newSealer(f, sealingKey("k2", 2), sealingKey("k1", 1))
	good, err := s.Seal("session", []byte(`{"sid":"x"}`), testNow, testNow.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, tamper(good, 3), good[:len(good)/2], "", ".", "....", "a.b.c.d.e", "eyJhbGciOiJkaXIifQ....", `{"protected":""}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		payload, err := s.Open("session", token, testNow)
		if err == nil && string(payload) != `{"sid":"x"}` {
			t.Fatalf("opened a value we never sealed: %q", token)
		}
		if err != nil && payload != nil {
			t.Fatal("payload returned with an error")
		}
	})
}

// FuzzVerifyIDToken: Verify never panics, and accepts only tokens signed by the
// provider's keys.
func FuzzVerifyIDToken(f *testing.F) {
	key := fuzzKey(f, "provider")
	set := fuzzJWKS(f)
	good := sign(f, jose.ES256, key, "fuzz-ec", "JWT", idClaims())
	noKid := sign(f, jose.ES256, key, "", "", idClaims())
	for _, seed := range []string{good, noKid, tamper(good, 1), good[:len(good)-3], "", "..", "e30.e30.", "eyJhbGciOiJub25lIn0.e30."} {
		f.Add(seed)
	}
	v := idVerifier()
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.Verify(raw, set, testNonce, testNow)
		if err == nil {
			// Other spellings of a signed token exist (ECDSA signatures are malleable),
			// but whatever is accepted must carry the claims that were signed.
			if tok.Subject != "248289761001" || tok.Issuer != testIssuer || tok.Email != "alice@example.com" {
				t.Fatalf("accepted a forged token: %+v", tok)
			}
		} else if tok != nil {
			t.Fatal("token returned with an error")
		}
	})
}

// FuzzVerifyLogoutToken: Verify never panics on what anyone may POST to us.
func FuzzVerifyLogoutToken(f *testing.F) {
	set := fuzzJWKS(f)
	good := sign(f, jose.ES256, fuzzKey(f, "provider"), "fuzz-ec", "logout+jwt", logoutClaims())
	for _, seed := range []string{good, tamper(good, 1), "", "a.b.c", "eyJhbGciOiJub25lIn0.e30."} {
		f.Add(seed)
	}
	v := &LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.Verify(raw, set, testNow)
		if err == nil && tok.JTI != "bWJq" {
			t.Fatalf("accepted a forged logout token: %+v", tok)
		}
	})
}

// FuzzVerifyOwn: VerifyOwn never panics, and accepts only our own tokens.
func FuzzVerifyOwn(f *testing.F) {
	s := newSigner(f, SigningKey{KID: "a", Key: fuzzKey(f, "exeunt")})
	good, _ := s.Sign("JWT", map[string]any{"sub": "alice"})
	for _, seed := range []string{good, tamper(good, 2), "", "a.b.c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		payload, err := s.VerifyOwn(raw, "JWT")
		if err == nil && string(payload) != `{"sub":"alice"}` {
			t.Fatalf("accepted a forged token with payload %q", payload)
		}
	})
}

// FuzzParseDiscovery: ParseDiscovery never panics, and what it accepts has the expected
// issuer and usable endpoints.
func FuzzParseDiscovery(f *testing.F) {
	f.Add(discoveryDoc(f, testIssuer), testIssuer)
	f.Add(discoveryDoc(f, "http://localhost:8080"), "http://localhost:8080")
	f.Add([]byte(`{"issuer":"https://a"}`), "https://a")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, doc []byte, issuer string) {
		m, err := ParseDiscovery(doc, issuer)
		if err != nil {
			return
		}
		if m.Issuer != issuer {
			t.Fatalf("issuer %q accepted for %q", m.Issuer, issuer)
		}
		for _, u := range []string{m.AuthorizationEndpoint, m.TokenEndpoint, m.JWKSURI} {
			if checkEndpoint(u) != "" {
				t.Fatalf("endpoint %q accepted", u)
			}
		}
	})
}

// FuzzParseJWKS: ParseJWKS never panics, and never returns a private or symmetric key.
func FuzzParseJWKS(f *testing.F) {
	f.Add(providerJWKSJSON(f))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		set, err := ParseJWKS(doc)
		if err != nil {
			return
		}
		for _, k := range set.Keys {
			if !isPublicKey(k.Key) {
				t.Fatalf("returned a key that is not public: %T", k.Key)
			}
		}
	})
}
