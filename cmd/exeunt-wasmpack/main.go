package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

const usage = `usage:
  exeunt-wasmpack IN.wasm OUT.wasm               the findfunctab as a loop
  exeunt-wasmpack -data IN.wasm OUT.wasm         the data section as one LZMA stream
  exeunt-wasmpack -strip-names IN.wasm OUT.wasm  the module without its name section
  exeunt-wasmpack -names MODULE.debug.wasm       "INDEX NAME" per function, to read a trap's
                                                 wasm-function[INDEX] frames`

func main() {
	args := os.Args[1:]
	mode := ""
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		mode, args = args[0], args[1:]
	}
	want := 2
	if mode == "-names" {
		want = 1
	}
	if (mode != "" && mode != "-data" && mode != "-strip-names" && mode != "-names") || len(args) != want {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	inPath := args[0]
	in, err := os.ReadFile(inPath)
	if err == nil {
		var out []byte
		switch mode {
		case "-names":
			var names map[uint32]string
			if names, err = functionNames(in); err == nil {
				err = printNames(os.Stdout, names)
			}
		case "-strip-names":
			var dropped int
			if out, dropped, err = stripNames(in); err == nil {
				err = os.WriteFile(args[1], out, 0o644)
				fmt.Fprintf(os.Stderr, "exeunt-wasmpack -strip-names: the name section (%d bytes) dropped: %d -> %d bytes\n", dropped, len(in), len(out))
			}
		case "-data":
			var st dataStats
			out, st, err = packData(in)
			if err == nil {
				err = os.WriteFile(args[1], out, 0o644)
				fmt.Fprintf(os.Stderr, "exeunt-wasmpack -data: %d data segments, memory %#x..%#x, as a %d-byte LZMA stream at %#x (top of %d pages), decoded and checked in wazero: %d -> %d bytes\n",
					st.segments, st.lo, st.hi, st.block, st.at, st.pages, len(in), len(out))
			}
		default:
			var st stats
			out, st, err = pack(in)
			if err == nil {
				err = os.WriteFile(args[1], out, 0o644)
				fmt.Fprintf(os.Stderr, "exeunt-wasmpack: findfunctab of %d buckets at %#x: %d data segments dropped, %d -> %d bytes\n",
					st.buckets, st.table, st.dropped, len(in), len(out))
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-wasmpack: %s: %v\n", inPath, err)
		os.Exit(1)
	}
}

type stats struct {
	table, buckets, dropped int
}

type section struct {
	id      byte
	payload []byte
}

type segment struct {
	offset uint32
	data   []byte
}

// The Go runtime's layout, from runtime/symtab.go (Go 1.26): the pclntab header's magic,
// and where moduledata's fields are, in 8-byte words.
const (
	pcHeaderMagic   = 0xfffffff1
	wordFuncnametab = 1  // funcnametab []byte: its pointer
	wordFindfunctab = 19 // findfunctab uintptr
	wordMinpc       = 20
	wordMaxpc       = 21
	wordEpclntab    = 41   // epclntab uintptr: findfunctab is the pclntab's last symbol
	pcBucketSize    = 4096 // runtime: pcbucketsize, 256*minfunc
	bucketBytes     = 20   // findfuncbucket: idx uint32, subbuckets [16]byte
	subBuckets      = 16
)

func pack(mod []byte) ([]byte, stats, error) {
	var st stats
	if len(mod) < 8 || !bytes.Equal(mod[:8], []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, st, errors.New("not a WebAssembly 1.0 module")
	}
	var secs []section
	for r := (reader{b: mod, i: 8}); r.i < len(mod); {
		id := r.byte()
		n := int(r.u32())
		if r.err != nil || r.i+n > len(mod) {
			return nil, st, errors.New("truncated section")
		}
		secs = append(secs, section{id, mod[r.i : r.i+n]})
		r.i += n
	}
	find := func(id byte) *section {
		for i := range secs {
			if secs[i].id == id {
				return &secs[i]
			}
		}
		return nil
	}
	data, code, fn, typ, exp, imp := find(11), find(10), find(3), find(1), find(7), find(2)
	if data == nil || code == nil || fn == nil || typ == nil || exp == nil {
		return nil, st, errors.New("no data, code, function, type or export section")
	}
	if find(12) != nil {
		return nil, st, errors.New("the module has a data count section, which Go's linker does not write: not a module this tool knows")
	}
	if find(8) != nil {
		return nil, st, errors.New("the module has a start function, which Go's linker does not write: it would run before the loop that writes findfunctab")
	}

	// The data segments, and the memory image they make.
	r := reader{b: data.payload}
	var segs []segment
	end := 0
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		if flags := r.u32(); flags != 0 {
			return nil, st, fmt.Errorf("a data segment with flags %d: only active segments of memory 0 are known", flags)
		}
		if r.byte() != 0x41 {
			return nil, st, errors.New("a data segment whose offset is not an i32.const")
		}
		off := r.s32()
		if r.byte() != 0x0b {
			return nil, st, errors.New("a data segment whose offset expression is longer than i32.const")
		}
		size := int(r.u32())
		if r.err != nil || r.i+size > len(r.b) || off < 0 {
			return nil, st, errors.New("truncated data segment")
		}
		segs = append(segs, segment{uint32(off), r.b[r.i : r.i+size]})
		r.i += size
		end = max(end, int(off)+size)
	}
	if r.err != nil || r.i != len(r.b) {
		return nil, st, errors.New("malformed data section")
	}
	mem := make([]byte, end)
	for _, s := range segs {
		copy(mem[s.offset:], s.data)
	}

	// The pclntab header (magic, two zero bytes, minLC 1 for wasm, 8-byte pointers) and the
	// moduledata that points at it, recognised by its funcnametab pointer as well.
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], pcHeaderMagic)
	hdr := -1
	for i := 0; ; i++ {
		j := bytes.Index(mem[i:], magic[:])
		if j < 0 {
			break
		}
		i += j
		if i+48 <= len(mem) && mem[i+4] == 0 && mem[i+5] == 0 && mem[i+6] == 1 && mem[i+7] == 8 {
			if hdr >= 0 {
				return nil, st, errors.New("two pclntab headers")
			}
			hdr = i
		}
	}
	if hdr < 0 {
		return nil, st, errors.New("no pclntab header (magic 0xfffffff1, wasm, 8-byte pointers): not a Go 1.20+ wasm module")
	}
	funcnameOff := binary.LittleEndian.Uint64(mem[hdr+32:]) // after magic, pads, minLC, ptrSize, nfunc, nfiles, textStart
	word := func(md, w int) uint64 { return binary.LittleEndian.Uint64(mem[md+8*w:]) }
	md := -1
	var ptr [8]byte
	binary.LittleEndian.PutUint64(ptr[:], uint64(hdr))
	for i := 0; ; i += 8 {
		j := bytes.Index(mem[i:], ptr[:])
		if j < 0 {
			break
		}
		i += j
		if i%8 == 0 && i+8*(wordMaxpc+1) <= len(mem) && word(i, wordFuncnametab) == uint64(hdr)+funcnameOff {
			if md >= 0 {
				return nil, st, errors.New("two moduledata")
			}
			md = i
		}
		i -= i % 8
	}
	if md < 0 {
		return nil, st, errors.New("no moduledata pointing at the pclntab header")
	}
	table, minpc, maxpc, epclntab := word(md, wordFindfunctab), word(md, wordMinpc), word(md, wordMaxpc), word(md, wordEpclntab)
	if maxpc <= minpc || table == 0 || epclntab <= table {
		return nil, st, fmt.Errorf("moduledata's findfunctab %#x, minpc %#x, maxpc %#x, epclntab %#x make no table", table, minpc, maxpc, epclntab)
	}
	// The buckets the linker wrote: the table runs to the end of the pclntab (a few bytes
	// of alignment after the last bucket), and covers the PCs from minpc to maxpc.
	nb := (epclntab - table) / bucketBytes
	if covered := nb * pcBucketSize; covered+pcBucketSize < maxpc-minpc || covered > maxpc-minpc+pcBucketSize {
		return nil, st, fmt.Errorf("findfunctab's %d buckets do not cover the PCs %#x to %#x", nb, minpc, maxpc)
	}
	if nb == 0 {
		return nil, st, fmt.Errorf("findfunctab at %#x has no bucket", table)
	}
	tableEnd := table + nb*bucketBytes
	if tableEnd > uint64(len(mem)) || tableEnd > 1<<31 {
		return nil, st, fmt.Errorf("findfunctab at %#x of %d buckets runs past the data", table, nb)
	}
	// The pattern, checked byte for byte: bucket b holds b/16 and no sub-bucket offsets.
	for b := uint64(0); b < nb; b++ {
		at := table + b*bucketBytes
		if binary.LittleEndian.Uint32(mem[at:]) != uint32(b/subBuckets) || !allZero(mem[at+4:at+bucketBytes]) {
			return nil, st, fmt.Errorf("findfunctab bucket %d at %#x is not {%d, zeros}: the table is not the pattern this tool writes", b, at, b/subBuckets)
		}
	}
	st.table, st.buckets = int(table), int(nb)

	// The data section without the segments inside the table.
	var kept []segment
	for _, s := range segs {
		if uint64(s.offset) >= table && uint64(s.offset)+uint64(len(s.data)) <= tableEnd {
			st.dropped++
			continue
		}
		kept = append(kept, s)
	}
	// The memory the packed module gives Go's code, built as it will be: the kept segments
	// in their order, then the loop below (bucket b's index at table+20b, for b = 0 and on
	// while b+1 < nb). It must be the original's byte for byte: a kept segment reaching
	// into the table whose bytes a dropped one overwrote there would otherwise stay.
	img := make([]byte, len(mem))
	for _, s := range kept {
		copy(img[s.offset:], s.data)
	}
	for b := uint64(0); b < nb; b++ {
		binary.LittleEndian.PutUint32(img[table+b*bucketBytes:], uint32(b>>4))
	}
	if !bytes.Equal(img, mem) {
		return nil, st, errors.New("the data segments left and the loop would not write the memory the module's segments write (segments overlap the table): not a module this tool knows")
	}
	var nd []byte
	nd = appendU32(nd, uint32(len(kept)))
	for _, s := range kept {
		nd = append(nd, 0, 0x41)
		nd = appendS32(nd, int32(s.offset))
		nd = append(nd, 0x0b)
		nd = appendU32(nd, uint32(len(s.data)))
		nd = append(nd, s.data...)
	}
	data.payload = nd

	// _initialize, and the type of a function of no arguments and no results.
	nImportedFuncs, funcTypes, initAt, initFunc, voidType, err := initialize(imp, typ, fn, exp)
	if err != nil {
		return nil, st, err
	}

	// The new function: the loop, then Go's _initialize. Its index follows every other
	// function's, so no index (and no Go PC) changes.
	var body []byte
	body = append(body, 1, 1, 0x7f)                                               // one local, an i32: b
	body = append(body, 0x03, 0x40)                                               // loop
	body = append(body, 0x20, 0, 0x41, bucketBytes, 0x6c, 0x20, 0, 0x41, 4, 0x76) // b*20, b>>4
	body = append(body, 0x36, 0)                                                  // i32.store align=1
	body = appendU32(body, uint32(table))                                         // offset
	body = append(body, 0x20, 0, 0x41, 1, 0x6a, 0x22, 0, 0x41)                    // b+1, tee, const
	body = appendS32(body, int32(nb))
	body = append(body, 0x49, 0x0d, 0, 0x0b) // lt_u, br_if 0, end loop
	body = append(body, 0x10)
	body = appendU32(body, initFunc)
	body = append(body, 0x0b)
	newFunc := uint32(nImportedFuncs + len(funcTypes))

	r = reader{b: code.payload}
	nCode := r.u32()
	if r.err != nil || int(nCode) != len(funcTypes) {
		return nil, st, errors.New("the code section's count is not the function section's")
	}
	var nc []byte
	nc = appendU32(nc, nCode+1)
	nc = append(nc, code.payload[r.i:]...)
	nc = appendU32(nc, uint32(len(body)))
	code.payload = append(nc, body...)

	var nf []byte
	nf = appendU32(nf, uint32(len(funcTypes)+1))
	r = reader{b: fn.payload}
	r.u32()
	nf = append(nf, fn.payload[r.i:]...)
	fn.payload = appendU32(nf, voidType)

	// The export now names the new function (same name, same kind).
	exp.payload = repointExport(exp.payload, initAt, newFunc)
	return writeModule(mod[:8], secs), st, nil
}

