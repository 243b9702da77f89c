package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
)

// decodeLayout is where the decoder reads the LZ4 block, [src, srcEnd), and where it
// writes the data, [dst, dstEnd). The block lies wholly above the data (srcEnd is the
// initial memory's end): the decoder reads no byte it or the zeroing wrote.
type decodeLayout struct {
	src, srcEnd, dst, dstEnd uint32
}

// shortCopy: copies shorter than this are made by a byte loop, not memory.copy, which
// engines run as a call out of the compiled code (in V8 about as long as a loop over a few
// dozen bytes: the decoding took 6 times as long with memory.copy alone); most of an LZ4
// block's literals and matches are short.
const shortCopy = 32

// The decoder's locals, all i32.
const (
	lS   = iota // the next byte of the block to read
	lD          // the next byte of the data to write
	lTok        // the sequence's token
	lN          // a length: the literals', then the match's still to copy
	lB          // a length-extension byte
	lM          // the match's start, d - offset
	lC          // the length of one copy of the match
	nLocals
)

// decoderBody is the code-section body of a function of no arguments that decodes an
// LZ4 block (the block format of github.com/lz4/lz4's doc/lz4_Block_format.md: sequences of
// a token, literals, a 2-byte little-endian offset and a match; the last sequence has
// literals only) from l.src..l.srcEnd into l.dst..l.dstEnd and then zeroes l.src..l.srcEnd.
//
// It traps (unreachable) rather than write outside [dst, dstEnd) or read outside [src,
// srcEnd): on a length that runs past either, a zero offset or one before dst, a block
// that ends inside a sequence, and a block that does not fill [dst, dstEnd) exactly. Copies
// shorter than shortCopy are byte loops; a longer match is copied with memory.copy in
// chunks no longer than the distance already written from its start, so an overlapping
// match (offset < length: a run) is the repetition the format means, each chunk twice the
// last. The instructions are MVP Wasm and bulk
// memory's memory.copy and memory.fill, which Go's own code already uses.
func decoderBody(l decodeLayout) []byte {
	var a asm
	a.b = append(a.b, 1, nLocals, 0x7f) // nLocals locals of type i32
	a.constant(l.src).set(lS)
	a.constant(l.dst).set(lD)
	a.op(0x02, 0x40) // block $done
	a.op(0x03, 0x40) // loop $sequence
	// token
	a.get(lS).constant(l.srcEnd).op(0x4f).trapIf() // s >= srcEnd
	a.get(lS).op(0x2d, 0, 0).set(lTok)             // i32.load8_u
	a.inc(lS, 1)
	a.get(lTok).constant(4).op(0x76).set(lN) // n = tok >> 4
	a.extend(l)
	// literals
	a.get(lN).constant(l.srcEnd).get(lS).op(0x6b).op(0x4b).trapIf() // n > srcEnd - s
	a.get(lN).constant(l.dstEnd).get(lD).op(0x6b).op(0x4b).trapIf() // n > dstEnd - d
	a.get(lN).constant(shortCopy).op(0x49, 0x04, 0x40)              // if n < shortCopy
	a.byteCopy(lS)
	a.op(0x05)                                     // else
	a.get(lD).get(lS).get(lN).op(0xfc, 0x0a, 0, 0) // memory.copy
	a.get(lD).get(lN).op(0x6a).set(lD)
	a.get(lS).get(lN).op(0x6a).set(lS)
	a.op(0x0b)
	a.get(lS).constant(l.srcEnd).op(0x46, 0x0d, 1) // br_if $done (s == srcEnd)
	// offset
	a.constant(l.srcEnd).get(lS).op(0x6b).constant(2).op(0x49).trapIf() // srcEnd - s < 2
	a.get(lS).op(0x2f, 0, 0).set(lM)                                    // i32.load16_u
	a.inc(lS, 2)
	a.get(lM).op(0x45).trapIf()                                     // offset == 0
	a.get(lM).get(lD).constant(l.dst).op(0x6b).op(0x4b).trapIf()    // offset > d - dst
	a.get(lD).get(lM).op(0x6b).set(lM)                              // m = d - offset
	a.get(lTok).constant(15).op(0x71).set(lN)                       // n = tok & 15
	a.extend(l)                                                     //
	a.get(lN).constant(4).op(0x6a).set(lN)                          // n += 4 (minmatch)
	a.get(lN).constant(l.dstEnd).get(lD).op(0x6b).op(0x4b).trapIf() // n > dstEnd - d
	a.get(lN).constant(shortCopy).op(0x49, 0x04, 0x40)              // if n < shortCopy
	a.byteCopy(lM)
	a.op(0x05)       // else: in chunks of c = min(d - m, n)
	a.op(0x03, 0x40) // loop $copy
	a.get(lN).get(lD).get(lM).op(0x6b).tee(lC).get(lN).get(lC).op(0x49, 0x1b).set(lC)
	a.get(lD).get(lM).get(lC).op(0xfc, 0x0a, 0, 0)
	a.get(lD).get(lC).op(0x6a).set(lD)
	a.get(lN).get(lC).op(0x6b).tee(lN).op(0x0d, 0) // br_if $copy (n != 0)
	a.op(0x0b, 0x0b)                               // end $copy, end if
	a.op(0x0c, 0)                                  // br $sequence
	a.op(0x0b, 0x0b)                               // end $sequence, end $done
	a.get(lD).constant(l.dstEnd).op(0x47).trapIf() // d != dstEnd
	a.constant(l.src).constant(0).constant(l.srcEnd-l.src).op(0xfc, 0x0b, 0)
	a.op(0x0b)
	return a.b
}

