package oidc

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// keyJSON marshals one JWK to a JSON object, with changes applied (nil deletes).
func keyJSON(t *testing.T, k jose.JSONWebKey, changes ...any) map[string]any {
	t.Helper()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return with(m, changes...)
}

func setJSON(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseJWKS(t *testing.T) {
	set, err := ParseJWKS(providerJWKSJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 3 {
		t.Fatalf("%d keys, want 3", len(set.Keys))
	}
	for _, k := range set.Keys {
		if !isPublicKey(k.Key) {
			t.Errorf("key %q is not public", k.KeyID)
		}
	}
	if keysWithID(set, "rsa-1") != 1 || keysWithID(set, "ec-1") != 1 {
		t.Error("keys are not found by kid")
	}
}

func TestParseJWKSSkipsUnknownKeys(t *testing.T) {
	k := keys(t)
	rsaKey := keyJSON(t, jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa-1"})
	doc := setJSON(t,
		map[string]any{"kty": "PQC", "kid": "future", "x": "AAAA"},
		map[string]any{"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": "AAAA", "y": "AAAA"},
		map[string]any{"kty": "OKP", "crv": "X25519", "kid": "x", "x": "AAAA"},
		rsaKey,
	)
	set, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != "rsa-1" {
		t.Errorf("got %d keys, want only rsa-1", len(set.Keys))
	}
}

func TestParseJWKSRejects(t *testing.T) {
	k := keys(t)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaPub := keyJSON(t, jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa-1"})
	tests := []struct {
		name string
		doc  []byte
		msg  string
	}{
		{"RSA private key", setJSON(t, rsaPub, keyJSON(t, jose.JSONWebKey{Key: k.rsaOld, KeyID: "leak"})), "private"},
		{"EC private key", setJSON(t, keyJSON(t, jose.JSONWebKey{Key: k.ec, KeyID: "leak"})), "private"},
		{"Ed25519 private key", setJSON(t, keyJSON(t, jose.JSONWebKey{Key: edPriv, KeyID: "leak"})), "private"},
		{"only d of an RSA key", setJSON(t, with(rsaPub, "d", "AQAB")), "private"},
		{"symmetric key", setJSON(t, rsaPub, keyJSON(t, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac"})), "symmetric"},
		{"oct without k", setJSON(t, map[string]any{"kty": "oct", "kid": "o"}), "symmetric"},
		{"no keys", []byte(`{"keys":[]}`), "no usable"},
		{"no keys member", []byte(`{"key":[]}`), "keys"},
		{"keys not an array", []byte(`{"keys":{}}`), "keys"},
		{"a key not an object", []byte(`{"keys":[1]}`), "not a JSON object"},
		{"only encryption keys", setJSON(t, with(rsaPub, "use", "enc")), "no usable"},
		{"only unknown keys", setJSON(t, map[string]any{"kty": "PQC"}), "no usable"},
		{"not JSON", []byte("<html>"), "JSON"},
		{"too large", []byte(strings.Repeat(" ", maxDocumentSize+1)), "large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseJWKS(tt.doc)
			wantErr(t, err, ErrJWKS)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if set != nil {
				t.Error("a key set returned with an error")
			}
		})
	}
}
