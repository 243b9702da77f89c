package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	ulzma "github.com/ulikunitz/xz/lzma"
)

// The decoder's tests run its bytes in wazero over streams from two encoders written
// independently of each other and of the decoder: github.com/kjk/lzma (the LZMA SDK's
// encoder, which packData uses) and github.com/ulikunitz/xz/lzma (with the properties
// chosen by the test). The expected bytes are the encoders' input, so what is checked is
// the format, not this test's idea of it.

// testLayout places out at 16, the probabilities after it and the stream at the top of
// as many pages as they need, with a page to spare below the probabilities' end.
func testLayout(stream []byte, props lzmaProps, outLen int) (decodeLayout, uint32) {
	const dst = 16
	probs := uint32(dst+outLen+3) &^ 3
	need := int(probs) + int(lzmaProbBytes(props)) + len(stream)
	pages := uint32(need/pageBytes + 1)
	top := pages * pageBytes
	return decodeLayout{src: top - uint32(len(stream)), srcEnd: top, dst: dst, dstEnd: dst + uint32(outLen), probs: probs}, pages
}

// decode runs the decoder over stream and checks that the memory is out at 16 and zero
// everywhere else.
func decode(stream []byte, props lzmaProps, out []byte) error {
	l, pages := testLayout(stream, props, len(out))
	want := make([]byte, pages*pageBytes)
	copy(want[l.dst:], out)
	return checkDecoder(decoderBody(l, props), streamSegment(l.src, stream), pages, want)
}

func streamSegment(at uint32, stream []byte) []byte {
	var ds []byte
	ds = append(appendU32(ds, 1), 0, opI32Const)
	ds = append(appendS32(ds, int32(at)), opEnd)
	return append(appendU32(ds, uint32(len(stream))), stream...)
}

// mixed is n bytes or so of zero runs, noise and repeats of what came before, the kinds of
// data a Go module's memory holds.
func mixed(seed int64, n int) []byte {
	rng := rand.New(rand.NewSource(seed))
	var out []byte
	for len(out) < n {
		switch rng.Intn(5) {
		case 0:
			out = append(out, make([]byte, rng.Intn(3000))...)
		case 1:
			b := make([]byte, rng.Intn(300))
			rng.Read(b)
			out = append(out, b...)
		case 2:
			out = append(out, strings.Repeat("runtime.findfunc ", rng.Intn(20))...)
		default:
			if len(out) > 0 {
				from := rng.Intn(len(out))
				out = append(out, out[from:min(len(out), from+rng.Intn(500))]...)
			}
		}
	}
	return out
}

// runsThenMore is runs of 2 + 273 of one letter (a literal, a match of the longest length,
// a short repeat), each followed by a few other letters, for 40 letters.
func runsThenMore() []byte {
	var out []byte
	for k := range 40 {
		out = append(out, bytes.Repeat([]byte{byte('A' + k)}, 2+273)...)
		out = append(out, shortMatches(int64(k), 5+k%7)...)
	}
	return out
}

// shortMatches is n random letters of "acgt".
func shortMatches(seed int64, n int) []byte {
	rng := rand.New(rand.NewSource(seed))
	out := make([]byte, n)
	for i := range out {
		out[i] = "acgt"[rng.Intn(4)]
	}
	return out
}

// ulikunitz encodes data with github.com/ulikunitz/xz/lzma, properties p, and returns
// the stream without its 13-byte header.
func ulikunitz(t *testing.T, data []byte, p lzmaProps, eos bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	c := ulzma.WriterConfig{
		Properties: &ulzma.Properties{LC: int(p.lc), LP: int(p.lp), PB: int(p.pb)},
		DictCap:    1 << 20,
		Size:       int64(len(data)),
		EOSMarker:  eos,
	}
	if eos {
		c.Size = -1
	}
	w, err := c.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := lzmaPropsOf(buf.Bytes()[0]); got != p {
		t.Fatalf("ulikunitz wrote properties %+v, not %+v", got, p)
	}
	return buf.Bytes()[13:]
}

