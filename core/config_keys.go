package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/exeunt/exeunt/core/oidc"
)

// Keys seal the session cookie and sign the tokens Exeunt issues. In each list the
// first key seals or signs and every key verifies, so that a new key can be added
// first, and the old one removed only once nothing it protects is still alive. Every
// VM of every Envoy must be given the same keys. Treat Keys as read-only.
type Keys struct {
	// Sealing are the cookie-sealing keys (symmetric, 32 bytes).
	Sealing []SealingKey
	// Signing are the token-signing keys (ES256); their public halves are published at
	// Paths.JWKS.
	Signing []SigningKey
	// DevGenerate asks for keys generated once at start and shared by all VMs through
	// the store, instead of configured ones: for development only. Both lists are then
	// empty.
	DevGenerate bool
}

// SealingKey is a symmetric key that seals cookies (A256GCM direct encryption).
type SealingKey struct {
	KID    string
	Secret []byte // exactly 32 bytes
}

// SigningKey is an EC P-256 private key that signs tokens (ES256).
type SigningKey struct {
	KID string
	Key *ecdsa.PrivateKey
}

// sealingKeySize is the size of an A256GCM key.
const sealingKeySize = 32

// generateSecretHint says how to make a sealing secret.
const generateSecretHint = "generate one with: openssl rand -base64 32"

// generateKeyHint says how to make a signing key.
const generateKeyHint = "generate one with: openssl ecparam -name prime256v1 -genkey -noout"

