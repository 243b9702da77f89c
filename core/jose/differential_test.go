package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

// The differential tests: what go-jose (the library this package replaced, kept as a
// test-only dependency) makes, this package reads exactly as go-jose does, and what this
// package makes, go-jose reads. Where this package is stricter, the difference is named
// in differences_test.go.

// TestVerifyAgreesWithGoJose signs with go-jose under every supported algorithm, with
// and without kid and typ, and checks that both verifiers accept with the same payload
// under the same allow-list, and both refuse under an allow-list without the algorithm
// and with another key.
func TestVerifyAgreesWithGoJose(t *testing.T) {
	k := keys(t)
	payloads := [][]byte{[]byte(`{"sub":"a"}`), []byte(`{}`), {}, bytes.Repeat([]byte("x"), 3000)}
	for _, alg := range allAlgs {
		priv, pub := k.signerFor(alg)
		for i, payload := range payloads {
			for _, kt := range [][2]string{{"", ""}, {"k1", "JWT"}, {"k1", "logout+jwt"}} {
				t.Run(fmt.Sprintf("%s/%d/%q", alg, i, kt), func(t *testing.T) {
					tok := goSign(t, alg, priv, kt[0], kt[1], payload, nil)
					got, err := ours(tok, []string{alg}, pub)
					want, werr := theirs(tok, []string{alg}, pub)
					if err != nil || werr != nil || !bytes.Equal(got, want) || !bytes.Equal(got, payload) {
						t.Fatalf("ours %q, %v; go-jose %q, %v", got, err, want, werr)
					}
					obj, _ := ParseSignedCompact(tok, []string{alg})
					if obj.Header.KeyID != kt[0] || obj.Header.Type != kt[1] || obj.Header.Algorithm != alg {
						t.Errorf("header %+v, want kid %q typ %q", obj.Header, kt[0], kt[1])
					}
					// Not in the allow-list: both refuse, ours with the algorithm named.
					other := RS256
					if alg == RS256 {
						other = ES256
					}
					_, err = ours(tok, []string{other}, pub)
					var unexpected *UnexpectedAlgorithmError
					if !errors.As(err, &unexpected) || unexpected.Got != alg {
						t.Errorf("allow-list %s: err = %v, want an UnexpectedAlgorithmError for %s", other, err, alg)
					}
					if _, werr := theirs(tok, []string{other}, pub); werr == nil {
						t.Errorf("go-jose accepted %s under allow-list %s", alg, other)
					}
					// Another key of the same kind: both refuse.
					otherPub := otherKeyFor(k, alg)
					if _, err := ours(tok, []string{alg}, otherPub); !errors.Is(err, ErrSignature) {
						t.Errorf("another key: err = %v, want ErrSignature", err)
					}
					if _, werr := theirs(tok, []string{alg}, otherPub); werr == nil {
						t.Error("go-jose accepted another key")
					}
				})
			}
		}
	}
}

// otherKeyFor is a public key that fits alg but did not sign.
func otherKeyFor(k *testKeys, alg string) any {
	switch alg[:2] {
	case "RS", "PS":
		return &k.rsa2.PublicKey
	case "Ed":
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		return pub
	}
	if alg == ES256 {
		return &k.p256b.PublicKey
	}
	_, pub := k.signerFor(alg)
	p := pub.(*ecdsa.PublicKey)
	other, _ := ecdsa.GenerateKey(p.Curve, rand.Reader)
	return &other.PublicKey
}

// TestGoJoseVerifiesOurES256 checks that go-jose verifies what SignES256 makes, and
// that the header bytes are the ones go-jose writes for the same key id and type, so
// tokens look as they did before the switch.
func TestGoJoseVerifiesOurES256(t *testing.T) {
	k := keys(t)
	for _, kt := range [][2]string{{"sig-1", "JWT"}, {"sig-1", "logout+jwt"}, {"", ""}, {"a<b>&c", "JWT"}} {
		payload := []byte(`{"iss":"https://exeunt.test","sub":"s"}`)
		tok, err := SignES256(k.p256, kt[0], kt[1], payload)
		if err != nil {
			t.Fatal(err)
		}
		got, err := theirs(tok, []string{ES256}, &k.p256.PublicKey)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("go-jose: %q, %v", got, err)
		}
		ref := goSign(t, ES256, k.p256, kt[0], kt[1], payload, nil)
		if a, b := strings.Split(tok, ".")[0], strings.Split(ref, ".")[0]; a != b {
			t.Errorf("header %s, go-jose wrote %s", a, b)
		}
		if sig, _ := decodePart(strings.Split(tok, ".")[2]); len(sig) != 64 {
			t.Errorf("signature of %d bytes, want 64", len(sig))
		}
	}
	if _, err := SignES256(k.p384, "k", "JWT", []byte("{}")); err == nil {
		t.Error("SignES256 signed with a P-384 key")
	}
}

