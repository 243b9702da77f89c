package oidc

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
)

// PEM block types and the header that carries the key id.
const (
	pemSigningKey = "PRIVATE KEY" // PKCS #8, as openssl writes it
	pemSealingKey = "EXEUNT SEALING KEY"
	pemKIDHeader  = "Kid"
)

// GenerateSigningKey makes a fresh P-256 signing key named kid: the development default
// when the configuration names no keys.
func GenerateSigningKey(kid string) (SigningKey, error) {
	if kid == "" {
		return SigningKey{}, errorf(ErrKey, "empty kid")
	}
	// A random P-256 scalar from crypto/ecdh, made an ECDSA key: ecdsa.GenerateKey would
	// do the same but links key generation (and its self-test) for all four NIST curves,
	// about 12 KB of the module for P-256 alone in use.
	ek, err := ecdh.P256().GenerateKey(rand.Reader)
	var key *ecdsa.PrivateKey
	if err == nil {
		key, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), ek.Bytes())
	}
	if err != nil {
		return SigningKey{}, errorf(ErrKey, "cannot generate a P-256 key: %v", err)
	}
	return SigningKey{KID: kid, Key: key}, nil
}

// GenerateSealingKey makes a fresh random sealing key named kid: the development default
// when the configuration names no keys.
func GenerateSealingKey(kid string) (SealingKey, error) {
	if kid == "" {
		return SealingKey{}, errorf(ErrKey, "empty kid")
	}
	secret := make([]byte, SealingKeySize)
	randomBytes(secret)
	return SealingKey{KID: kid, Secret: secret}, nil
}

// MarshalSigningKeyPEM encodes k as a PKCS #8 "PRIVATE KEY" PEM block with its kid in a
// "Kid" PEM header, so that every VM can read back the same generated key (from shared
// data, for example). The result is a secret.
func MarshalSigningKeyPEM(k SigningKey) ([]byte, error) {
	if k.KID == "" || k.Key == nil || k.Key.Curve != elliptic.P256() {
		return nil, errorf(ErrKey, "a signing key needs a kid and a P-256 private key")
	}
	der, err := marshalPKCS8(k.Key)
	if err != nil {
		return nil, errorf(ErrKey, "cannot encode signing key %s: %v", quote(k.KID), err)
	}
	return encodeKeyPEM(pemSigningKey, k.KID, der), nil
}

// ParseSigningKeyPEM reads a key written by [MarshalSigningKeyPEM]: a PKCS #8 P-256 key,
// with its kid in the "Kid" PEM header.
func ParseSigningKeyPEM(data []byte) (SigningKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemSigningKey {
		return SigningKey{}, errorf(ErrKey, "not a %q PEM block", pemSigningKey)
	}
	kid := block.Headers[pemKIDHeader]
	if kid == "" {
		return SigningKey{}, errorf(ErrKey, "PEM block has no %q header", pemKIDHeader)
	}
	key, err := ParsePKCS8PrivateKey(block.Bytes)
	var foreign *ForeignKeyError
	if errors.As(err, &foreign) {
		return SigningKey{}, errorf(ErrKey, "signing key %s is not an ECDSA P-256 key", quote(kid))
	}
	if err != nil {
		return SigningKey{}, errorf(ErrKey, "signing key %s is not PKCS #8", quote(kid))
	}
	if key.Curve != elliptic.P256() {
		return SigningKey{}, errorf(ErrKey, "signing key %s is not an ECDSA P-256 key", quote(kid))
	}
	return SigningKey{KID: kid, Key: key}, nil
}

// MarshalSealingKeyPEM encodes k as an "EXEUNT SEALING KEY" PEM block with its kid in a
// "Kid" PEM header. The result is a secret.
func MarshalSealingKeyPEM(k SealingKey) ([]byte, error) {
	if k.KID == "" || len(k.Secret) != SealingKeySize {
		return nil, errorf(ErrKey, "a sealing key needs a kid and %d bytes", SealingKeySize)
	}
	return encodeKeyPEM(pemSealingKey, k.KID, k.Secret), nil
}

// ParseSealingKeyPEM reads a key written by [MarshalSealingKeyPEM].
func ParseSealingKeyPEM(data []byte) (SealingKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemSealingKey {
		return SealingKey{}, errorf(ErrKey, "not a %q PEM block", pemSealingKey)
	}
	kid := block.Headers[pemKIDHeader]
	if kid == "" {
		return SealingKey{}, errorf(ErrKey, "PEM block has no %q header", pemKIDHeader)
	}
	if len(block.Bytes) != SealingKeySize {
		return SealingKey{}, errorf(ErrKey, "sealing key %s is %d bytes; it must be %d", quote(kid), len(block.Bytes), SealingKeySize)
	}
	return SealingKey{KID: kid, Secret: block.Bytes}, nil
}

// encodeKeyPEM writes a PEM block of type typ with one header, "Kid: kid", the bytes
// pem.EncodeToMemory writes for the same block (TestEncodeKeyPEMIsPEMs compares them):
// the header, a blank line, the base64 in lines of 64 characters. pem.Encode streams
// through base64's encoder and a line breaker and sorts the header names, code the module
// carried for these two calls alone.
func encodeKeyPEM(typ, kid string, b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	out := make([]byte, 0, len(enc)+len(enc)/64+2*len(typ)+len(kid)+40)
	out = append(out, "-----BEGIN "+typ+"-----\n"+pemKIDHeader+": "+kid+"\n\n"...)
	for len(enc) > 64 {
		out = append(out, enc[:64]+"\n"...)
		enc = enc[64:]
	}
	if enc != "" {
		out = append(out, enc+"\n"...)
	}
	return append(out, "-----END "+typ+"-----\n"...)
}
