package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kjk/lzma"
)

// packData stores mod's data section as one LZMA stream (github.com/kjk/lzma's encoder,
// a port of the LZMA SDK's, with its longest matches) at the top of the initial memory, and
// makes the module's _initialize export a new function that first runs decoder (a
// function written here, decoding the stream over the data's range and zeroing its
// probabilities and the stream's bytes) and then the _initialize it replaces. The memory that _initialize then sees is what
// mod's data segments write over zeroed memory, byte for byte: checkDecoder runs the
// decoder's exact bytes over the exact data section in wazero and compares every byte of
// the initial memory before the module is returned.
func packData(mod []byte) ([]byte, dataStats, error) {
	var st dataStats
	secs, err := sections(mod)
	if err != nil {
		return nil, st, err
	}
	find := func(id byte) *section {
		for i := range secs {
			if secs[i].id == id {
				return &secs[i]
			}
		}
		return nil
	}
	data, code, fn, typ, exp, imp, memSec := find(11), find(10), find(3), find(1), find(7), find(2), find(5)
	if data == nil || code == nil || fn == nil || typ == nil || exp == nil || memSec == nil {
		return nil, st, errors.New("no data, code, function, type, export or memory section (Go's linker writes all six and defines its memory)")
	}
	if find(8) != nil {
		return nil, st, errors.New("the module has a start function, which Go's linker does not write: it would run before the data is decoded")
	}
	if imp != nil {
		r := reader{b: imp.payload}
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.name()
			r.name()
			switch kind := r.byte(); kind {
			case 0:
				r.u32()
			case 2:
				return nil, st, errors.New("the module imports its memory: its initial contents are not the module's to decode into")
			default:
				return nil, st, fmt.Errorf("an import of kind %d: only function imports are known", kind)
			}
		}
		if r.err != nil {
			return nil, st, errors.New("malformed import section")
		}
	}

	// The memory: exactly one, 32-bit, and its initial size.
	r := reader{b: memSec.payload}
	if n := r.u32(); n != 1 {
		return nil, st, fmt.Errorf("%d memories: only one is known", n)
	}
	flags := r.byte()
	if flags > 1 {
		return nil, st, fmt.Errorf("memory limits flags %#x (shared or 64-bit memory): not known", flags)
	}
	minPages := r.u32()
	if flags == 1 {
		r.u32()
	}
	if r.err != nil || r.i != len(r.b) {
		return nil, st, errors.New("malformed memory section")
	}
	if minPages == 0 || minPages > 1<<15 { // 2 GiB: every address below fits an i32.const
		return nil, st, fmt.Errorf("an initial memory of %d pages: not known", minPages)
	}
	memBytes := int(minPages) * pageBytes

	segs, err := dataSegments(data.payload)
	if err != nil {
		return nil, st, err
	}
	if len(segs) == 0 {
		return nil, st, errors.New("no data segment: nothing to pack")
	}
	if dc := find(12); dc != nil {
		r := reader{b: dc.payload}
		if n := r.u32(); r.err != nil || r.i != len(r.b) || int(n) != len(segs) {
			return nil, st, errors.New("the data count section does not count the data segments")
		}
		dc.payload = appendU32(nil, 1)
	}
	lo, hi := int(segs[0].offset), 0
	for _, s := range segs {
		lo = min(lo, int(s.offset))
		hi = max(hi, int(s.offset)+len(s.data))
	}
	if hi > memBytes {
		return nil, st, fmt.Errorf("the data segments reach %d, past the initial memory's %d bytes", hi, memBytes)
	}
	// The memory the segments write (what instantiation gives every other byte: zero).
	want := make([]byte, memBytes)
	for _, s := range segs {
		copy(want[s.offset:], s.data)
	}
	src := want[lo:hi]
	stream, props, err := compress(src)
	if err != nil {
		return nil, st, err
	}
	// The stream goes at the top of the initial memory, above the decoded range, and the
	// decoder's probabilities between the two, so the decoder never writes over a byte it
	// has still to read. Nothing else is moved to make room: a module whose data leaves
	// too little room is refused.
	at := memBytes - len(stream)
	probs := (hi + 3) &^ 3
	if short := probs + int(lzmaProbBytes(props)) - at; short > 0 {
		return nil, st, fmt.Errorf("the %d-byte compressed data and the decoder's %d bytes of probabilities do not fit between the data's end (%d) and the initial memory's end (%d, %d pages): %d bytes short; the memory section's minimum would have to grow",
			len(stream), lzmaProbBytes(props), hi, memBytes, minPages, short)
	}
	l := decodeLayout{src: uint32(at), srcEnd: uint32(memBytes), dst: uint32(lo), dstEnd: uint32(hi), probs: uint32(probs)}
	body := decoderBody(l, props)
	var nd []byte
	nd = appendU32(nd, 1)
	nd = append(nd, 0, 0x41)
	nd = appendS32(nd, int32(at))
	nd = append(nd, 0x0b)
	nd = appendU32(nd, uint32(len(stream)))
	nd = append(nd, stream...)
	if err := checkDecoder(body, nd, minPages, want); err != nil {
		return nil, st, fmt.Errorf("the decoder does not write the module's memory: %w", err)
	}
	data.payload = nd

	nImports, funcTypes, initAt, initFunc, voidType, err := initialize(imp, typ, fn, exp)
	if err != nil {
		return nil, st, err
	}
	// Two functions, after every other: the decoder, and the new _initialize that calls
	// it and then the old one.
	decoder := uint32(nImports + len(funcTypes))
	wrapper := decoder + 1
	var wrap []byte
	wrap = append(wrap, 0, 0x10) // no locals; call
	wrap = appendU32(wrap, decoder)
	wrap = append(wrap, 0x10)
	wrap = appendU32(wrap, initFunc)
	wrap = append(wrap, 0x0b)

	r = reader{b: code.payload}
	nCode := r.u32()
	if r.err != nil || int(nCode) != len(funcTypes) {
		return nil, st, errors.New("the code section's count is not the function section's")
	}
	var nc []byte
	nc = appendU32(nc, nCode+2)
	nc = append(nc, code.payload[r.i:]...)
	nc = appendU32(nc, uint32(len(body)))
	nc = append(nc, body...)
	nc = appendU32(nc, uint32(len(wrap)))
	code.payload = append(nc, wrap...)

	var nf []byte
	nf = appendU32(nf, uint32(len(funcTypes)+2))
	r = reader{b: fn.payload}
	r.u32()
	nf = append(nf, fn.payload[r.i:]...)
	fn.payload = appendU32(appendU32(nf, voidType), voidType)

	exp.payload = repointExport(exp.payload, initAt, wrapper)
	out := writeModule(mod[:8], secs)
	st = dataStats{segments: len(segs), lo: lo, hi: hi, block: len(stream), at: at, pages: int(minPages)}
	return out, st, nil
}