func (cfg *Config) readKeys(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("keys")
	if err != nil || !ok {
		return err
	}
	k := &cfg.Keys
	sealing, _, err := o.optionalObjects("sealing")
	if err != nil {
		return err
	}
	for _, so := range sealing {
		key, err := readSealingKey(so)
		if err != nil {
			return err
		}
		for _, other := range k.Sealing {
			if other.KID == key.KID {
				return so.fieldError("kid", fmt.Sprintf("%q is already the kid of another sealing key; each key needs its own", key.KID))
			}
		}
		k.Sealing = append(k.Sealing, key)
	}
	signing, _, err := o.optionalObjects("signing")
	if err != nil {
		return err
	}
	for _, so := range signing {
		key, err := readSigningKey(so)
		if err != nil {
			return err
		}
		for _, other := range k.Signing {
			if other.KID == key.KID {
				return so.fieldError("kid", fmt.Sprintf("%q is already the kid of another signing key; each key needs its own", key.KID))
			}
		}
		k.Signing = append(k.Signing, key)
	}
	if k.DevGenerate, _, err = o.optionalBool("dev_generate"); err != nil {
		return err
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	if err := checkKeyMaterial(k, sealing, signing); err != nil {
		return err
	}
	if k.DevGenerate && (len(k.Sealing) > 0 || len(k.Signing) > 0) {
		return o.fieldError("dev_generate", "must not be true when keys are configured: either give sealing and signing keys, or generate them for development, not both")
	}
	return nil
}

// checkKeysPresent requires keys once sign-in is on.
func (cfg *Config) checkKeysPresent(obj *jsonObject) error {
	k := cfg.Keys
	if k.DevGenerate {
		return nil
	}
	if _, ok := obj.values["keys"]; !ok {
		return obj.fieldError("keys", `is required once sign-in is on: give keys.sealing and keys.signing, or set keys.dev_generate to true for development`)
	}
	if len(k.Sealing) == 0 {
		return &ConfigError{Field: "keys.sealing", Problem: "must list at least one key (" + generateSecretHint + "), or set keys.dev_generate to true for development"}
	}
	if len(k.Signing) == 0 {
		return &ConfigError{Field: "keys.signing", Problem: "must list at least one key (" + generateKeyHint + "), or set keys.dev_generate to true for development"}
	}
	return nil
}

func readKID(o *jsonObject) (string, error) {
	kid, err := requiredString(o, "kid", `a key id such as "2025-01"; it names the key in tokens, so never reuse one for different key material`)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(kid); i++ {
		if kid[i] <= ' ' || kid[i] >= 0x7f {
			return "", o.fieldError("kid", "must be visible ASCII without spaces")
		}
	}
	return kid, nil
}

// readSealingKey never quotes the secret in an error.
func readSealingKey(o *jsonObject) (SealingKey, error) {
	kid, err := readKID(o)
	if err != nil {
		return SealingKey{}, err
	}
	s, ok, err := o.optionalString("secret")
	if err != nil {
		return SealingKey{}, err
	}
	if !ok || s == "" {
		return SealingKey{}, o.fieldError("secret", "is required: 32 random bytes in base64url or base64; "+generateSecretHint)
	}
	secret, ok := decodeBase64(s)
	if !ok {
		return SealingKey{}, o.fieldError("secret", "is not valid base64url or base64; "+generateSecretHint)
	}
	if len(secret) != sealingKeySize {
		return SealingKey{}, o.fieldError("secret", fmt.Sprintf("must decode to exactly %d bytes, not %d; %s", sealingKeySize, len(secret), generateSecretHint))
	}
	if err := o.rejectUnknown(); err != nil {
		return SealingKey{}, err
	}
	return SealingKey{KID: kid, Secret: secret}, nil
}

// decodeBase64 accepts base64url or standard base64, with or without padding.
func decodeBase64(s string) ([]byte, bool) {
	enc := base64.RawURLEncoding
	if strings.ContainsAny(s, "+/") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.Strict().DecodeString(strings.TrimRight(s, "="))
	if err != nil || (strings.HasSuffix(s, "=") && len(s)%4 != 0) {
		return nil, false
	}
	return b, true
}

// readSigningKey never quotes the key in an error.
func readSigningKey(o *jsonObject) (SigningKey, error) {
	kid, err := readKID(o)
	if err != nil {
		return SigningKey{}, err
	}
	s, ok, err := o.optionalString("private_key_pem")
	if err != nil {
		return SigningKey{}, err
	}
	if !ok || s == "" {
		return SigningKey{}, o.fieldError("private_key_pem", "is required: an EC P-256 private key in PEM; "+generateKeyHint)
	}
	key, problem := parseSigningKey(s)
	if problem != "" {
		return SigningKey{}, o.fieldError("private_key_pem", problem)
	}
	if err := o.rejectUnknown(); err != nil {
		return SigningKey{}, err
	}
	return SigningKey{KID: kid, Key: key}, nil
}

// parseSigningKey reads an EC P-256 private key from PEM: SEC 1 ("EC PRIVATE KEY", as
// openssl ecparam writes, possibly after an "EC PARAMETERS" block) or PKCS #8
// ("PRIVATE KEY"). It returns the key or the problem, which never quotes the key.
func parseSigningKey(s string) (*ecdsa.PrivateKey, string) {
	var key *ecdsa.PrivateKey
	rest := []byte(s)
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		var parsed *ecdsa.PrivateKey
		var err error
		switch block.Type {
		case "EC PARAMETERS":
			continue
		case "EC PRIVATE KEY":
			if _, encrypted := block.Headers["Proc-Type"]; encrypted {
				return nil, "must not be encrypted: give the key without a passphrase"
			}
			parsed, err = oidc.ParseSEC1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			parsed, err = oidc.ParsePKCS8PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, "must not be encrypted: give the key without a passphrase"
		case "RSA PRIVATE KEY":
			return nil, "is an RSA key; tokens are signed with ES256, which needs an EC P-256 key: " + generateKeyHint
		default:
			return nil, fmt.Sprintf("holds a %q PEM block; it must hold an EC P-256 private key (\"EC PRIVATE KEY\" or \"PRIVATE KEY\"): %s", block.Type, generateKeyHint)
		}
		var foreign *oidc.ForeignKeyError
		if err != nil && !errors.As(err, &foreign) {
			return nil, fmt.Sprintf("holds a %q PEM block that cannot be read as a private key; %s", block.Type, generateKeyHint)
		}
		if key != nil {
			return nil, "holds more than one private key; give one key per entry, each with its own kid"
		}
		switch {
		case foreign != nil:
			// "is an RSA key", "is an Ed25519 key", "is an X25519 key".
			return nil, "is an " + foreign.Type + " key; tokens are signed with ES256, which needs an EC P-256 key: " + generateKeyHint
		case parsed.Curve != elliptic.P256():
			return nil, fmt.Sprintf("is an EC key on curve %s; tokens are signed with ES256, which needs P-256: %s", parsed.Curve.Params().Name, generateKeyHint)
		default:
			key = parsed
		}
	}
	if key == nil {
		hint := ""
		if strings.Contains(s, `\n`) {
			hint = ` (its line breaks seem escaped twice: in JSON write them as \n, not \\n)`
		}
		return nil, "is not a PEM private key; it must start with -----BEGIN EC PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----" + hint
	}
	return key, ""
}