// TestDecoderWritesWhatTheEncodersMean: data of every kind the decoder meets (literals
// after literals and after matches, matches near and far, repeated distances, lengths up
// to 273, the position slots with direct and align bits), encoded by both encoders, with
// literal context, literal position and position bits across their ranges.
func TestDecoderWritesWhatTheEncodersMean(t *testing.T) {
	far := mixed(2, 200000) // far enough for distances coded with direct bits
	// Every distance from 1 to 40 (position slots 0 to 11), each a period repeated.
	rng := rand.New(rand.NewSource(7))
	var periods []byte
	for p := 1; p <= 40; p++ {
		unit := make([]byte, p)
		rng.Read(unit)
		periods = append(periods, bytes.Repeat(unit, 6)...)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"one byte", []byte("x")},
		{"a run", bytes.Repeat([]byte("a"), 5000)},
		// A literal, a match of the longest length, then one byte: a short repeat after a
		// match.
		{"a run of 2 + 273", bytes.Repeat([]byte("a"), 2+273)},
		{"a run of 2 + 2*273, then other bytes", append(bytes.Repeat([]byte("a"), 2+2*273), "bcd"...)},
		{"periods of 1 to 40", periods},
		{"text with repeats", bytes.Repeat([]byte("the sign-out of every session, "), 40)},
		{"mixed", mixed(1, 40000)},
		{"far repeats", far},
		// Random letters of a four-letter alphabet: matches of every short length (2 to 6)
		// at new and repeated distances, and short repeats after matches, by the thousand,
		// which the kinds above hardly make (a match of length 4 at a new distance uses its
		// own position slot tree).
		{"short matches", shortMatches(8, 30000)},
		// Short repeats after a longest match, each followed by more data, so that the
		// state after them decides how the rest decodes.
		{"short repeats after longest matches, and more", runsThenMore()},
	}
	for _, c := range cases {
		stream, props, err := compress(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := decode(stream, props, c.data); err != nil {
			t.Errorf("%s, kjk/lzma (%+v): %v", c.name, props, err)
		}
	}
	data := append(mixed(3, 30000), shortMatches(9, 10000)...)
	for _, p := range []lzmaProps{{3, 0, 2}, {0, 0, 0}, {8, 0, 0}, {0, 4, 4}, {1, 3, 1}, {4, 0, 4}, {2, 2, 3}} {
		for _, eos := range []bool{false, true} {
			if err := decode(ulikunitz(t, data, p, eos), p, data); err != nil {
				t.Errorf("ulikunitz %+v, end marker %v: %v", p, eos, err)
			}
		}
	}
}

// TestDecoderTrapsOnBadStreams: a stream too short to start, one whose first byte is not
// 0, one that ends before the data does, data longer than the range, an end marker before
// the range's end and a repeat before any byte: each is the decoder's own trap
// (unreachable), nothing is written outside the range and the table, and where the bytes
// before the trap are known, nothing after them. Each case is laid out so that a missing
// check would show: a stream cut short lies at the top of the memory (a read past it is an
// out-of-bounds access, not the decoder's trap), and the end marker is followed by more
// bytes of stream (a decoder that took it for a distance would go on writing).
func TestDecoderTrapsOnBadStreams(t *testing.T) {
	data := mixed(4, 20000)
	stream, props, err := compress(data)
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("the end marker comes after these bytes")
	noise := make([]byte, 4096)
	rand.New(rand.NewSource(10)).Read(noise)
	eos := append(ulikunitz(t, small, props, true), noise...)
	cases := []struct {
		name   string
		stream []byte
		out    []byte
		// written: how many of out's bytes are written as out has them before the trap;
		// the rest of the range stays zero. -1: not known.
		written int
		top     bool // the stream at the top of the memory
	}{
		{"4 bytes", stream[:4], data, 0, true},
		{"a first byte of 1", append([]byte{1}, stream[1:]...), data, 0, false},
		{"cut short", stream[:len(stream)/2], data, -1, true},
		{"data longer than the range", stream, data[:len(data)-1000], -1, false},
		{"a run longer than the range", must(compress(bytes.Repeat([]byte("z"), 3000))), bytes.Repeat([]byte("z"), 1500), -1, false},
		// The end marker is a distance of all ones, before the data's start.
		{"an end marker before the range's end", eos, append(bytes.Clone(small), make([]byte, 1000)...), len(small), false},
		// A code of all ones: the first bits are "a match" and "a repeated one".
		{"a repeat before any byte", append([]byte{0}, bytes.Repeat([]byte{0xff}, 64)...), data, 0, false},
	}
	for _, c := range cases {
		got, err, outside := decodeTrapped(c.stream, props, len(c.out), c.top)
		if outside != nil {
			t.Errorf("%s: %v", c.name, outside)
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("%s: %v, not the decoder's trap", c.name, err)
			continue
		}
		if c.written >= 0 {
			want := make([]byte, len(c.out))
			copy(want, c.out[:c.written])
			if !bytes.Equal(got, want) {
				t.Errorf("%s: the range is not the %d bytes before the trap and zeros", c.name, c.written)
			}
		}
	}
}