const pageBytes = 65536

// compress is src as an LZMA stream without the .lzma header, and the properties the
// header gave. The encoder runs in a goroutine of its own and reports its failures as
// panics turned into errors; its output is only trusted after checkDecoder.
func compress(src []byte) (stream []byte, p lzmaProps, err error) {
	var buf bytes.Buffer
	// Level 7 is level 9 (fast bytes 256, binary-tree match finder) with a 32 MB
	// dictionary instead of 128 MB: for data shorter than 32 MB (a module's is 3.3 MB)
	// every match either could find is within both, so the streams are the same, and
	// level 7's match finder allocates a quarter of level 9's gigabyte.
	w := lzma.NewWriterSizeLevel(&buf, int64(len(src)), 7)
	if _, err := w.Write(src); err != nil {
		return nil, p, fmt.Errorf("the LZMA encoder failed on the %d bytes of data: %w", len(src), err)
	}
	if err := w.Close(); err != nil {
		return nil, p, fmt.Errorf("the LZMA encoder failed on the %d bytes of data: %w", len(src), err)
	}
	const header = 13 // properties, dictionary size (4 bytes), length (8 bytes, little-endian)
	b := buf.Bytes()
	if len(b) < header+5 {
		return nil, p, fmt.Errorf("the LZMA encoder wrote %d bytes for %d: no stream", len(b), len(src))
	}
	p, ok := lzmaPropsOf(b[0])
	var n uint64
	for i := range 8 {
		n |= uint64(b[5+i]) << (8 * i)
	}
	if !ok || n != uint64(len(src)) {
		return nil, p, fmt.Errorf("the LZMA encoder's header (properties %#x, length %d) is not one for the %d bytes given", b[0], n, len(src))
	}
	return b[header:], p, nil
}