// asm writes Wasm instructions.
type asm struct{ b []byte }

func (a *asm) op(b ...byte) *asm { a.b = append(a.b, b...); return a }
func (a *asm) get(l byte) *asm   { return a.op(0x20, l) }
func (a *asm) set(l byte) *asm   { return a.op(0x21, l) }
func (a *asm) tee(l byte) *asm   { return a.op(0x22, l) }

// constant pushes v, an address or length below 2 GiB, as an i32.const.
func (a *asm) constant(v uint32) *asm {
	a.b = appendS32(append(a.b, 0x41), int32(v))
	return a
}

func (a *asm) inc(l byte, by uint32) *asm { return a.get(l).constant(by).op(0x6a).set(l) }

// trapIf traps when the i32 on the stack is not zero.
func (a *asm) trapIf() *asm { return a.op(0x04, 0x40, 0x00, 0x0b) }

// byteCopy copies n bytes, one at a time in increasing order, from the address in local
// from to d, advancing both and bringing n to zero. An overlapping match (from = d -
// offset, offset < n) so repeats its last offset bytes, as the format means.
func (a *asm) byteCopy(from byte) {
	a.op(0x02, 0x40, 0x03, 0x40)           // block, loop
	a.get(lN).op(0x45, 0x0d, 1)            // br_if out (n == 0)
	a.get(lD).get(from).op(0x2d, 0, 0)     // i32.load8_u
	a.op(0x3a, 0, 0)                       // i32.store8
	a.inc(lD, 1).inc(from, 1)              //
	a.get(lN).constant(1).op(0x6b).set(lN) // n--
	a.op(0x0c, 0, 0x0b, 0x0b)              // br loop, end loop, end block
}

// extend adds LZ4's length extension to n when n is 15: bytes are added while each is
// 255, the first that is not ends it.
func (a *asm) extend(l decodeLayout) {
	a.get(lN).constant(15).op(0x46, 0x04, 0x40) // if n == 15
	a.op(0x03, 0x40)                            // loop
	a.get(lS).constant(l.srcEnd).op(0x4f).trapIf()
	a.get(lS).op(0x2d, 0, 0).set(lB)
	a.inc(lS, 1)
	a.get(lN).get(lB).op(0x6a).set(lN)
	a.get(lB).constant(255).op(0x46, 0x0d, 0) // br_if loop (b == 255)
	a.op(0x0b, 0x0b)                          // end loop, end if
}

// checkDecoder instantiates, in wazero, a module of the decoder's body, the data section
// payload dataSection and a memory of pages pages, runs the decoder, and compares the
// whole memory with want. The module is built from the same bytes the packed module
// gets, so what is checked is what ships.
func checkDecoder(body, dataSection []byte, pages uint32, want []byte) error {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, checkModule(body, dataSection, pages))
	if err != nil {
		return fmt.Errorf("the check module does not instantiate: %w", err)
	}
	if _, err := mod.ExportedFunction("d").Call(ctx); err != nil {
		return fmt.Errorf("the decoder trapped: %w", err)
	}
	got, ok := mod.Memory().Read(0, mod.Memory().Size())
	if !ok || len(got) != len(want) {
		return fmt.Errorf("the memory is %d bytes after decoding, not %d", mod.Memory().Size(), len(want))
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		return fmt.Errorf("byte %d (%#x) is %#02x after decoding, not %#02x", i, i, got[i], want[i])
	}
	return nil
}

// checkModule is a module of one function, body, exported as "d", a memory of pages pages
// exported as "m", and the data section dataSection.
func checkModule(body, dataSection []byte, pages uint32) []byte {
	var m []byte
	m = append(m, "\x00asm\x01\x00\x00\x00"...)
	sec := func(id byte, payload []byte) {
		m = append(m, id)
		m = appendU32(m, uint32(len(payload)))
		m = append(m, payload...)
	}
	sec(1, []byte{1, 0x60, 0, 0})                                     // one type: [] -> []
	sec(3, []byte{1, 0})                                              // one function of it
	sec(5, appendU32([]byte{1, 0}, pages))                            // a memory of pages
	sec(7, []byte{2, 1, 'm', 2, 0, 1, 'd', 0, 0})                     // export "m", "d"
	sec(10, append(appendU32([]byte{1}, uint32(len(body))), body...)) // the decoder
	sec(11, dataSection)
	return m
}
