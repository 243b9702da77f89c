package jose

import (
	"crypto/ed25519"
	"crypto/rand"
	"math/big"
	"slices"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

func okpJWK(x []byte) string {
	return `{"kty":"OKP","crv":"Ed25519","x":"` + encodePart(x) + `"}`
}

// lowOrderEncodings are encodings of the Ed25519 points of small order, made from the
// u-coordinates of Curve25519's points of small order as published with X25519
// (cr.yp.to/ecdh.html#validate: 0, 1, and the two of order 8), through the birational map
// y = (u-1)/(u+1), plus the neutral element y = 1; each with both signs of x and, where
// y+p < 2^255, the non-canonical spelling y+p.
func lowOrderEncodings() [][]byte {
	p := p25519
	u8a, _ := new(big.Int).SetString("325606250916557431795983626356110631294008115727848805560023387167927233504", 10)
	u8b, _ := new(big.Int).SetString("39382357235489614581723060781553021112529911719440698176882885853963445705823", 10)
	ys := []*big.Int{big.NewInt(1)}
	for _, u := range []*big.Int{big.NewInt(0), big.NewInt(1), u8a, u8b} {
		num := new(big.Int).Sub(u, big.NewInt(1))
		den := new(big.Int).Add(u, big.NewInt(1))
		y := num.Mul(num, new(big.Int).ModInverse(den, p))
		ys = append(ys, y.Mod(y, p))
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 255)
	var out [][]byte
	for _, y := range ys {
		spellings := []*big.Int{y}
		if alt := new(big.Int).Add(y, p); alt.Cmp(limit) < 0 {
			spellings = append(spellings, alt)
		}
		for _, v := range spellings {
			enc := v.FillBytes(make([]byte, 32))
			slices.Reverse(enc)
			out = append(out, enc)
			neg := slices.Clone(enc)
			neg[31] |= 0x80
			out = append(out, neg)
		}
	}
	return out
}

// TestLowOrderEd25519 refuses every encoding of a point of small order (a superset of
// go-jose's list, which must be wholly inside it), and no real key.
func TestLowOrderEd25519(t *testing.T) {
	goRefuses := 0
	for _, enc := range lowOrderEncodings() {
		if !lowOrderEd25519(enc) {
			t.Errorf("%x is of small order and was not refused", enc)
		}
		var ref gojose.JSONWebKey
		if ref.UnmarshalJSON([]byte(okpJWK(enc))) != nil {
			goRefuses++
		}
	}
	if goRefuses < 7 {
		t.Errorf("go-jose refuses only %d of these encodings: the list is not what it claims", goRefuses)
	}
	for range 200 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		if lowOrderEd25519(pub) {
			t.Fatalf("refused a real key %x", pub)
		}
	}
}
