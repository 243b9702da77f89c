package core

import (
	"strings"
	"unsafe"
)

// Comparing and searching long strings in a Go guest.
//
// On GOARCH=wasm, Go's string comparison (runtime.memequal, internal/bytealg's
// equal_wasm.s) compares one byte per loop turn, its loop variables kept in the Wasm
// globals that stand for Go's registers: comparing a 1.5 KB session cookie costs
// 3.5-7 µs under wazero, against 0.8 µs eight bytes at a time (BENCHMARKS.md, "Issue
// 15: the signed-in request's own work"). sameLong compares whole strings the faster
// way on wasm and with == elsewhere, where memequal is already word-wide; the answer
// is the same either way (equal_words_test.go holds wordsEqual to ==). Likewise
// strings.IndexByte (memchr in indexbyte_wasm.s) looks at one byte per turn:
// indexLong, 32 bytes a turn, finds a ";" in a 1.5 KB cookie 2.5 to 3 times faster.

// sameLong reports whether a and b are equal; for strings of hundreds of bytes
// compared on every request (the session cookie against the VM's cache).
func sameLong(a, b string) bool {
	if wordCompare {
		return wordsEqual(a, b)
	}
	return a == b
}

// wordsEqual is a == b, eight bytes per step. Wasm and the 64-bit platforms Go's
// tests run on load unaligned words; the conversion is exempt from checkptr's
// alignment check (go test -race), which would otherwise flag it.
//
//go:nocheckptr
func wordsEqual(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n == 0 {
		return true
	}
	p, q := unsafe.Pointer(unsafe.StringData(a)), unsafe.Pointer(unsafe.StringData(b))
	if p == q {
		return true
	}
	i := 0
	for ; i+32 <= n; i += 32 { // four words a turn: a third less time than one (wazero)
		x := *(*uint64)(unsafe.Add(p, i)) ^ *(*uint64)(unsafe.Add(q, i))
		x |= *(*uint64)(unsafe.Add(p, i+8)) ^ *(*uint64)(unsafe.Add(q, i+8))
		x |= *(*uint64)(unsafe.Add(p, i+16)) ^ *(*uint64)(unsafe.Add(q, i+16))
		x |= *(*uint64)(unsafe.Add(p, i+24)) ^ *(*uint64)(unsafe.Add(q, i+24))
		if x != 0 {
			return false
		}
	}
	for ; i+8 <= n; i += 8 {
		if *(*uint64)(unsafe.Add(p, i)) != *(*uint64)(unsafe.Add(q, i)) {
			return false
		}
	}
	for ; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// indexLong is strings.IndexByte(s, c), for strings of hundreds of bytes searched on
// every request (the Cookie header, twice).
func indexLong(s string, c byte) int {
	if wordCompare {
		return wordsIndex(s, c)
	}
	return strings.IndexByte(s, c)
}

// wordsIndex is strings.IndexByte(s, c), looking at 32 bytes a turn for one equal to c
// (a word XOR c's pattern has a zero byte exactly when one of its bytes is c: the
// "haszero" test, exact as to whether there is one), then at each byte of that block.
//
//go:nocheckptr
func wordsIndex(s string, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	n := len(s)
	i := 0
	if n >= 32 {
		p := unsafe.Pointer(unsafe.StringData(s))
		pat := uint64(c) * lo
		for ; i+32 <= n; i += 32 {
			x0 := *(*uint64)(unsafe.Add(p, i)) ^ pat
			x1 := *(*uint64)(unsafe.Add(p, i+8)) ^ pat
			x2 := *(*uint64)(unsafe.Add(p, i+16)) ^ pat
			x3 := *(*uint64)(unsafe.Add(p, i+24)) ^ pat
			if ((x0-lo)&^x0|(x1-lo)&^x1|(x2-lo)&^x2|(x3-lo)&^x3)&hi != 0 {
				break
			}
		}
	}
	for ; i < n; i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
