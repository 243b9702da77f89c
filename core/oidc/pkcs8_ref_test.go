package oidc

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"testing"
)

// FuzzPKCS8AgainstASN1 holds der.go's reading of PKCS #8 and SEC 1 keys to what
// encoding/asn1 read before (refPKCS8, refSEC1 below, the code it replaced): whatever is
// read is read alike, a key asn1 refused is refused, and a non-EC key is named alike. The
// DER reader refuses one kind of malformed encoding asn1 let through: an explicit [0] or
// [1] member of an ECPrivateKey whose contents are not exactly one element (asn1 never
// checked the wrapper's own length). It is never more permissive. The corpus in
// testdata/fuzz holds a case it once got wrong (an empty primitive [0], which asn1 refused).
// `go test ./core/oidc/ -run '^$' -fuzz FuzzPKCS8AgainstASN1`.
func FuzzPKCS8AgainstASN1(f *testing.F) {
	for _, curve := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		key, _ := ecdsa.GenerateKey(curve, rand.Reader)
		p8, _ := x509.MarshalPKCS8PrivateKey(key)
		sec1, _ := x509.MarshalECPrivateKey(key)
		f.Add(p8)
		f.Add(sec1)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, k := range []any{rsaKey, edKey} {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		f.Add(der)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, c := range []struct {
			name      string
			ours, ref func([]byte) (*ecdsa.PrivateKey, error)
		}{
			{"PKCS #8", ParsePKCS8PrivateKey, refPKCS8},
			{"SEC 1", ParseSEC1PrivateKey, func(b []byte) (*ecdsa.PrivateKey, error) { return refSEC1(b, nil) }},
		} {
			got, err := c.ours(der)
			want, refErr := c.ref(der)
			var f1, f2 *ForeignKeyError
			if errors.As(err, &f1) != errors.As(refErr, &f2) || f1 != nil && f2 != nil && f1.Type != f2.Type {
				t.Fatalf("%s %x: ours %v, encoding/asn1's %v", c.name, der, err, refErr)
			}
			if err == nil && (refErr != nil || !got.Equal(want)) {
				t.Fatalf("%s %x: read, but encoding/asn1 gave %v", c.name, der, refErr)
			}
		}
	})
}

// refPKCS8 and refSEC1 are the encoding/asn1 reading der.go replaced (test-only now).
func refPKCS8(der []byte) (*ecdsa.PrivateKey, error) {
	var k struct {
		Version   int
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 {
		return nil, errNotPrivate
	}
	for oid, t := range map[string]string{"1.2.840.113549.1.1.1": "RSA", "1.3.101.112": "Ed25519", "1.3.101.110": "X25519"} {
		if k.Algorithm.Algorithm.String() == oid {
			return nil, &ForeignKeyError{Type: t}
		}
	}
	if k.Algorithm.Algorithm.String() != "1.2.840.10045.2.1" {
		return nil, errors.New("unknown key algorithm")
	}
	var curveID asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(k.Algorithm.Parameters.FullBytes, &curveID); err != nil || len(rest) != 0 {
		return nil, errors.New("EC key without a named curve")
	}
	return refSEC1(k.PrivateKey, curveID)
}

func refSEC1(der []byte, curveID asn1.ObjectIdentifier) (*ecdsa.PrivateKey, error) {
	var k struct {
		Version       int
		PrivateKey    []byte
		NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if rest, err := asn1.Unmarshal(der, &k); err != nil || len(rest) != 0 || k.Version != 1 {
		return nil, errNotPrivate
	}
	if curveID == nil {
		curveID = k.NamedCurveOID
	}
	curve := map[string]elliptic.Curve{"1.3.132.0.33": elliptic.P224(), "1.2.840.10045.3.1.7": elliptic.P256(),
		"1.3.132.0.34": elliptic.P384(), "1.3.132.0.35": elliptic.P521()}[curveID.String()]
	if curve == nil {
		return nil, errors.New("unknown curve")
	}
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

// TestDEROIDString: identifiers print as encoding/asn1 prints them.
func TestDEROIDString(t *testing.T) {
	for _, oid := range []asn1.ObjectIdentifier{{1, 2, 840, 10045, 2, 1}, {0, 39}, {1, 3, 101, 112}, {2, 999, 3}, {2, 5}} {
		der, _ := asn1.Marshal(oid)
		if got := derOIDString(der[2:]); got != oid.String() {
			t.Errorf("%v: %s", oid, got)
		}
	}
}
