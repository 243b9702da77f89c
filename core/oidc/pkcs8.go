package oidc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
)

// This file reads and writes the private-key containers Exeunt's configuration accepts
// (PKCS #8, RFC 5208 §5; SEC 1 ECPrivateKey, RFC 5915 §3) with the few DER rules they need
// (der.go), rather than with crypto/x509 or encoding/asn1: crypto/x509 brings package net
// and its init, which needs a WASI import (path_filestat_get) that older Envoys do not
// provide; encoding/asn1's reflection-driven Unmarshal and Marshal were about 220 KB of the
// module for these two structures (BENCHMARKS.md, "Issue 15: module size, continued").
// What is read is what encoding/asn1 read into the structures below, never more: a key
// encoding/asn1 refused is refused (FuzzPKCS8AgainstASN1, in pkcs8_ref_test.go, holds the
// two to that).
//
//	PrivateKeyInfo ::= SEQUENCE {                 -- RFC 5208 §5; trailing members (attributes,
//	  version INTEGER,                             -- RFC 5958's publicKey) are not read
//	  privateKeyAlgorithm SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL },
//	  privateKey OCTET STRING }
//	ECPrivateKey ::= SEQUENCE {                    -- RFC 5915 §3
//	  version INTEGER (1), privateKey OCTET STRING,
//	  parameters [0] EXPLICIT OBJECT IDENTIFIER OPTIONAL,
//	  publicKey [1] EXPLICIT BIT STRING OPTIONAL }

// Object identifiers, as the contents of their DER encoding (RFC 5480 §2.1.1 and §2.1.1.1,
// RFC 8410 §3, RFC 8017 App. C). DER encodes an identifier one way, so equal contents are
// equal identifiers.
var (
	oidECPublicKey = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}             // 1.2.840.10045.2.1
	oidRSAEncrypt  = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01} // 1.2.840.113549.1.1.1
	oidEd25519     = []byte{0x2b, 0x65, 0x70}                                     // 1.3.101.112
	oidX25519      = []byte{0x2b, 0x65, 0x6e}                                     // 1.3.101.110
	oidCurveP224   = []byte{0x2b, 0x81, 0x04, 0x00, 0x21}                         // 1.3.132.0.33
	oidCurveP256   = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}       // 1.2.840.10045.3.1.7
	oidCurveP384   = []byte{0x2b, 0x81, 0x04, 0x00, 0x22}                         // 1.3.132.0.34
	oidCurveP521   = []byte{0x2b, 0x81, 0x04, 0x00, 0x23}                         // 1.3.132.0.35
	errNotPrivate  = errors.New("not a private key")
)

// pkcs8KeyType names the non-EC key types PKCS #8 may hold; "" for any other.
func pkcs8KeyType(oid []byte) string {
	switch {
	case bytes.Equal(oid, oidRSAEncrypt):
		return "RSA"
	case bytes.Equal(oid, oidEd25519):
		return "Ed25519"
	case bytes.Equal(oid, oidX25519):
		return "X25519"
	}
	return ""
}

// namedCurve is the curve an identifier names, or nil.
func namedCurve(oid []byte) elliptic.Curve {
	switch {
	case bytes.Equal(oid, oidCurveP224):
		return elliptic.P224()
	case bytes.Equal(oid, oidCurveP256):
		return elliptic.P256()
	case bytes.Equal(oid, oidCurveP384):
		return elliptic.P384()
	case bytes.Equal(oid, oidCurveP521):
		return elliptic.P521()
	}
	return nil
}

// ForeignKeyError reports a readable private key that is not an EC key: its Type is
// "RSA", "Ed25519" or "X25519".
type ForeignKeyError struct{ Type string }

func (e *ForeignKeyError) Error() string { return "oidc: a " + e.Type + " key, not an EC key" }

