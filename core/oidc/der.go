package oidc

import (
	"math"
	"strconv"
	"strings"
)

// The few DER rules (ITU-T X.690 §8 and §10) the private-key containers in pkcs8.go need,
// each as strict as encoding/asn1 is when it fills a structure: definite, minimal lengths
// (§10.1, §8.1.3), minimal integers (§8.3.2), well-formed identifiers (§8.19) and bit
// strings (§8.6.2, §11.2.1).

// The identifier octets of the elements read (§8.1.2: class, constructed bit, number).
const (
	derInteger     byte = 0x02
	derBitString   byte = 0x03
	derOctetString byte = 0x04
	derOID         byte = 0x06
	derSequence    byte = 0x30
	derExplicit0   byte = 0xa0 // [0], context-specific, constructed
	derExplicit1   byte = 0xa1 // [1]
	derConstructed byte = 0x20 // the constructed bit of an identifier octet
)

// derReadAny reads one element from the front of b: the first identifier octet (a tag
// number above 30 is read and checked, then known only by that octet's 0x1f), the
// contents and what follows. ok is false when b does not start with a whole element.
func derReadAny(b []byte) (tag byte, content, rest []byte, ok bool) {
	tag, length, b, ok := derHeader(b)
	if !ok || length > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:length], b[length:], true
}

// derHeader reads an element's identifier and length octets from the front of b: its
// first identifier octet, the length of its contents and what follows the header (which
// may be shorter than that length).
func derHeader(b []byte) (tag byte, length int, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, 0, nil, false
	}
	tag, b = b[0], b[1:]
	if tag&0x1f == 0x1f {
		// High tag number form: base 128, minimal, at least 31 (§8.1.2.4).
		n, used, ok := derBase128(b)
		if !ok || n < 0x1f {
			return 0, 0, nil, false
		}
		b = b[used:]
	}
	if len(b) == 0 {
		return 0, 0, nil, false
	}
	first := b[0]
	b = b[1:]
	length = int(first)
	if first&0x80 != 0 {
		// Long form: no indefinite length, no leading zeros, not below 128.
		count := int(first & 0x7f)
		if count == 0 {
			return 0, 0, nil, false
		}
		length = 0
		for i := 0; i < count; i++ {
			if len(b) == 0 || length >= 1<<23 {
				return 0, 0, nil, false
			}
			length = length<<8 | int(b[0])
			b = b[1:]
			if length == 0 {
				return 0, 0, nil, false
			}
		}
		if length < 0x80 {
			return 0, 0, nil, false
		}
	}
	return tag, length, b, true
}

// derRead reads one element with the identifier octet want from the front of b.
func derRead(b []byte, want byte) (content, rest []byte, ok bool) {
	tag, content, rest, ok := derReadAny(b)
	if !ok || tag != want {
		return nil, nil, false
	}
	return content, rest, true
}

// derBase128 reads one base-128 number (the high tag number form, an identifier's
// components): minimal (no leading 0x80), at most 2^31-1.
func derBase128(b []byte) (n int, used int, ok bool) {
	var v int64
	for i := 0; i < len(b); i++ {
		if i == 5 || (i == 0 && b[0] == 0x80) {
			return 0, 0, false
		}
		v = v<<7 | int64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			if v > math.MaxInt32 {
				return 0, 0, false
			}
			return int(v), i + 1, true
		}
	}
	return 0, 0, false
}

// derValidInt64 reports whether an INTEGER's contents are minimal and fit in 64 bits.
func derValidInt64(c []byte) bool {
	if len(c) == 0 || len(c) > 8 {
		return false
	}
	return len(c) == 1 || !(c[0] == 0 && c[1]&0x80 == 0 || c[0] == 0xff && c[1]&0x80 != 0)
}

// derValidOID reports whether an OBJECT IDENTIFIER's contents are one or more minimal
// base-128 numbers.
func derValidOID(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for len(c) > 0 {
		_, used, ok := derBase128(c)
		if !ok {
			return false
		}
		c = c[used:]
	}
	return true
}

// derOIDString writes a valid identifier in dotted form ("1.2.840.10045.2.1"); the first
// number holds the first two arcs (§8.19.4).
func derOIDString(c []byte) string {
	var s strings.Builder
	for first := true; len(c) > 0; first = false {
		v, used, _ := derBase128(c)
		c = c[used:]
		if first {
			arc := min(v/40, 2)
			s.WriteString(strconv.Itoa(arc))
			v -= 40 * arc
		}
		s.WriteByte('.')
		s.WriteString(strconv.Itoa(v))
	}
	return s.String()
}

// derValidBitString reports whether a BIT STRING's contents are well formed: a count of
// unused bits (0 to 7, 0 when there are no bits) and those bits zero.
func derValidBitString(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	unused := c[0]
	return unused <= 7 && !(len(c) == 1 && unused > 0) && c[len(c)-1]&(1<<unused-1) == 0
}

// derAppend appends an element with a definite, minimal length. Not inlined: its nine
// inlined copies in marshalPKCS8 were 9 KB of the module.
//
//go:noinline
func derAppend(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	n := len(content)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}