// TestJWKAgreesWithGoJose reads public JWKs as go-jose writes them, and checks that the
// key is the one written; and that keys go-jose refuses, this package refuses.
func TestJWKAgreesWithGoJose(t *testing.T) {
	k := keys(t)
	for _, pub := range []any{&k.rsa.PublicKey, &k.rsaWeak.PublicKey, &k.p256.PublicKey, &k.p384.PublicKey, &k.p521.PublicKey, k.ed.Public()} {
		data, err := json.Marshal(gojose.JSONWebKey{Key: pub, KeyID: "k", Algorithm: "X", Use: "sig"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseJWK(data)
		if err != nil {
			t.Fatalf("%T: %v", pub, err)
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(got.Key) || got.KeyID != "k" || got.Algorithm != "X" || got.Use != "sig" {
			t.Errorf("%T: read %+v", pub, got)
		}
	}
	for _, doc := range badJWKs(t) {
		_, err := ParseJWK([]byte(doc))
		var ref gojose.JSONWebKey
		goErr := ref.UnmarshalJSON([]byte(doc))
		if goErr == nil {
			t.Errorf("go-jose accepts %s: not a bad key", doc)
		}
		if !errors.Is(err, ErrUnsupportedKey) {
			t.Errorf("accepted %s (go-jose: %v)", doc, goErr)
		}
	}
}

// badJWKs are public JWKs go-jose refuses.
func badJWKs(tb testing.TB) []string {
	k := keys(tb)
	ec := func(crv string, x, y []byte) string {
		return fmt.Sprintf(`{"kty":"EC","crv":%q,"x":%q,"y":%q}`, crv, encodePart(x), encodePart(y))
	}
	p, _ := k.p256.PublicKey.Bytes()
	x, y := p[1:33], p[33:]
	offCurve := bytes.Clone(y)
	offCurve[31] ^= 1
	big := bytes.Repeat([]byte{0xff}, 4097/8+2)
	out := []string{
		ec("P-256", x, offCurve),                        // not on the curve
		ec("P-256", x[1:], y),                           // x too short
		ec("P-256", append([]byte{0}, x...), y),         // x too long
		ec("P-384", x, y),                               // coordinates of the wrong size for the curve
		ec("P-256", make([]byte, 32), make([]byte, 32)), // (0, 0)
		ec("secp256k1", x, y),
		`{"kty":"EC","crv":"P-256","x":"` + encodePart(x) + `"}`,
		`{"kty":"RSA","n":"` + encodePart(big) + `","e":"AQAB"}`,           // over 4096 bits
		`{"kty":"RSA","n":"` + encodePart(k.rsa.N.Bytes()) + `","e":"AQ"}`, // e = 1
		`{"kty":"RSA","n":"` + encodePart(k.rsa.N.Bytes()) + `"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"` + encodePart(make([]byte, 31)) + `"}`,
		`{"kty":"OKP","crv":"X25519","x":"` + encodePart(make([]byte, 32)) + `"}`,
		`{"kty":"PQC","x":"AAAA"}`,
		`{"kid":"no kty"}`,
		`[]`,
	}
	for _, enc := range lowOrderEncodings() {
		var ref gojose.JSONWebKey
		if ref.UnmarshalJSON([]byte(okpJWK(enc))) != nil { // the ones go-jose lists
			out = append(out, okpJWK(enc))
		}
	}
	return out
}

// TestMarshalPublicJWKSIsGoJoses checks that our published key set is byte for byte
// what go-jose wrote for the same keys.
func TestMarshalPublicJWKSIsGoJoses(t *testing.T) {
	k := keys(t)
	ours, err := MarshalPublicJWKS([]JSONWebKey{
		{Key: &k.p256.PublicKey, KeyID: "a", Algorithm: ES256, Use: "sig"},
		{Key: &k.p256b.PublicKey, KeyID: "b", Algorithm: ES256, Use: "sig"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := json.Marshal(gojose.JSONWebKeySet{Keys: []gojose.JSONWebKey{
		{Key: &k.p256.PublicKey, KeyID: "a", Algorithm: ES256, Use: "sig"},
		{Key: &k.p256b.PublicKey, KeyID: "b", Algorithm: ES256, Use: "sig"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, ref) {
		t.Errorf("ours:\n%s\ngo-jose:\n%s", ours, ref)
	}
	if _, err := MarshalPublicJWKS([]JSONWebKey{{Key: &k.rsa.PublicKey}}); err == nil {
		t.Error("published an RSA key")
	}
}

// goEncrypt seals plaintext as go-jose did in core/oidc before the switch.
func goEncrypt(tb testing.TB, enc gojose.ContentEncryption, key []byte, kid string, extra map[string]any, plaintext []byte) string {
	tb.Helper()
	opts := &gojose.EncrypterOptions{}
	for k, v := range extra {
		opts = opts.WithHeader(gojose.HeaderKey(k), v)
	}
	e, err := gojose.NewEncrypter(enc, gojose.Recipient{Algorithm: gojose.DIRECT, Key: key, KeyID: kid}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := e.Encrypt(plaintext)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// goDecrypt opens token with go-jose as core/oidc did before the switch.
func goDecrypt(token string, key []byte) (gojose.Header, []byte, error) {
	obj, err := gojose.ParseEncryptedCompact(token, []gojose.KeyAlgorithm{gojose.DIRECT}, []gojose.ContentEncryption{gojose.A256GCM})
	if err != nil {
		return gojose.Header{}, nil, err
	}
	plain, err := obj.Decrypt(key)
	return obj.Header, plain, err
}

// TestJWEAgreesWithGoJose: values go-jose sealed (cookies and logoutIds issued before
// the switch) open here with the same header and plaintext; values sealed here open in
// go-jose; and the protected header is byte for byte the one go-jose wrote.
func TestJWEAgreesWithGoJose(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	keyFor := func(kid string) ([]byte, bool) { return key, kid == "k1" }
	extra := map[string]any{"exeunt_purpose": "session", "exp": int64(1893456000)}
	for _, plain := range [][]byte{[]byte(`{"sid":"x"}`), {}, bytes.Repeat([]byte{0}, 2000)} {
		old := goEncrypt(t, gojose.A256GCM, key, "k1", extra, plain)
		h, got, err := DecryptDirA256GCM(old, keyFor)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("go-jose's value: %q, %v", got, err)
		}
		if h.KeyID != "k1" || h.Algorithm != "dir" || string(h.members["exeunt_purpose"]) != `"session"` || string(h.members["exp"]) != "1893456000" {
			t.Errorf("header %+v", h)
		}
		ours, err := EncryptDirA256GCM(key, "k1", extra, plain)
		if err != nil {
			t.Fatal(err)
		}
		gh, gplain, err := goDecrypt(ours, key)
		if err != nil || !bytes.Equal(gplain, plain) || gh.KeyID != "k1" || gh.ExtraHeaders["exeunt_purpose"] != "session" {
			t.Fatalf("go-jose opens ours: %q, %+v, %v", gplain, gh, err)
		}
		if a, b := strings.Split(ours, ".")[0], strings.Split(old, ".")[0]; a != b {
			t.Errorf("header %s, go-jose wrote %s", a, b)
		}
		if len(ours) != len(old) {
			t.Errorf("%d characters, go-jose's %d", len(ours), len(old))
		}
	}
	// What go-jose seals otherwise, we refuse.
	for name, tok := range map[string]string{
		"A128GCM":       goEncrypt(t, gojose.A128GCM, key[:16], "k1", extra, []byte("p")),
		"A128CBC-HS256": goEncrypt(t, gojose.A128CBC_HS256, key, "k1", extra, []byte("p")),
		"A256GCM, zip":  goEncrypt(t, gojose.A256GCM, key, "k1", map[string]any{"zip": "DEF"}, []byte("p")),
		"unknown kid":   goEncrypt(t, gojose.A256GCM, key, "k9", extra, []byte("p")),
		"other key":     goEncrypt(t, gojose.A256GCM, bytes.Repeat([]byte{9}, 32), "k1", extra, []byte("p")),
	} {
		if _, _, err := DecryptDirA256GCM(tok, keyFor); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	for _, name := range []string{"alg", "enc", "kid"} {
		if _, err := EncryptDirA256GCM(key, "", map[string]any{name: "x"}, nil); err == nil {
			t.Errorf("an extra %q was accepted", name)
		}
	}
	if _, err := EncryptDirA256GCM(key[:16], "k1", nil, nil); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}