// ParsePKCS8PrivateKey reads an unencrypted PKCS #8 EC private key on P-224, P-256, P-384
// or P-521 (the caller checks the curve). An RSA, Ed25519 or X25519 key fails with a
// [*ForeignKeyError], anything else with another error.
func ParsePKCS8PrivateKey(der []byte) (*ecdsa.PrivateKey, error) {
	info, rest, ok := derRead(der, derSequence)
	if !ok || len(rest) != 0 {
		return nil, errNotPrivate
	}
	version, info, ok := derRead(info, derInteger)
	if !ok || !derValidInt64(version) {
		return nil, errNotPrivate
	}
	alg, info, ok := derRead(info, derSequence)
	if !ok {
		return nil, errNotPrivate
	}
	private, _, ok := derRead(info, derOctetString)
	if !ok {
		return nil, errNotPrivate
	}
	algorithm, params, ok := derRead(alg, derOID)
	if !ok || !derValidOID(algorithm) {
		return nil, errNotPrivate
	}
	// The parameters are any one element, or none; what follows them is not read.
	var paramsTag byte
	var curveID []byte
	if len(params) > 0 {
		t, content, _, ok := derReadAny(params)
		if !ok {
			return nil, errNotPrivate
		}
		paramsTag, curveID = t, content
	}
	if t := pkcs8KeyType(algorithm); t != "" {
		return nil, &ForeignKeyError{Type: t}
	}
	if !bytes.Equal(algorithm, oidECPublicKey) {
		return nil, fmt.Errorf("unknown key algorithm %s", derOIDString(algorithm))
	}
	if paramsTag != derOID || !derValidOID(curveID) {
		return nil, errors.New("EC key without a named curve")
	}
	return parseSEC1(private, curveID)
}

// ParseSEC1PrivateKey reads a SEC 1 ECPrivateKey ("EC PRIVATE KEY", as openssl ecparam
// writes it) on P-224, P-256, P-384 or P-521.
func ParseSEC1PrivateKey(der []byte) (*ecdsa.PrivateKey, error) {
	return parseSEC1(der, nil)
}

// parseSEC1 reads an ECPrivateKey; curveID, when given (from PKCS #8), names the curve.
func parseSEC1(der []byte, curveID []byte) (*ecdsa.PrivateKey, error) {
	k, rest, ok := derRead(der, derSequence)
	if !ok || len(rest) != 0 {
		return nil, errNotPrivate
	}
	version, k, ok := derRead(k, derInteger)
	if !ok || !bytes.Equal(version, []byte{1}) {
		return nil, errNotPrivate
	}
	d, k, ok := derRead(k, derOctetString)
	if !ok {
		return nil, errNotPrivate
	}
	// The optional members: [0] the curve, then [1] the public key (read only to refuse a
	// malformed one, as encoding/asn1 did). An element is a member when its class and
	// number are the member's and it is constructed or empty (an empty one is refused
	// below, as encoding/asn1 refuses it); an element with another tag ends the members
	// read, and anything after them is not read.
	var namedCurveID []byte
	for _, member := range []byte{derExplicit0, derExplicit1} {
		if len(k) == 0 {
			break
		}
		// Whether the next element is the member is decided on its header alone, as
		// encoding/asn1 decided it (which refused a header that ends the structure).
		t, length, body, ok := derHeader(k)
		if !ok || len(body) == 0 {
			return nil, errNotPrivate
		}
		if t&^derConstructed != member&^derConstructed || t&derConstructed == 0 && length > 0 {
			continue
		}
		_, wrapped, after, ok := derReadAny(k)
		if !ok {
			return nil, errNotPrivate
		}
		want := derOID
		if member == derExplicit1 {
			want = derBitString
		}
		// Inside, encoding/asn1 took an element of another type as the member being
		// absent (and went on with the same element as the next member); the element of
		// the member's type must fill the wrapper exactly.
		innerTag, _, _, ok := derHeader(wrapped)
		if !ok {
			return nil, errNotPrivate
		}
		if innerTag != want {
			continue
		}
		inner, rest, ok := derRead(wrapped, want)
		if !ok || len(rest) != 0 {
			return nil, errNotPrivate
		}
		switch member {
		case derExplicit0:
			ok = derValidOID(inner)
			namedCurveID = inner
		case derExplicit1:
			ok = derValidBitString(inner)
		}
		if !ok {
			return nil, errNotPrivate
		}
		k = after
	}
	if curveID == nil {
		curveID = namedCurveID
	}
	curve := namedCurve(curveID)
	if curve == nil {
		return nil, errors.New("unknown curve")
	}
	// The scalar is the curve's size; like crypto/x509, tolerate the leading zeros some
	// writers add and the ones old OpenSSL versions dropped.
	size := (curve.Params().N.BitLen() + 7) / 8
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
	var sec1 []byte
	sec1 = derAppend(sec1, derInteger, []byte{1})
	sec1 = derAppend(sec1, derOctetString, scalar)
	sec1 = derAppend(sec1, derExplicit1, derAppend(nil, derBitString, append([]byte{0}, point...)))
	var alg []byte
	alg = derAppend(alg, derOID, oidECPublicKey)
	alg = derAppend(alg, derOID, oidCurveP256)
	var info []byte
	info = derAppend(info, derInteger, []byte{0})
	info = derAppend(info, derSequence, alg)
	info = derAppend(info, derOctetString, derAppend(nil, derSequence, sec1))
	return derAppend(nil, derSequence, info), nil
}