type dataStats struct {
	segments, lo, hi, block, at, pages int
}

// sections splits a module into its sections.
func sections(mod []byte) ([]section, error) {
	if len(mod) < 8 || !bytes.Equal(mod[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	var secs []section
	for r := (reader{b: mod, i: 8}); r.i < len(mod); {
		id := r.byte()
		n := int(r.u32())
		if r.err != nil || r.i+n > len(mod) {
			return nil, errors.New("truncated section")
		}
		secs = append(secs, section{id, mod[r.i : r.i+n]})
		r.i += n
	}
	return secs, nil
}

// dataSegments reads a data section: active segments of memory 0 with an i32.const
// offset, the only kind Go's linker and wasm-opt write for it.
func dataSegments(payload []byte) ([]segment, error) {
	r := reader{b: payload}
	var segs []segment
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		if flags := r.u32(); flags != 0 {
			return nil, fmt.Errorf("a data segment with flags %d: only active segments of memory 0 are known", flags)
		}
		if r.byte() != 0x41 {
			return nil, errors.New("a data segment whose offset is not an i32.const")
		}
		off := r.s32()
		if r.byte() != 0x0b {
			return nil, errors.New("a data segment whose offset expression is longer than i32.const")
		}
		size := int(r.u32())
		if r.err != nil || r.i+size > len(r.b) || off < 0 {
			return nil, errors.New("truncated data segment")
		}
		segs = append(segs, segment{uint32(off), r.b[r.i : r.i+size]})
		r.i += size
	}
	if r.err != nil || r.i != len(r.b) {
		return nil, errors.New("malformed data section")
	}
	return segs, nil
}

// initialize finds the _initialize export: the number of imported functions, each
// defined function's type, where the export's index is in the export section, the
// function it names and that function's type (of no arguments and no results).
func initialize(imp, typ, fn, exp *section) (nImports int, funcTypes []uint32, initAt int, initFunc, voidType uint32, err error) {
	if imp != nil {
		r := reader{b: imp.payload}
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.name()
			r.name()
			switch kind := r.byte(); kind {
			case 0:
				r.u32()
				nImports++
			case 1:
				r.byte()
				r.limits()
			case 2:
				r.limits()
			case 3:
				r.byte()
				r.byte()
			default:
				return 0, nil, 0, 0, 0, fmt.Errorf("an import of kind %d", kind)
			}
		}
		if r.err != nil {
			return 0, nil, 0, 0, 0, errors.New("malformed import section")
		}
	}
	var types [][2][]byte
	r := reader{b: typ.payload}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		if r.byte() != 0x60 {
			return 0, nil, 0, 0, 0, errors.New("a type that is not a function type")
		}
		params := r.vec()
		results := r.vec()
		types = append(types, [2][]byte{params, results})
	}
	if r.err != nil {
		return 0, nil, 0, 0, 0, errors.New("malformed type section")
	}
	r = reader{b: fn.payload}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		funcTypes = append(funcTypes, r.u32())
	}
	if r.err != nil {
		return 0, nil, 0, 0, 0, errors.New("malformed function section")
	}
	initAt = -1
	r = reader{b: exp.payload}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		name := r.name()
		kind := r.byte()
		at := r.i
		idx := r.u32()
		if string(name) == "_initialize" && kind == 0 {
			initAt, initFunc = at, idx
		}
	}
	if r.err != nil || initAt < 0 {
		return 0, nil, 0, 0, 0, errors.New("no _initialize function export (a Go -buildmode=c-shared wasip1 module has one)")
	}
	if initFunc < uint32(nImports) || int(initFunc)-nImports >= len(funcTypes) {
		return 0, nil, 0, 0, 0, errors.New("_initialize is imported or out of range")
	}
	voidType = funcTypes[int(initFunc)-nImports]
	if int(voidType) >= len(types) || len(types[voidType][0]) != 0 || len(types[voidType][1]) != 0 {
		return 0, nil, 0, 0, 0, errors.New("_initialize is not a function of no arguments and no results")
	}
	return nImports, funcTypes, initAt, initFunc, voidType, nil
}
