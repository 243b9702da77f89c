package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"errors"
	"fmt"
)

// This file reads and writes the private-key containers Exeunt's configuration accepts
// (PKCS #8, RFC 5208 §5; SEC 1 ECPrivateKey, RFC 5915 §3) with encoding/asn1 rather than
// crypto/x509: crypto/x509 brings package net and its init, which needs a WASI import
// (path_filestat_get) that older Envoys do not provide, plus every certificate type.
// encoding/asn1 is linked anyway (crypto/ecdsa needs it).

// Object identifiers (RFC 5480 §2.1.1 and §2.1.1.1, RFC 8410 §3, RFC 8017 App. C).
var (
	oidECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidRSAEncrypt   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidEd25519      = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidX25519       = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidCurveP224    = asn1.ObjectIdentifier{1, 3, 132, 0, 33}
	oidCurveP256    = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384    = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidCurveP521    = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	errNotPrivate   = errors.New("not a private key")
	pkcs8KeyTypes   = map[string]string{oidRSAEncrypt.String(): "RSA", oidEd25519.String(): "Ed25519", oidX25519.String(): "X25519"}
	namedCurvesByID = map[string]elliptic.Curve{
		oidCurveP224.String(): elliptic.P224(), oidCurveP256.String(): elliptic.P256(),
		oidCurveP384.String(): elliptic.P384(), oidCurveP521.String(): elliptic.P521(),
	}
)

// pkcs8Key is PKCS #8's PrivateKeyInfo; optional attributes are not read.
type pkcs8Key struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// sec1Key is SEC 1's ECPrivateKey.
type sec1Key struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// ForeignKeyError reports a readable private key that is not an EC key: its Type is
// "RSA", "Ed25519" or "X25519".
type ForeignKeyError struct{ Type string }

func (e *ForeignKeyError) Error() string { return "oidc: a " + e.Type + " key, not an EC key" }

// ParsePKCS8PrivateKey reads an unencrypted PKCS #8 EC private key on P-224, P-256, P-384
// or P-521 (the caller checks the curve). An RSA, Ed25519 or X25519 key fails with a
// [*ForeignKeyError], anything else with another error.
func ParsePKCS8PrivateKey(der []byte) (*ecdsa.PrivateKey, error) {
	var k pkcs8Key
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 {
		return nil, errNotPrivate
	}
	if t, ok := pkcs8KeyTypes[k.Algorithm.Algorithm.String()]; ok {
		return nil, &ForeignKeyError{Type: t}
	}
	if !k.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, fmt.Errorf("unknown key algorithm %v", k.Algorithm.Algorithm)
	}
	var curveID asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(k.Algorithm.Parameters.FullBytes, &curveID); err != nil || len(rest) != 0 {
		return nil, errors.New("EC key without a named curve")
	}
	return parseSEC1(k.PrivateKey, curveID)
}

// ParseSEC1PrivateKey reads a SEC 1 ECPrivateKey ("EC PRIVATE KEY", as openssl ecparam
// writes it) on P-224, P-256, P-384 or P-521.
func ParseSEC1PrivateKey(der []byte) (*ecdsa.PrivateKey, error) {
	return parseSEC1(der, nil)
}

// parseSEC1 reads an ECPrivateKey; curveID, when given (from PKCS #8), names the curve.
func parseSEC1(der []byte, curveID asn1.ObjectIdentifier) (*ecdsa.PrivateKey, error) {
	var k sec1Key
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 || k.Version != 1 {
		return nil, errNotPrivate
	}
	if curveID == nil {
		curveID = k.NamedCurveOID
	}
	curve, ok := namedCurvesByID[curveID.String()]
	if !ok {
		return nil, errors.New("unknown curve")
	}
	// The scalar is the curve's size; like crypto/x509, tolerate the leading zeros some
	// writers add and the ones old OpenSSL versions dropped.
	size := (curve.Params().N.BitLen() + 7) / 8
	d := k.PrivateKey
	for len(d) > size && d[0] == 0 {
		d = d[1:]
	}
	if len(d) > size {
		return nil, errors.New("private scalar too long")
	}
	scalar := make([]byte, size)
	copy(scalar[size-len(d):], d)
	return ecdsa.ParseRawPrivateKey(curve, scalar)
}

// marshalPKCS8 writes key (on P-256) as PKCS #8 DER, byte for byte as crypto/x509's
// MarshalPKCS8PrivateKey does: the curve in the algorithm's parameters, and an
// ECPrivateKey with the public key but without the curve inside.
func marshalPKCS8(key *ecdsa.PrivateKey) ([]byte, error) {
	scalar, err := key.Bytes()
	if err != nil {
		return nil, err
	}
	point, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	inner, err := asn1.Marshal(sec1Key{Version: 1, PrivateKey: scalar, PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(oidCurveP256)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8Key{
		Algorithm:  algorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		PrivateKey: inner,
	})
}
