package jose

import "bytes"

// smallOrderY are the y-coordinates, as little-endian 32-byte encodings with the sign bit
// of x clear, of the Ed25519 points of small order: 1 (the neutral element), p-1 (order
// 2), 0 (order 4), the two of order 8, and the two values below 2^255 that spell 0 and 1
// non-canonically (p and p+1; p = 2^255-19). Every other y whose encoding is at least p
// reduces to 2..18, the y of no point of small order.
//
// The order-8 values solve d·y^4 + 2·y^2 - 1 = 0 (doubling such a point gives x^2 = -y^2,
// a point of order 4). The list replaced a computation in math/big and crypto/ecdh's
// X25519 (u = (1+y)/(1-y), then a scalar multiplication with a clamped scalar), which
// linked math/big's division and GCD and X25519 into the module for one check;
// TestLowOrderEd25519AgainstX25519 holds the list to that computation, kept in the test.
var smallOrderY = func() [][]byte {
	hexes := []string{
		"0000000000000000000000000000000000000000000000000000000000000001", // 1
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec", // p-1
		"0000000000000000000000000000000000000000000000000000000000000000", // 0
		"05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826", // order 8
		"7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7", // order 8
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed", // p (0)
		"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffee", // p+1 (1)
	}
	out := make([][]byte, len(hexes))
	for i, h := range hexes {
		le := make([]byte, 32)
		for j := range 32 { // big-endian hex to little-endian bytes
			le[31-j] = unhex(h[2*j])<<4 | unhex(h[2*j+1])
		}
		out[i] = le
	}
	return out
}()

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// lowOrderEd25519 reports whether enc, a 32-byte Ed25519 public key, encodes a point of
// small order (any encoding of it, canonical or not). With such a key a "signature"
// verifies for many messages without any private key, so go-jose refuses these keys and
// so do we. The sign bit of x does not matter: both points with a small-order y are of
// small order.
func lowOrderEd25519(enc []byte) bool {
	if len(enc) != 32 {
		return true // not a key this check can clear: refused (the caller checks the size first)
	}
	var y [32]byte
	copy(y[:], enc)
	y[31] &= 0x7f // the top bit is the sign of x, not part of y
	for _, s := range smallOrderY {
		if bytes.Equal(y[:], s) {
			return true
		}
	}
	return false
}
