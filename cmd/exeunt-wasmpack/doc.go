// Command exeunt-wasmpack rewrites a Go wasip1 module so that its data section no longer
// spells out the Go runtime's findfunctab, and a loop writes the table at start instead.
//
//	exeunt-wasmpack IN OUT
//
// The table maps a program counter to its function (runtime.findfunc, used by every
// traceback and every garbage collector's stack scan). In a Go wasm module a PC is the
// function's index times 65536, so the table has 16 buckets of 20 bytes per function, each
// the index of the function (4 bytes) and 16 zero bytes: 1.36 MB of memory for Exeunt's
// 4,200 functions, which the Go linker writes as one data segment per bucket (the zeros
// between them are left out), about 10 bytes each, 670 KB of the module. The table is
// regular: bucket b holds b/16. exeunt-wasmpack checks that it does, byte for byte,
// drops the segments that lie inside it, and makes the module's _initialize export a new
// function that writes the same bytes with a loop and then calls Go's _initialize. The
// memory Go's code first sees is the same, and no existing function's index changes (the
// new one comes last).
//
// With -data, run on the module wasm-opt wrote, it also stores the data section
// compressed:
//
//	exeunt-wasmpack -data IN OUT
//
// The memory the data segments write, from the first segment's start to the last one's
// end (zeros between them included), becomes one LZMA stream (the LZMA SDK's format,
// compressed by github.com/kjk/lzma's encoder with its longest matches, the .lzma header left
// out) in one data segment at the top of the initial memory, above the data's end. A
// function written here (lzma_decoder.go, through the small assembler in asm.go; MVP
// Wasm plus bulk memory's memory.fill, already in Go's code) decodes the stream over the
// data's range, keeping its probabilities between the data and the stream, and then
// zeroes both; a new _initialize calls it and then the _initialize it replaces. Before
// the module is written the decoder's exact bytes run over the exact data segment in
// wazero, and the whole initial memory is compared with the one the original segments
// write: any byte different fails the build. The decoder also traps, rather than read or
// write outside its ranges, on a stream that would make it. A module whose compressed
// data and probabilities do not fit between its data and the initial memory's end is
// refused (the tool does not grow the memory). RATIONALE.md, "Why the module's data is
// stored compressed, and why as LZMA (issue 15)".
//
// Anything it does not recognise (no pclntab header, a table that is not the pattern, a
// data segment that is not active, data segments whose remainder and the loop would not
// write the original's memory byte for byte, a start function, an _initialize that is not
// a function of no arguments) is an error naming what was found: the build fails rather
// than ship a module it did not check. RATIONALE.md, "Why the module's findfunctab is written by a loop (issue 15)".
package main
