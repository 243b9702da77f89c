package oidc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestPKCS8AgreesWithX509 checks the key parsing that replaced crypto/x509 against
// crypto/x509 itself (test-only here): the same keys come out of the same bytes, PKCS #8
// is written byte for byte as x509 writes it, and non-EC keys are named.
func TestPKCS8AgreesWithX509(t *testing.T) {
	for _, curve := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		key, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		p8, _ := x509.MarshalPKCS8PrivateKey(key)
		sec1, _ := x509.MarshalECPrivateKey(key)
		for name, parse := range map[string]func() (*ecdsa.PrivateKey, error){
			"PKCS #8": func() (*ecdsa.PrivateKey, error) { return ParsePKCS8PrivateKey(p8) },
			"SEC 1":   func() (*ecdsa.PrivateKey, error) { return ParseSEC1PrivateKey(sec1) },
		} {
			got, err := parse()
			if err != nil || !got.Equal(key) {
				t.Errorf("%s %s: %v", curve.Params().Name, name, err)
			}
		}
		if curve == elliptic.P256() {
			ours, err := marshalPKCS8(key)
			if err != nil || !bytes.Equal(ours, p8) {
				t.Errorf("marshalPKCS8 differs from x509's: %v", err)
			}
		}
		// Keys in the wrong container fail, as in x509.
		if _, err := ParsePKCS8PrivateKey(sec1); err == nil {
			t.Error("read SEC 1 as PKCS #8")
		}
		if _, err := ParseSEC1PrivateKey(p8); err == nil {
			t.Error("read PKCS #8 as SEC 1")
		}
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	xKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for want, key := range map[string]any{"RSA": rsaKey, "Ed25519": edKey, "X25519": xKey} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParsePKCS8PrivateKey(der)
		var foreign *ForeignKeyError
		if !errors.As(err, &foreign) || foreign.Type != want {
			t.Errorf("%s key: err = %v", want, err)
		}
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, []byte("not DER"), append(mustPKCS8(t), 0)} {
		if _, err := ParsePKCS8PrivateKey(bad); err == nil {
			t.Errorf("read %x", bad)
		}
		if _, err := x509.ParsePKCS8PrivateKey(bad); err == nil && len(bad) > 0 && bad[len(bad)-1] != 0 {
			t.Errorf("x509 reads %x: the cases are not bad keys", bad)
		}
	}
}

func mustPKCS8(t *testing.T) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestClaimsWithDuplicateMembers: a token whose claims name a member twice is refused,
// whichever of the two a reader would keep (core/jose.CheckUniqueMembers).
func TestClaimsWithDuplicateMembers(t *testing.T) {
	k := keys(t)
	v := idVerifier()
	claims := fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"a","nonce":"x","nonce":%q,"iat":%d,"exp":%d}`,
		testIssuer, testClientID, testNonce, testNow.Unix(), testNow.Unix()+60)
	raw := sign(t, jose.RS256, k.rsa, "rsa-1", "JWT", json.RawMessage(claims))
	if _, err := v.Verify(raw, providerJWKS(t), testNonce, testNow); !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}
