package jose

import (
	"crypto/ecdh"
	"math/big"
	"slices"
)

// p25519 is the field prime of Curve25519 and Ed25519, 2^255 - 19.
var p25519 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// probeScalar is a fixed X25519 private key used only to test a point's order.
var probeScalar = func() *ecdh.PrivateKey {
	k, err := ecdh.X25519().NewPrivateKey(slices.Repeat([]byte{0x5a}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

// lowOrderEd25519 reports whether enc, a 32-byte Ed25519 public key, encodes a point of
// small order (any encoding of it, canonical or not). With such a key a "signature"
// verifies for many messages without any private key, so go-jose refuses these keys and
// so do we. The check maps the Edwards y to the Montgomery u = (1+y)/(1-y) of the same
// point and lets crypto/ecdh do the rest: X25519 with a clamped scalar (a multiple of the
// cofactor 8) gives the all-zero output, which crypto/ecdh refuses, exactly for points of
// small order.
func lowOrderEd25519(enc []byte) bool {
	le := slices.Clone(enc)
	le[31] &= 0x7f // the top bit is the sign of x, not part of y
	slices.Reverse(le)
	y := new(big.Int).SetBytes(le)
	y.Mod(y, p25519)
	one := big.NewInt(1)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, p25519)
	if den.Sign() == 0 { // y = 1: the neutral element
		return true
	}
	u := new(big.Int).Add(one, y)
	u.Mul(u, new(big.Int).ModInverse(den, p25519))
	u.Mod(u, p25519)
	ub := u.FillBytes(make([]byte, 32))
	slices.Reverse(ub)
	pub, err := ecdh.X25519().NewPublicKey(ub)
	if err != nil {
		return true
	}
	_, err = probeScalar.ECDH(pub)
	return err != nil
}
