package oidc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestSigningKeyPEMRoundTrip(t *testing.T) {
	k := signingKey(t, "dev-1")
	pemBytes, err := MarshalSigningKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pemBytes, []byte("-----BEGIN PRIVATE KEY-----")) || !bytes.Contains(pemBytes, []byte("Kid: dev-1")) {
		t.Errorf("unexpected PEM:\n%s", pemBytes)
	}
	back, err := ParseSigningKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if back.KID != "dev-1" || !back.Key.Equal(k.Key) {
		t.Fatalf("round trip changed the key")
	}
	// A token signed by one VM's copy verifies with another's.
	token, _ := newSigner(t, k).Sign("JWT", map[string]any{"sub": "a"})
	if _, err := newSigner(t, back).VerifyOwn(token, "JWT"); err != nil {
		t.Error(err)
	}
}

func TestParseSigningKeyPEMRejects(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKCS8PrivateKey(p384)
	good, _ := MarshalSigningKeyPEM(signingKey(t, "k"))
	block, _ := pem.Decode(good)
	noKid := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes})
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("hello")},
		{"wrong block type", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Kid": "k"}, Bytes: block.Bytes})},
		{"no kid", noKid},
		{"P-384", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Kid": "k"}, Bytes: der384})},
		{"not PKCS #8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Kid": "k"}, Bytes: []byte("junk")})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSigningKeyPEM(tt.data)
			wantErr(t, err, ErrKey)
		})
	}
	if _, err := MarshalSigningKeyPEM(SigningKey{KID: "k", Key: p384}); err == nil {
		t.Error("P-384 key marshalled")
	}
}

func TestSealingKeyPEMRoundTrip(t *testing.T) {
	k, err := GenerateSealingKey("dev-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Secret) != SealingKeySize || bytes.Equal(k.Secret, make([]byte, SealingKeySize)) {
		t.Fatalf("generated secret is %x", k.Secret)
	}
	pemBytes, err := MarshalSealingKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSealingKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if back.KID != k.KID || !bytes.Equal(back.Secret, k.Secret) {
		t.Fatal("round trip changed the key")
	}
	token, _ := newSealer(t, k).Seal("p", []byte("x"), testNow, testNow.Add(time.Minute))
	if _, err := newSealer(t, back).Open("p", token, testNow); err != nil {
		t.Error(err)
	}

	for _, bad := range [][]byte{
		nil,
		pem.EncodeToMemory(&pem.Block{Type: "EXEUNT SEALING KEY", Bytes: k.Secret}),
		pem.EncodeToMemory(&pem.Block{Type: "EXEUNT SEALING KEY", Headers: map[string]string{"Kid": "k"}, Bytes: k.Secret[:16]}),
		pem.EncodeToMemory(&pem.Block{Type: "SECRET", Headers: map[string]string{"Kid": "k"}, Bytes: k.Secret}),
	} {
		if _, err := ParseSealingKeyPEM(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestGenerateKeysNeedKID(t *testing.T) {
	if _, err := GenerateSigningKey(""); err == nil {
		t.Error("GenerateSigningKey accepted an empty kid")
	}
	if _, err := GenerateSealingKey(""); err == nil {
		t.Error("GenerateSealingKey accepted an empty kid")
	}
	a, _ := GenerateSealingKey("a")
	b, _ := GenerateSealingKey("a")
	if bytes.Equal(a.Secret, b.Secret) {
		t.Error("two generated sealing keys are equal")
	}
	if k := signingKey(t, "x"); k.Key.Curve != elliptic.P256() || !strings.EqualFold(k.KID, "x") {
		t.Error("GenerateSigningKey did not make a P-256 key named x")
	}
	// Generated from crypto/ecdh's scalar: two keys differ, and each one's public key is
	// its scalar's (an ECDSA signature made with it verifies).
	k1, k2 := signingKey(t, "x"), signingKey(t, "x")
	if k1.Key.Equal(k2.Key) {
		t.Error("two generated signing keys are equal")
	}
	digest := make([]byte, 32)
	sig, err := ecdsa.SignASN1(rand.Reader, k1.Key, digest)
	if err != nil || !ecdsa.VerifyASN1(&k1.Key.PublicKey, digest, sig) {
		t.Errorf("a generated key's signature does not verify: %v", err)
	}
}
