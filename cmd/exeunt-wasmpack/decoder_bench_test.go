package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// BenchmarkDecodeShippedData reports what the data's decoding adds to each VM start of
// build/exeunt.wasm in wazero's compiler (hostsim's engine): the decoder function and the
// data segment are taken from the shipped module (the function its _initialize calls
// first), run in a module of the same memory, and timed apart from instantiation.
//
//	go test ./cmd/exeunt-wasmpack/ -run '^$' -bench DecodeShippedData -benchtime 20x
func BenchmarkDecodeShippedData(b *testing.B) {
	mod, err := os.ReadFile("../../build/exeunt.wasm")
	if err != nil {
		b.Fatalf("%v: run `make wasm` first", err)
	}
	secs, err := sections(mod)
	if err != nil {
		b.Fatal(err)
	}
	var imp, typ, fn, exp, code, data, mem *section
	for i := range secs {
		switch secs[i].id {
		case 2:
			imp = &secs[i]
		case 1:
			typ = &secs[i]
		case 3:
			fn = &secs[i]
		case 7:
			exp = &secs[i]
		case 10:
			code = &secs[i]
		case 11:
			data = &secs[i]
		case 5:
			mem = &secs[i]
		}
	}
	nImports, funcTypes, _, initFunc, _, err := initialize(imp, typ, fn, exp)
	if err != nil {
		b.Fatal(err)
	}
	bodies := map[uint32][]byte{}
	r := reader{b: code.payload}
	for i, n := uint32(0), r.u32(); i < n && r.err == nil; i++ {
		bodies[uint32(nImports)+i] = r.vec()
	}
	if r.err != nil || len(bodies) != len(funcTypes) {
		b.Fatal("malformed code section")
	}
	// _initialize is the wrapper: no locals, call the decoder, call the old _initialize.
	w := reader{b: bodies[initFunc]}
	if w.u32() != 0 || w.byte() != 0x10 {
		b.Fatal("build/exeunt.wasm's _initialize does not begin by calling a function: not packed with -data?")
	}
	decoder := bodies[w.u32()]
	m := reader{b: mem.payload}
	m.u32()
	m.byte()
	pages := m.u32()

	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	compiled, err := rt.CompileModule(ctx, checkModule(decoder, data.payload, pages))
	if err != nil {
		b.Fatal(err)
	}
	var inst, dec time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		m, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := m.ExportedFunction("d").Call(ctx); err != nil {
			b.Fatal(err)
		}
		dec += time.Since(t1)
		inst += t1.Sub(t)
		m.Close(ctx)
	}
	b.ReportMetric(float64(dec.Microseconds())/1000/float64(b.N), "decode-ms")
	b.ReportMetric(float64(inst.Microseconds())/1000/float64(b.N), "instantiate-ms")
}
