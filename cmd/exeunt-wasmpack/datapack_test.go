package main

import (
	"bytes"
	"context"
	"math/rand"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// decode runs the decoder over block in a one-page memory, the data at offset 16 and the
// block at the page's top, and checks the memory is out there and zero everywhere else.
func decode(block, out []byte) error {
	const dst = 16
	at := pageBytes - len(block)
	l := decodeLayout{src: uint32(at), srcEnd: pageBytes, dst: dst, dstEnd: uint32(dst + len(out))}
	var ds []byte
	ds = append(appendU32(ds, 1), 0, 0x41)
	ds = append(appendS32(ds, int32(at)), 0x0b)
	ds = append(appendU32(ds, uint32(len(block))), block...)
	want := make([]byte, pageBytes)
	copy(want[dst:], out)
	return checkDecoder(decoderBody(l), ds, 1, want)
}

// lit is a sequence's literal-length field: the token's nibble and its extension bytes.
func lengthField(n int) (nibble byte, ext []byte) {
	if n < 15 {
		return byte(n), nil
	}
	n -= 15
	for n >= 255 {
		ext = append(ext, 255)
		n -= 255
	}
	return 15, append(ext, byte(n))
}

// sequence is one LZ4 sequence: literals, then (offset > 0) a match of matchLen bytes.
func sequence(literals []byte, offset, matchLen int) []byte {
	ln, lext := lengthField(len(literals))
	var mn byte
	var mext []byte
	if offset > 0 {
		mn, mext = lengthField(matchLen - 4)
	}
	b := append([]byte{ln<<4 | mn}, lext...)
	b = append(b, literals...)
	if offset > 0 {
		b = append(b, byte(offset), byte(offset>>8))
		b = append(b, mext...)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestDecoderWritesWhatTheFormatMeans: blocks written by hand, one feature each, decoded
// by the decoder in wazero; each is also decoded by pierrec/lz4, so the expected bytes
// are the format's, not this test's idea of it.
func TestDecoderWritesWhatTheFormatMeans(t *testing.T) {
	abc := []byte("abc")
	digits := []byte("0123456789")
	cases := []struct {
		name  string
		block []byte
		out   []byte
	}{
		{"literals only", sequence([]byte("hello"), 0, 0), []byte("hello")},
		{"14 literals, no extension", sequence(bytes.Repeat([]byte{7}, 14), 0, 0), bytes.Repeat([]byte{7}, 14)},
		{"15 literals, extension byte 0", sequence(bytes.Repeat([]byte{7}, 15), 0, 0), bytes.Repeat([]byte{7}, 15)},
		{"273 literals, extension 255 then 3", sequence(bytes.Repeat([]byte{9}, 273), 0, 0), bytes.Repeat([]byte{9}, 273)},
		{"525 literals, extension 255, 255, 0", sequence(bytes.Repeat([]byte{5}, 525), 0, 0), bytes.Repeat([]byte{5}, 525)},
		{"a run: offset 1, length 1000 (extensions 255, 255, 255, 216)",
			cat(sequence([]byte("a"), 1, 1000), sequence([]byte("z"), 0, 0)),
			append(bytes.Repeat([]byte("a"), 1001), 'z')},
		{"a period of 3, overlapping, length 20 (extension 1), then no literals",
			cat(sequence(abc, 3, 20), sequence(nil, 0, 0)),
			append(bytes.Repeat(abc, 7), 'a', 'b')},
		{"a match of 19 (extension byte 0)",
			cat(sequence(digits, 10, 19), sequence([]byte("!"), 0, 0)),
			cat(digits, digits, digits[:9], []byte("!"))},
		{"a match of 18 (no extension), not overlapping",
			cat(sequence(digits, 10, 8), sequence([]byte("!"), 0, 0)),
			cat(digits, digits[:8], []byte("!"))},
		{"a match reaching back to the data's first byte, two sequences",
			cat(sequence(digits, 5, 6), sequence([]byte("xy"), 18, 4), sequence([]byte("."), 0, 0)),
			cat(digits, []byte("567895"), []byte("xy0123."))},
	}
	for _, c := range cases {
		oracle := make([]byte, len(c.out)+64)
		n, err := lz4.UncompressBlock(c.block, oracle)
		if err != nil || !bytes.Equal(oracle[:n], c.out) {
			t.Fatalf("%s: pierrec/lz4 decodes the block to %q (%v), not the expected %q", c.name, oracle[:max(n, 0)], err, c.out)
		}
		if err := decode(c.block, c.out); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestDecoderDecodesTheCompressorsBlocks: data with runs, repeats and noise, compressed by
// the compressor packData uses.
func TestDecoderDecodesTheCompressorsBlocks(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var out []byte
	for len(out) < 40000 {
		switch rng.Intn(4) {
		case 0:
			out = append(out, make([]byte, rng.Intn(3000))...)
		case 1:
			b := make([]byte, rng.Intn(300))
			rng.Read(b)
			out = append(out, b...)
		default:
			if len(out) > 0 {
				from := rng.Intn(len(out))
				out = append(out, out[from:min(len(out), from+rng.Intn(500))]...)
			}
		}
	}
	block := make([]byte, lz4.CompressBlockBound(len(out)))
	c := lz4.CompressorHC{Level: lz4.Level9}
	n, err := c.CompressBlock(out, block)
	if err != nil || n == 0 {
		t.Fatal(n, err)
	}
	if err := decode(block[:n], out); err != nil {
		t.Fatal(err)
	}
	// Any byte of the block changed: the decoder traps or writes other memory, and the
	// check says so.
	for _, i := range []int{0, 1, n / 3, n / 2, n - 2, n - 1} {
		bad := bytes.Clone(block[:n])
		bad[i] ^= 0x5a
		if err := decode(bad, out); err == nil {
			t.Errorf("a block with byte %d of %d changed passed the check", i, n)
		}
	}
}

// TestDecoderTrapsOnBadBlocks: a block that would make the decoder read past its end,
// write outside the data's range, copy from before it, or leave the range short, traps.
func TestDecoderTrapsOnBadBlocks(t *testing.T) {
	cases := []struct {
		name  string
		block []byte
		out   []byte
	}{
		{"offset 0", cat(sequence([]byte("ab"), 0, 0)[:3], []byte{0, 0, 0x10, 'z'}), []byte("abz")},
		{"an offset before the data", cat(sequence([]byte("ab"), 3, 4), sequence([]byte("z"), 0, 0)), []byte("ab??????z")},
		{"ends in a length extension", []byte{0xf0, 0xff}, bytes.Repeat([]byte{1}, 300)},
		{"ends in the literals", []byte{0x50, 'h', 'e'}, []byte("hello")},
		{"ends inside an offset", []byte{0x20, 'a', 'b', 1}, []byte("ab")},
		{"ends after a match (no last literals)", sequence([]byte("a"), 1, 4), []byte("aaaaa")},
		{"literals past the range", sequence([]byte("hello!"), 0, 0), []byte("hello")},
		{"a match past the range", cat(sequence([]byte("a"), 1, 10), sequence(nil, 0, 0)), []byte("aaaaaa")},
		{"short of the range", sequence([]byte("hell"), 0, 0), []byte("hello")},
	}
	for _, c := range cases {
		err := decode(c.block, c.out)
		if err == nil || !strings.Contains(err.Error(), "trapped") {
			t.Errorf("%s: %v, not a trap", c.name, err)
		}
	}
}

// TestPackedDataGivesGoTheSameMemory packs noop.wasm's findfunctab and then its data, runs
// both the original's and the packed module's _initialize in wazero (whose clocks and
// random source are fixed by default, so Go's initialisation is deterministic), and
// compares their whole memories afterwards: Go's runtime has read and written its data
// by then, through what the decoder and the loop wrote.
func TestPackedDataGivesGoTheSameMemory(t *testing.T) {
	orig := goModule(t)
	packed, _, err := pack(orig)
	if err != nil {
		t.Fatal(err)
	}
	packed, st, err := packData(packed)
	if err != nil {
		t.Fatal(err)
	}
	if st.block*2 > st.hi-st.lo || len(packed) >= len(orig) {
		t.Fatalf("%d bytes of data packed into %d: %d -> %d bytes", st.hi-st.lo, st.block, len(orig), len(packed))
	}
	again, _, err := packData(mustPack(t, orig))
	if err != nil || !bytes.Equal(again, packed) {
		t.Fatal("packing the same module twice gave two modules")
	}
	a, b := memoryAfterInitialize(t, orig), memoryAfterInitialize(t, packed)
	if len(a) != len(b) {
		t.Fatalf("memory after _initialize: %d bytes unpacked, %d packed", len(a), len(b))
	}
	if !bytes.Equal(a, b) {
		i := 0
		for a[i] == b[i] {
			i++
		}
		t.Fatalf("memory after _initialize differs first at %#x: %#02x unpacked, %#02x packed", i, a[i], b[i])
	}
}

func mustPack(t *testing.T, mod []byte) []byte {
	out, _, err := pack(mod)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// memoryAfterInitialize instantiates mod with WASI and every env import a stub returning
// zeros, calls _initialize, and returns a copy of its memory.
func memoryAfterInitialize(t *testing.T, mod []byte) []byte {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	compiled, err := r.CompileModule(ctx, mod)
	if err != nil {
		t.Fatalf("the module does not compile: %v", err)
	}
	env := r.NewHostModuleBuilder("env")
	for _, f := range compiled.ImportedFunctions() {
		if m, name, _ := f.Import(); m == "env" {
			results := len(f.ResultTypes())
			env.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
				for i := range results {
					stack[i] = 0
				}
			}), f.ParamTypes(), f.ResultTypes()).Export(name)
		}
	}
	if _, err := env.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatalf("_initialize: %v", err)
	}
	got, _ := m.Memory().Read(0, m.Memory().Size())
	return bytes.Clone(got)
}

// TestPackDataRefusesWhatItCannotPlace: data reaching so near the initial memory's end
// that the block does not fit above it, and a start function, are errors.
func TestPackDataRefusesWhatItCannotPlace(t *testing.T) {
	orig := mustPack(t, goModule(t))
	secs, err := sections(orig)
	if err != nil {
		t.Fatal(err)
	}
	var pages uint32
	for _, s := range secs {
		if s.id == 5 {
			r := reader{b: s.payload}
			r.u32()
			r.byte()
			pages = r.u32()
		}
	}
	top := withDataSegments(t, orig, func(segs []segment) []segment {
		return append(segs, segment{uint32(pages)*pageBytes - 8, []byte("the end.")})
	})
	if _, _, err := packData(top); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("data reaching the memory's end: %v", err)
	}
	var start []byte
	start = append(start, orig[:8]...)
	for _, s := range secs {
		start = append(appendU32(append(start, s.id), uint32(len(s.payload))), s.payload...)
		if s.id == 7 {
			start = append(start, 8, 1, 0)
		}
	}
	if _, _, err := packData(start); err == nil || !strings.Contains(err.Error(), "start function") {
		t.Errorf("a start function: %v", err)
	}
}
