package main

import (
	"bytes"
	"os"
	"testing"
)

// goModule is a Go wasip1 module as the Go linker wrote it (build/noop.wasm is not run
// through exeunt-wasmpack; `make wasm` builds it).
func goModule(t *testing.T) []byte {
	mod, err := os.ReadFile("../../build/noop.wasm")
	if err != nil {
		t.Fatalf("%v: run `make wasm` first", err)
	}
	return mod
}

// TestPackedModuleWritesTheSameTable runs the packed module's _initialize in wazero and
// reads the findfunctab back from its memory: it must be byte for byte what the original
// module's data segments put there (Go's own initialisation never writes the pclntab, so
// only the new loop can have written it). The module also has thousands fewer segments.
func TestPackedModuleWritesTheSameTable(t *testing.T) {
	orig := goModule(t)
	packed, st, err := pack(orig)
	if err != nil {
		t.Fatal(err)
	}
	if st.buckets < 1000 || st.dropped < st.buckets*9/10 || len(packed) >= len(orig) {
		t.Fatalf("packing dropped %d segments for %d buckets: %d -> %d bytes", st.dropped, st.buckets, len(orig), len(packed))
	}
	want := memoryImage(t, orig)[st.table : st.table+st.buckets*bucketBytes]

	mem := memoryAfterInitialize(t, packed)
	if got := mem[st.table:]; len(got) < len(want) || !bytes.Equal(got[:len(want)], want) {
		t.Fatalf("the findfunctab in memory after _initialize is not the one the original module's segments wrote")
	}
}

// TestPackRefusesWhatItDoesNotKnow: a table that is not the pattern, or a module without
// one, is an error, not a module written anyway.
func TestPackRefusesWhatItDoesNotKnow(t *testing.T) {
	orig := goModule(t)
	_, st, err := pack(orig)
	if err != nil {
		t.Fatal(err)
	}
	// Change the first byte of the segment that writes a bucket in the table's middle.
	target := st.table + bucketBytes*(st.buckets/2)
	i := -1
	walkSegments(t, orig, func(off, at int) {
		if off == target {
			i = at
		}
	})
	if i < 0 {
		t.Fatalf("no data segment starts at bucket %d (%#x)", st.buckets/2, target)
	}
	bad := bytes.Clone(orig)
	bad[i] ^= 0x01
	if _, _, err := pack(bad); err == nil {
		t.Error("a changed findfunctab bucket was packed")
	}
	if _, _, err := pack([]byte("\x00asm\x01\x00\x00\x00")); err == nil {
		t.Error("an empty module was packed")
	}
}

// memoryImage is the linear memory a module's active data segments write.
func memoryImage(t *testing.T, mod []byte) []byte {
	var img []byte
	walkData(t, mod, func(off int, data []byte, _ int) {
		if need := off + len(data); need > len(img) {
			img = append(img, make([]byte, need-len(img))...)
		}
		copy(img[off:], data)
	})
	return img
}

// walkSegments calls f with each data segment's memory offset and the position of its
// first byte in mod.
func walkSegments(t *testing.T, mod []byte, f func(off, at int)) {
	walkData(t, mod, func(off int, _ []byte, at int) { f(off, at) })
}

func walkData(t *testing.T, mod []byte, f func(off int, data []byte, at int)) {
	r := reader{b: mod, i: 8}
	for r.i < len(mod) {
		id := r.byte()
		n := int(r.u32())
		if id != 11 {
			r.i += n
			continue
		}
		d := reader{b: mod[:r.i+n], i: r.i}
		for k := d.u32(); k > 0; k-- {
			d.u32()
			d.byte()
			off := int(d.s32())
			d.byte()
			data := d.vec()
			f(off, data, d.i-len(data))
		}
		if d.err != nil {
			t.Fatal(d.err)
		}
		return
	}
	t.Fatal("no data section")
}

// TestPackRefusesSegmentsOverlappingTheTable: a segment that starts before the table and
// reaches into it is kept; should a dropped segment have overwritten its bytes in the
// table, the packed module would keep them. The image is the pattern (so the byte check
// alone passes), but the module's memory after the loop would not be: refused.
func TestPackRefusesSegmentsOverlappingTheTable(t *testing.T) {
	orig := goModule(t)
	_, st, err := pack(orig)
	if err != nil {
		t.Fatal(err)
	}
	mem := memoryImage(t, orig)
	zero := st.table + 20*bucketBytes + 4 // a byte of bucket 20's zeros
	bad := withDataSegments(t, orig, func(segs []segment) []segment {
		reach := append([]byte{}, mem[st.table-1:zero+1]...)
		reach[len(reach)-1] = 0xaa // overwritten below: the image still has its zero
		segs = append([]segment{{uint32(st.table - 1), reach}}, segs...)
		return append(segs, segment{uint32(zero), []byte{0}})
	})
	if img := memoryImage(t, bad); !bytes.Equal(img, mem) {
		t.Fatal("the test's module does not write the original's memory")
	}
	if _, _, err := pack(bad); err == nil {
		t.Error("a module whose kept segment writes into the table's zeros was packed")
	}
}

// TestPackRefusesAStartFunction: a start function runs at instantiation, before any
// export, so before the loop that writes the table; Go's linker writes none.
func TestPackRefusesAStartFunction(t *testing.T) {
	orig := goModule(t)
	var out []byte
	out = append(out, orig[:8]...)
	r := reader{b: orig, i: 8}
	for r.i < len(orig) {
		start := r.i
		id := r.byte()
		n := int(r.u32())
		r.i += n
		out = append(out, orig[start:r.i]...)
		if id == 7 { // after the export section, where a start section goes
			out = append(out, 8, 1, 0)
		}
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, _, err := pack(out); err == nil {
		t.Error("a module with a start function was packed")
	}
}

// withDataSegments is mod with its data section's segments as change returns them.
func withDataSegments(t *testing.T, mod []byte, change func([]segment) []segment) []byte {
	var segs []segment
	walkData(t, mod, func(off int, data []byte, _ int) { segs = append(segs, segment{uint32(off), data}) })
	segs = change(segs)
	var payload []byte
	payload = appendU32(payload, uint32(len(segs)))
	for _, s := range segs {
		payload = append(payload, 0, 0x41)
		payload = appendS32(payload, int32(s.offset))
		payload = append(payload, 0x0b)
		payload = appendU32(payload, uint32(len(s.data)))
		payload = append(payload, s.data...)
	}
	out := append([]byte{}, mod[:8]...)
	r := reader{b: mod, i: 8}
	for r.i < len(mod) {
		start := r.i
		id := r.byte()
		n := int(r.u32())
		r.i += n
		if id == 11 {
			out = append(out, 11)
			out = appendU32(out, uint32(len(payload)))
			out = append(out, payload...)
			continue
		}
		out = append(out, mod[start:r.i]...)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return out
}
