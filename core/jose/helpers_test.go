package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

// testKeys are one private key per supported algorithm family, made once.
type testKeys struct {
	rsa, rsa2, rsaWeak *rsa.PrivateKey
	p256, p256b        *ecdsa.PrivateKey
	p384, p521         *ecdsa.PrivateKey
	ed                 ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	theKeys  testKeys
)

func keys(tb testing.TB) *testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		r := func(bits int) *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			return k
		}
		e := func(c elliptic.Curve) *ecdsa.PrivateKey {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			return k
		}
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		theKeys = testKeys{
			rsa: r(2048), rsa2: r(2048), rsaWeak: r(1024),
			p256: e(elliptic.P256()), p256b: e(elliptic.P256()), p384: e(elliptic.P384()), p521: e(elliptic.P521()),
			ed: ed,
		}
	})
	return &theKeys
}

// signerFor is the private key that signs alg in these tests, and its public key.
func (k *testKeys) signerFor(alg string) (priv, pub any) {
	switch alg[:2] {
	case "RS", "PS":
		return k.rsa, &k.rsa.PublicKey
	case "Ed":
		return k.ed, k.ed.Public()
	}
	switch alg {
	case ES256:
		return k.p256, &k.p256.PublicKey
	case ES384:
		return k.p384, &k.p384.PublicKey
	}
	return k.p521, &k.p521.PublicKey
}

var allAlgs = []string{RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA}

// goSign signs payload with go-jose, as a provider would; extra header members optional.
func goSign(tb testing.TB, alg string, key any, kid, typ string, payload []byte, extra map[string]any) string {
	tb.Helper()
	opts := &gojose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(gojose.ContentType(typ))
	}
	for k, v := range extra {
		opts = opts.WithHeader(gojose.HeaderKey(k), v)
	}
	var signingKey any = key
	if kid != "" {
		signingKey = gojose.JSONWebKey{Key: key, KeyID: kid}
	}
	s, err := gojose.NewSigner(gojose.SigningKey{Algorithm: gojose.SignatureAlgorithm(alg), Key: signingKey}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// ours parses and verifies token with this package.
func ours(token string, algs []string, key any) ([]byte, error) {
	obj, err := ParseSignedCompact(token, algs)
	if err != nil {
		return nil, err
	}
	return obj.Verify(key)
}

// theirs parses and verifies token with go-jose.
func theirs(token string, algs []string, key any) ([]byte, error) {
	goAlgs := make([]gojose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		goAlgs[i] = gojose.SignatureAlgorithm(a)
	}
	obj, err := gojose.ParseSignedCompact(token, goAlgs)
	if err != nil {
		return nil, err
	}
	return obj.Verify(key)
}

// headerJSON decodes the first part of a compact token.
func headerJSON(tb testing.TB, token string) map[string]any {
	tb.Helper()
	raw, ok := decodePart(strings.SplitN(token, ".", 2)[0])
	if !ok {
		tb.Fatalf("header of %q is not base64url", token)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// withHeader replaces the header of a compact token by raw (signature unchanged).
func withHeader(token, raw string) string {
	_, rest, _ := strings.Cut(token, ".")
	return encodePart([]byte(raw)) + "." + rest
}
