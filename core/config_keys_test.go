package core

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

// pemOf encodes key (PKCS #8, or SEC 1 when sec1 is set) as PEM.
func pemOf(t *testing.T, key any, sec1 bool) string {
	t.Helper()
	if sec1 {
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestKeys(t *testing.T) {
	const k = `exeunt configuration: field "keys.`
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256b, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaPKCS1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	ecParams := "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
	secret := bytes.Repeat([]byte{0xfb}, 32) // "+" and "/" in standard base64, "-" and "_" in base64url
	secret2 := bytes.Repeat([]byte{7}, 32)
	sealing := func(entries ...any) edit { return set("keys.sealing", append([]any{}, entries...)) }
	signing := func(entries ...any) edit { return set("keys.signing", append([]any{}, entries...)) }
	sk := func(kid, s string) map[string]any { return map[string]any{"kid": kid, "secret": s} }
	pk := func(kid, p string) map[string]any { return map[string]any{"kid": kid, "private_key_pem": p} }
	raw := base64.RawURLEncoding.EncodeToString(secret)

	runConfigCases(t, []configCase{
		{name: "rotation: the first of each list is current", edits: []edit{
			sealing(sk("new", base64.URLEncoding.EncodeToString(secret)), sk("old", base64.StdEncoding.EncodeToString(secret2))),
			signing(pk("new", pemOf(t, p256, false)), pk("old", pemOf(t, p256b, true))),
		}, check: func(t *testing.T, c *Config) {
			is(t, "Sealing", c.Keys.Sealing, []SealingKey{{"new", secret}, {"old", secret2}})
			is(t, "Signing[0].KID", c.Keys.Signing[0].KID, "new")
			is(t, "Signing[0].Key", c.Keys.Signing[0].Key.Equal(p256), true)
			is(t, "Signing[1].Key", c.Keys.Signing[1].Key.Equal(p256b), true)
		}},
		{name: "base64url without padding", edits: []edit{sealing(sk("a", raw))},
			check: func(t *testing.T, c *Config) { is(t, "Secret", c.Keys.Sealing[0].Secret, secret) }},
		{name: "standard base64 without padding", edits: []edit{sealing(sk("a", base64.RawStdEncoding.EncodeToString(secret)))},
			check: func(t *testing.T, c *Config) { is(t, "Secret", c.Keys.Sealing[0].Secret, secret) }},
		{name: "openssl ecparam output with parameters", edits: []edit{signing(pk("a", ecParams+pemOf(t, p256, true)))}},
		{name: "dev_generate", edits: []edit{set("keys", map[string]any{"dev_generate": true})},
			check: func(t *testing.T, c *Config) { is(t, "Keys", c.Keys, Keys{DevGenerate: true}) }},
		{name: "dev_generate with empty lists", edits: []edit{sealing(), signing(), set("keys.dev_generate", true)}},

		{name: "no kid", edits: []edit{sealing(map[string]any{"secret": raw})},
			err: k + `sealing[0].kid": is required; set a key id such as "2025-01"; it names the key in tokens, so never reuse one for different key material`},
		{name: "kid with space", edits: []edit{signing(pk("k 1", pemOf(t, p256, true)))},
			err: k + `signing[0].kid": must be visible ASCII without spaces`},
		{name: "sealing kid twice", edits: []edit{sealing(sk("a", raw), sk("a", raw))},
			err: k + `sealing[1].kid": "a" is already the kid of another sealing key; each key needs its own`},
		{name: "signing kid twice", edits: []edit{signing(pk("a", pemOf(t, p256, true)), pk("a", pemOf(t, p256b, true)))},
			err: k + `signing[1].kid": "a" is already the kid of another signing key; each key needs its own`},
		{name: "no secret", edits: []edit{sealing(map[string]any{"kid": "a"})},
			err: k + `sealing[0].secret": is required: 32 random bytes in base64url or base64; generate one with: openssl rand -base64 32`},
		{name: "secret not base64", edits: []edit{sealing(sk("a", "not base64! "+raw))},
			err: k + `sealing[0].secret": is not valid base64url or base64; generate one with: openssl rand -base64 32`},
		{name: "secret mixing alphabets", edits: []edit{sealing(sk("a", "+-"+raw[2:]))},
			err: k + `sealing[0].secret": is not valid base64url or base64; generate one with: openssl rand -base64 32`},
		{name: "secret with wrong padding", edits: []edit{sealing(sk("a", raw+"=="))},
			err: k + `sealing[0].secret": is not valid base64url or base64; generate one with: openssl rand -base64 32`},
		{name: "secret too short", edits: []edit{sealing(sk("a", base64.RawURLEncoding.EncodeToString(secret[:16])))},
			err: k + `sealing[0].secret": must decode to exactly 32 bytes, not 16; generate one with: openssl rand -base64 32`},
		{name: "secret as hex", edits: []edit{sealing(sk("a", strings.Repeat("ab", 32)))},
			err: k + `sealing[0].secret": must decode to exactly 32 bytes, not 48; generate one with: openssl rand -base64 32`},
		{name: "unknown sealing field", edits: []edit{sealing(map[string]any{"kid": "a", "secret": raw, "alg": "dir"})},
			err: k + `sealing[0].alg": unknown field; remove it or fix its spelling (known fields: kid, secret)`},
		{name: "no PEM", edits: []edit{signing(map[string]any{"kid": "a"})},
			err: k + `signing[0].private_key_pem": is required: an EC P-256 private key in PEM; generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "not PEM", edits: []edit{signing(pk("a", "MHcCAQEEIA"))},
			err: k + `signing[0].private_key_pem": is not a PEM private key; it must start with -----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----`},
		{name: "PEM with escaped line breaks", edits: []edit{signing(pk("a", strings.ReplaceAll(pemOf(t, p256, true), "\n", `\n`)))},
			err: k + `signing[0].private_key_pem": is not a PEM private key; it must start with -----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY----- (its line breaks seem escaped twice: in JSON write them as \n, not \\n)`},
		{name: "P-384", edits: []edit{signing(pk("a", pemOf(t, p384, false)))},
			err: k + `signing[0].private_key_pem": is an EC key on curve P-384; tokens are signed with ES256, which needs P-256: generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "RSA in PKCS #8", edits: []edit{signing(pk("a", pemOf(t, rsaKey, false)))},
			err: k + `signing[0].private_key_pem": is an RSA key; tokens are signed with ES256, which needs an EC P-256 key: generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "RSA in PKCS #1", edits: []edit{signing(pk("a", rsaPKCS1))},
			err: k + `signing[0].private_key_pem": is an RSA key; tokens are signed with ES256, which needs an EC P-256 key: generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "Ed25519", edits: []edit{signing(pk("a", pemOf(t, edKey, false)))},
			err: k + `signing[0].private_key_pem": is an Ed25519 key; tokens are signed with ES256, which needs an EC P-256 key: generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "public key", edits: []edit{signing(pk("a", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))},
			err: k + `signing[0].private_key_pem": holds a "PUBLIC KEY" PEM block; it must hold an EC P-256 private key ("EC PRIVATE KEY" or "PRIVATE KEY"): generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "encrypted", edits: []edit{signing(pk("a", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))},
			err: k + `signing[0].private_key_pem": must not be encrypted: give the key without a passphrase`},
		{name: "corrupt", edits: []edit{signing(pk("a", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))},
			err: k + `signing[0].private_key_pem": holds a "EC PRIVATE KEY" PEM block that cannot be read as a private key; generate one with: openssl ecparam -name prime256v1 -genkey -noout`},
		{name: "two keys in one entry", edits: []edit{signing(pk("a", pemOf(t, p256, true)+pemOf(t, p256b, false)))},
			err: k + `signing[0].private_key_pem": holds more than one private key; give one key per entry, each with its own kid`},
		{name: "dev_generate with keys", edits: []edit{set("keys.dev_generate", true)},
			err: k + `dev_generate": must not be true when keys are configured: either give sealing and signing keys, or generate them for development, not both`},
		{name: "sealing not a list", edits: []edit{set("keys.sealing", map[string]any{"kid": "a"})},
			err: k + `sealing": must be a list ([...]), not an object`},
		{name: "unknown keys field", edits: []edit{set("keys.signing_keys", []any{})},
			err: k + `signing_keys": unknown field; remove it or fix its spelling (known fields: sealing, signing, dev_generate)`},
	})
}

// TestKeyErrorsKeepSecrets checks that no error message quotes key material.
func TestKeyErrorsKeepSecrets(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	secrets := []string{
		"c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0", // too short
		"not base64 at all: hunter2hunter2",
		pemOf(t, p384, false),
	}
	for _, s := range secrets {
		for _, e := range []edit{
			set("keys.sealing", []any{map[string]any{"kid": "a", "secret": s}}),
			set("keys.signing", []any{map[string]any{"kid": "a", "private_key_pem": s}}),
		} {
			_, err := ParseConfig(configWith(t, e))
			if err == nil {
				t.Fatal("accepted a bad key")
			}
			for _, part := range strings.Fields(s) {
				if len(part) >= 8 && strings.Contains(err.Error(), part) {
					t.Errorf("error quotes the key material: %v", err)
				}
			}
		}
	}
}
