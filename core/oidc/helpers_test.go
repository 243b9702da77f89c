package oidc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	cjose "github.com/exeunt/exeunt/core/jose"
)

// The fixed instant the tests run at.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	testIssuer   = "https://idp.example.com/realms/exeunt"
	testClientID = "exeunt-edge"
	testNonce    = "n-0S6_WzA2Mj"
)

// providerKeys are a provider's signing keys, made once per test binary (RSA generation
// is slow) and shared by every test and fuzz target.
type providerKeys struct {
	rsa      *rsa.PrivateKey // kid "rsa-1"
	rsaOld   *rsa.PrivateKey // kid "rsa-0", second in the set: an old key still published
	rsaOther *rsa.PrivateKey // not in the set: an attacker's key
	rsaWeak  *rsa.PrivateKey // 1024 bits: too weak to be trusted
	ec       *ecdsa.PrivateKey
	ecOther  *ecdsa.PrivateKey
}

var (
	fixtureOnce sync.Once
	fixture     providerKeys
)

func keys(tb testing.TB) *providerKeys {
	tb.Helper()
	fixtureOnce.Do(func() {
		must := func(k *rsa.PrivateKey, err error) *rsa.PrivateKey {
			if err != nil {
				panic(err)
			}
			return k
		}
		mustEC := func(k *ecdsa.PrivateKey, err error) *ecdsa.PrivateKey {
			if err != nil {
				panic(err)
			}
			return k
		}
		fixture = providerKeys{
			rsa:      must(rsa.GenerateKey(rand.Reader, 2048)),
			rsaOld:   must(rsa.GenerateKey(rand.Reader, 2048)),
			rsaOther: must(rsa.GenerateKey(rand.Reader, 2048)),
			rsaWeak:  must(rsa.GenerateKey(rand.Reader, 1024)),
			ec:       mustEC(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
			ecOther:  mustEC(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		}
	})
	return &fixture
}

// providerJWKSJSON is the provider's published key set, as JSON: rsa-1, rsa-0, ec-1.
func providerJWKSJSON(tb testing.TB) []byte {
	k := keys(tb)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Algorithm: "RS256", Use: "sig"},
		{Key: &k.rsaOld.PublicKey, KeyID: "rsa-0", Use: "sig"},
		{Key: &k.ec.PublicKey, KeyID: "ec-1"},
	}}
	b, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// providerJWKS is the provider's key set as ParseJWKS reads it.
func providerJWKS(tb testing.TB) *cjose.JSONWebKeySet {
	set, err := ParseJWKS(providerJWKSJSON(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// sign makes a compact JWS over claims with go-jose, as a provider would.
// kid "" leaves the header without a kid; typ "" without a typ.
func sign(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid, typ string, claims any) string {
	tb.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signingKey := jose.SigningKey{Algorithm: alg, Key: key}
	if kid != "" {
		signingKey.Key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	signer, err := jose.NewSigner(signingKey, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// unsigned crafts a token by hand with the given header and an empty signature: the
// "alg":"none" attack.
func unsigned(tb testing.TB, header, claims map[string]any) string {
	tb.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "."
}

// tamper flips one character in the middle of part i of a dotted token.
func tamper(token string, part int) string {
	parts := strings.Split(token, ".")
	p := []byte(parts[part])
	if len(p) == 0 {
		parts[part] = "AAAA"
		return strings.Join(parts, ".")
	}
	mid := len(p) / 2
	if p[mid] == 'A' {
		p[mid] = 'B'
	} else {
		p[mid] = 'A'
	}
	parts[part] = string(p)
	return strings.Join(parts, ".")
}

// clone copies a claims map one level deep, so a table case can change it.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// with returns a copy of m with the given changes; a nil value deletes the claim.
func with(m map[string]any, kv ...any) map[string]any {
	out := clone(m)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

// wantErr fails unless err wraps want (or is nil when want is nil), and checks that the
// message repeats neither the token nor any secret given.
func wantErr(tb testing.TB, err, want error, secrets ...string) {
	tb.Helper()
	if want == nil {
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		tb.Fatalf("error = %v, want %v", err, want)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			tb.Fatalf("error message leaks a secret or the token: %v", err)
		}
	}
}

// isPublicKey reports whether key is one of the public key types a JWK Set may yield.
func isPublicKey(key any) bool {
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

// keysWithID counts the keys in set whose kid is kid.
func keysWithID(set *cjose.JSONWebKeySet, kid string) int {
	n := 0
	for _, k := range set.Keys {
		if k.KeyID == kid {
			n++
		}
	}
	return n
}