// decodeTrapped runs the decoder over stream with 0xa5 in every byte it must not write
// (below the data, between the data's end and the table, and, unless the stream is at the
// top of the memory, a page above it), and returns the data's range, the call's error, and
// an error if a guard byte changed.
func decodeTrapped(stream []byte, props lzmaProps, outLen int, top bool) ([]byte, error, error) {
	l, pages := testLayout(stream, props, outLen)
	l.probs += 64
	guards := [][2]uint32{{0, l.dst}, {l.dstEnd, l.probs}}
	if !top {
		pages++
		guards = append(guards, [2]uint32{l.srcEnd, pages * pageBytes})
	}
	ds := guardedSegments(l.src, stream, guards)
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, checkModule(decoderBody(l, props), ds, pages))
	if err != nil {
		return nil, nil, err
	}
	_, callErr := mod.ExportedFunction("d").Call(ctx)
	for _, g := range guards {
		got, _ := mod.Memory().Read(g[0], g[1]-g[0])
		if len(got) != int(g[1]-g[0]) || len(bytes.Trim(got, "\xa5")) != 0 {
			return nil, callErr, fmt.Errorf("the decoder wrote at %#x..%#x, outside its ranges (%v)", g[0], g[1], callErr)
		}
	}
	got, _ := mod.Memory().Read(l.dst, l.dstEnd-l.dst)
	return bytes.Clone(got), callErr, nil
}

func must(stream []byte, _ lzmaProps, err error) []byte {
	if err != nil {
		panic(err)
	}
	return stream
}

// TestDecoderStaysInItsRanges: streams with bytes changed or cut, 120 of them, decoded
// with every byte below the data and between the data and the probabilities set: whether
// the decoder traps or runs to the end, those bytes are as they were (it wrote nowhere
// but the data's range, its table and the stream). A changed stream never passes the
// packer's check.
func TestDecoderStaysInItsRanges(t *testing.T) {
	data := mixed(5, 20000)
	stream, props, err := compress(data)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	traps := 0
	for i := range 120 {
		bad := bytes.Clone(stream)
		for range 1 + rng.Intn(3) {
			bad[rng.Intn(len(bad))] ^= byte(1 + rng.Intn(255))
		}
		if i%5 == 0 {
			bad = bad[:rng.Intn(len(bad))]
		}
		trapped, err := decodeGuarded(bad, props, len(data))
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		if trapped {
			traps++
		}
		if err := decode(bad, props, data); err == nil && !bytes.Equal(bad, stream) {
			t.Errorf("stream %d, changed, passed the check", i)
		}
	}
	if traps == 0 {
		t.Error("no changed stream trapped")
	}
}

// decodeGuarded runs the decoder over stream in a memory whose bytes below the data and
// between the data's end and the probabilities are 0xa5, and says whether it trapped; an
// error if any of those bytes changed.
func decodeGuarded(stream []byte, props lzmaProps, outLen int) (bool, error) {
	l, pages := testLayout(stream, props, outLen)
	l.probs += 64 // a guard between the data and the table
	guards := [][2]uint32{{0, l.dst}, {l.dstEnd, l.probs}}
	ds := guardedSegments(l.src, stream, guards)
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, checkModule(decoderBody(l, props), ds, pages))
	if err != nil {
		return false, err
	}
	_, callErr := mod.ExportedFunction("d").Call(ctx)
	for _, g := range guards {
		got, _ := mod.Memory().Read(g[0], g[1]-g[0])
		if len(got) != int(g[1]-g[0]) || len(bytes.Trim(got, "\xa5")) != 0 {
			return false, fmt.Errorf("the decoder wrote at %#x, outside its ranges (trapped: %v)", g[0], callErr != nil)
		}
	}
	var exit interface{ ExitCode() uint32 }
	if errors.As(callErr, &exit) {
		return false, callErr
	}
	return callErr != nil, nil
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
	if _, _, err := packData(top); err == nil || !strings.Contains(err.Error(), "do not fit") {
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

// guardedSegments is a data section of the stream at src and, for each guard [from, to),
// a segment of 0xa5 bytes over it.
func guardedSegments(src uint32, stream []byte, guards [][2]uint32) []byte {
	ds := streamSegment(src, stream)
	ds[0] = 1 + byte(len(guards))
	for _, g := range guards {
		ds = append(ds, 0, opI32Const)
		ds = append(appendS32(ds, int32(g[0])), opEnd)
		ds = append(appendU32(ds, g[1]-g[0]), bytes.Repeat([]byte{0xa5}, int(g[1]-g[0]))...)
	}
	return ds
}
