package jose

import (
	"crypto/ecdh"
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

// p25519 is the field prime of Curve25519 and Ed25519, 2^255 - 19.
var p25519 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

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

// lowOrderByX25519 is the check lowOrderEd25519 replaced (kept here as its reference): it
// maps the Edwards y to the Montgomery u = (1+y)/(1-y) of the same point and lets
// crypto/ecdh do the rest: X25519 with a clamped scalar (a multiple of the cofactor 8)
// gives the all-zero output, which crypto/ecdh refuses, exactly for points of small order.
func lowOrderByX25519(t *testing.T, enc []byte) bool {
	probe, err := ecdh.X25519().NewPrivateKey(slices.Repeat([]byte{0x5a}, 32))
	if err != nil {
		t.Fatal(err)
	}
	le := slices.Clone(enc)
	le[31] &= 0x7f
	slices.Reverse(le)
	y := new(big.Int).SetBytes(le)
	y.Mod(y, p25519)
	one := big.NewInt(1)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, p25519)
	if den.Sign() == 0 {
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
	_, err = probe.ECDH(pub)
	return err != nil
}

// TestLowOrderEd25519AgainstX25519 holds lowOrderEd25519's list to the X25519 computation
// it replaced: on every listed value and its 40 neighbours (which cover every
// non-canonical spelling, 2^255-19 to 2^255-1), both signs of x, and random encodings.
func TestLowOrderEd25519AgainstX25519(t *testing.T) {
	var inputs [][]byte
	for _, s := range smallOrderY {
		be := slices.Clone(s)
		slices.Reverse(be)
		v := new(big.Int).SetBytes(be)
		for d := -20; d <= 20; d++ {
			w := new(big.Int).Add(v, big.NewInt(int64(d)))
			if w.Sign() < 0 || w.BitLen() > 255 {
				continue
			}
			enc := w.FillBytes(make([]byte, 32))
			slices.Reverse(enc)
			inputs = append(inputs, enc)
		}
	}
	for range 300 {
		enc := make([]byte, 32)
		rand.Read(enc)
		inputs = append(inputs, enc)
	}
	inputs = append(inputs, lowOrderEncodings()...)
	low := 0
	for _, enc := range inputs {
		for _, sign := range []byte{0, 0x80} {
			e := slices.Clone(enc)
			e[31] = e[31]&0x7f | sign
			want := lowOrderByX25519(t, e)
			if got := lowOrderEd25519(e); got != want {
				t.Errorf("%x: lowOrderEd25519 says %v, the X25519 computation %v", e, got, want)
			}
			if want {
				low++
			}
		}
	}
	if low < 2*len(smallOrderY) {
		t.Errorf("only %d inputs of small order: the listed values were not all tried", low)
	}
}