// repointExport returns the export section's payload with the function index at initAt
// (where initialize found _initialize's) replaced by fn.
func repointExport(payload []byte, initAt int, fn uint32) []byte {
	r := reader{b: payload, i: initAt}
	r.u32()
	ne := append([]byte{}, payload[:initAt]...)
	ne = appendU32(ne, fn)
	return append(ne, payload[r.i:]...)
}

// writeModule spells a module: the header (magic and version), then each section in the
// order given, with its size.
func writeModule(header []byte, secs []section) []byte {
	out := append([]byte{}, header...)
	for _, s := range secs {
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.payload)))
		out = append(out, s.payload...)
	}
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// reader reads the binary format's integers and vectors; the first error sticks.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil || r.i >= len(r.b) {
		r.err = errors.New("truncated")
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *reader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *reader) s32() int32 {
	var v int64
	shift := 0
	for shift < 35 {
		c := r.byte()
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if c&0x40 != 0 {
				v -= 1 << shift
			}
			return int32(v)
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *reader) vec() []byte {
	n := int(r.u32())
	if r.err != nil || r.i+n > len(r.b) {
		r.err = errors.New("truncated")
		return nil
	}
	r.i += n
	return r.b[r.i-n : r.i]
}

func (r *reader) name() []byte { return r.vec() }

func (r *reader) limits() {
	if r.byte()&1 != 0 {
		r.u32()
	}
	r.u32()
}
