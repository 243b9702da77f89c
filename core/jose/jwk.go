package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"math"
	"math/big"

	"github.com/exeunt/exeunt/core/jsonx"
)

// JSONWebKey is a public key from a JWK (RFC 7517 §4) with the members Exeunt reads.
type JSONWebKey struct {
	_ [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	// Key is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Key any
	// KeyID is "kid", Algorithm "alg" and Use "use"; each "" when absent.
	KeyID, Algorithm, Use string
}

// JSONWebKeySet is a set of public keys, in the order the provider listed them.
type JSONWebKeySet struct {
	Keys []JSONWebKey
}

// jwkMembers is the JSON shape of the JWK members [ParseJWK] reads. Other members
// ("key_ops", "x5c", "x5t", ...) are ignored: the key is what "kty" and its parameters
// say, and a certificate chain is not checked (trust in a provider's keys comes from
// fetching its jwks_uri, not from X.509).
type jwkMembers struct {
	_   [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	Kty string    `json:"kty"`
	Kid string    `json:"kid"`
	Alg string    `json:"alg"`
	Use string    `json:"use"`
	Crv string    `json:"crv"`
	N   *string   `json:"n"`
	E   *string   `json:"e"`
	X   *string   `json:"x"`
	Y   *string   `json:"y"`
}

// ParseJWK reads one public JWK: "kty" "RSA" (n, e), "EC" on P-256, P-384 or P-521 (x, y,
// each exactly the curve's size, the point on the curve) or "OKP" Ed25519 (x, 32 bytes,
// not a low-order point). Private members are not looked at here: a key set's reader
// must refuse them first. Keys of another type or curve fail with [ErrUnsupportedKey],
// and so do keys of a known type with missing or out-of-range members (RFC 7517 §5 asks
// that such keys be ignored).
func ParseJWK(data []byte) (JSONWebKey, error) {
	if _, err := parseObject(data); err != nil {
		return JSONWebKey{}, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	var m jwkMembers
	if err := jsonx.Unmarshal(data, &m); err != nil {
		return JSONWebKey{}, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	var key any
	var err error
	switch m.Kty {
	case "RSA":
		key, err = rsaKey(m)
	case "EC":
		key, err = ecKey(m)
	case "OKP":
		key, err = okpKey(m)
	default:
		err = fmt.Errorf("kty %s", quote(m.Kty))
	}
	if err != nil {
		return JSONWebKey{}, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return JSONWebKey{Key: key, KeyID: m.Kid, Algorithm: m.Alg, Use: m.Use}, nil
}

func member(name string, v *string) ([]byte, error) {
	if v == nil {
		return nil, fmt.Errorf("%q is missing", name)
	}
	b, ok := decodeJWKMember(*v)
	if !ok {
		return nil, fmt.Errorf("%q is not base64url", name)
	}
	return b, nil
}

func rsaKey(m jwkMembers) (*rsa.PublicKey, error) {
	n, err := member("n", m.N)
	if err != nil {
		return nil, err
	}
	e, err := member("e", m.E)
	if err != nil {
		return nil, err
	}
	N := new(big.Int).SetBytes(n)
	if N.BitLen() > MaxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits is over %d", N.BitLen(), MaxRSABits)
	}
	E := new(big.Int).SetBytes(e)
	if !E.IsInt64() || E.Int64() < 2 || E.Int64() > math.MaxInt {
		return nil, fmt.Errorf("RSA exponent out of range")
	}
	return &rsa.PublicKey{N: N, E: int(E.Int64())}, nil
}

// curves maps a JWK "crv" to its curve and coordinate size (RFC 7518 §6.2.1.1).
var curves = map[string]struct {
	curve elliptic.Curve
	size  int
}{
	"P-256": {elliptic.P256(), 32},
	"P-384": {elliptic.P384(), 48},
	"P-521": {elliptic.P521(), 66},
}

func ecKey(m jwkMembers) (*ecdsa.PublicKey, error) {
	c, ok := curves[m.Crv]
	if !ok {
		return nil, fmt.Errorf("crv %s", quote(m.Crv))
	}
	x, err := member("x", m.X)
	if err != nil {
		return nil, err
	}
	y, err := member("y", m.Y)
	if err != nil {
		return nil, err
	}
	// RFC 7518 §6.2.1.2: "The length of this octet string MUST be the full size of a
	// coordinate for the curve specified in the "crv" parameter."
	if len(x) != c.size || len(y) != c.size {
		return nil, fmt.Errorf("x and y must be %d bytes each", c.size)
	}
	// ParseUncompressedPublicKey checks that the point is on the curve (and not the
	// point at infinity).
	point := append(append([]byte{4}, x...), y...)
	key, err := ecdsa.ParseUncompressedPublicKey(c.curve, point)
	if err != nil {
		return nil, fmt.Errorf("x, y is not a point on %s", m.Crv)
	}
	return key, nil
}

func okpKey(m jwkMembers) (ed25519.PublicKey, error) {
	if m.Crv != "Ed25519" {
		return nil, fmt.Errorf("OKP crv %s", quote(m.Crv))
	}
	x, err := member("x", m.X)
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("an Ed25519 key is %d bytes", ed25519.PublicKeySize)
	}
	if lowOrderEd25519(x) {
		return nil, fmt.Errorf("Ed25519 key is a low-order point")
	}
	return ed25519.PublicKey(x), nil
}

// MarshalPublicJWKS writes {"keys":[...]} for keys, which must be P-256 public keys:
// each as {"use":"sig","kty":"EC","kid":...,"crv":"P-256","alg":"ES256","x":...,"y":...},
// the members in the order go-jose wrote them ("use", "kid" and "alg" left out when
// empty), so the published document is unchanged.
func MarshalPublicJWKS(keys []JSONWebKey) ([]byte, error) {
	var w jsonx.Writer
	w.ObjectStart()
	w.Key("keys")
	w.ArrayStart()
	for _, k := range keys {
		pub, ok := k.Key.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("jose: key %s is not a P-256 public key", quote(k.KeyID))
		}
		point, err := pub.Bytes() // 0x04 || x || y, each 32 bytes
		if err != nil {
			return nil, fmt.Errorf("jose: key %s: %v", quote(k.KeyID), err)
		}
		w.ObjectStart()
		for _, m := range [...]struct {
			name, value string
			omitEmpty   bool
		}{
			{"use", k.Use, true}, {"kty", "EC", false}, {"kid", k.KeyID, true}, {"crv", "P-256", false},
			{"alg", k.Algorithm, true}, {"x", encodePart(point[1:33]), false}, {"y", encodePart(point[33:]), false},
		} {
			if m.value != "" || !m.omitEmpty {
				w.Key(m.name)
				w.String(m.value)
			}
		}
		w.ObjectEnd()
	}
	w.ArrayEnd()
	w.ObjectEnd()
	return w.Bytes()
}

// Key returns the keys in the set whose "kid" is kid.
func (s *JSONWebKeySet) Key(kid string) []JSONWebKey {
	var out []JSONWebKey
	for _, k := range s.Keys {
		if k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

// DecodeJSON reads the members ParseJWK looks at, by their exact names (RFC 7517's
// names are case-sensitive; go-jose's JSON fork matches them exactly too).
//
//go:noinline
func (m *jwkMembers) DecodeJSON(d *jsonx.Decoder) error {
	return d.Fields(
		jsonx.Field{Name: "kty", Into: &m.Kty},
		jsonx.Field{Name: "kid", Into: &m.Kid},
		jsonx.Field{Name: "alg", Into: &m.Alg},
		jsonx.Field{Name: "use", Into: &m.Use},
		jsonx.Field{Name: "crv", Into: &m.Crv},
		jsonx.Field{Name: "n", Into: &m.N},
		jsonx.Field{Name: "e", Into: &m.E},
		jsonx.Field{Name: "x", Into: &m.X},
		jsonx.Field{Name: "y", Into: &m.Y},
	)
}
