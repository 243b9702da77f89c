package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

// Two kids with the same key material is a rotation pasted wrong: the "new" key is the
// old one, nothing is rotated, and removing the old kid later (the rotation's last step)
// turns away every cookie and token it named though the material lives on. It is refused
// at start, naming the field and the other kid, never the key.
func TestTheSameKeyUnderTwoKidsIsRefused(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	s := base64.RawURLEncoding.EncodeToString(secret)
	other := make([]byte, 32)
	rand.Read(other)
	pemOf := func() string {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalECPrivateKey(k)
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	}
	k1, k2 := pemOf(), pemOf()
	parse := func(keys map[string]any) error {
		m := signinConfigMap()
		m["keys"] = keys
		b, _ := json.Marshal(m)
		_, err := ParseConfig(b)
		return err
	}
	sealing := func(secrets ...string) []any {
		var out []any
		for i, s := range secrets {
			out = append(out, map[string]any{"kid": "s" + string(rune('1'+i)), "secret": s})
		}
		return out
	}
	signing := func(pems ...string) []any {
		var out []any
		for i, p := range pems {
			out = append(out, map[string]any{"kid": "k" + string(rune('1'+i)), "private_key_pem": p})
		}
		return out
	}

	if err := parse(map[string]any{"sealing": sealing(s, base64.RawURLEncoding.EncodeToString(other)), "signing": signing(k1, k2)}); err != nil {
		t.Fatalf("distinct keys refused: %v", err)
	}
	// The same secret in standard base64 is still the same secret.
	err := parse(map[string]any{"sealing": sealing(s, base64.StdEncoding.EncodeToString(secret)), "signing": signing(k1)})
	if err == nil || !strings.Contains(err.Error(), `field "keys.sealing[1].secret"`) || !strings.Contains(err.Error(), `"s1"`) || strings.Contains(err.Error(), s[:12]) {
		t.Errorf("the same sealing secret under two kids: %v", err)
	}
	err = parse(map[string]any{"sealing": sealing(s), "signing": signing(k1, k2, k1)})
	if err == nil || !strings.Contains(err.Error(), `field "keys.signing[2].private_key_pem"`) || !strings.Contains(err.Error(), `"k1"`) || strings.Contains(err.Error(), "PRIVATE KEY-----\nM") {
		t.Errorf("the same signing key under two kids: %v", err)
	}
}
