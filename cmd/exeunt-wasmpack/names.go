package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// stripNames is mod without its name section (the custom section "name", which names
// the functions for an engine's trap backtrace); every other section is kept byte for
// byte, in order. The module's behaviour cannot change: engines compile no custom
// section. RATIONALE.md, "Why the shipped module has no name section (issue 15)".
func stripNames(mod []byte) (out []byte, dropped int, err error) {
	secs, err := sections(mod)
	if err != nil {
		return nil, 0, err
	}
	kept := secs[:0:0]
	for _, s := range secs {
		if s.id == 0 {
			r := reader{b: s.payload}
			if name := r.name(); r.err == nil && string(name) == "name" {
				dropped += len(s.payload)
				continue
			}
		}
		kept = append(kept, s)
	}
	if dropped == 0 {
		return nil, 0, errors.New("no name section to strip (was the module built with -ldflags=-s, or stripped already?)")
	}
	return writeModule(mod[:8], kept), dropped, nil
}

// functionNames reads the function names (subsection 1) of mod's name section: each
// function's index, as an engine's backtrace gives it ("wasm-function[1234]" in V8's),
// and its name.
func functionNames(mod []byte) (map[uint32]string, error) {
	secs, err := sections(mod)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		if s.id != 0 {
			continue
		}
		r := reader{b: s.payload}
		if string(r.name()) != "name" || r.err != nil {
			continue
		}
		names := map[uint32]string{}
		for r.i < len(r.b) && r.err == nil {
			id := r.byte()
			sub := reader{b: r.vec()}
			if id != 1 {
				continue
			}
			for n := sub.u32(); n > 0 && sub.err == nil; n-- {
				idx := sub.u32()
				names[idx] = string(sub.name())
			}
			if sub.err != nil {
				return nil, errors.New("malformed function names in the name section")
			}
		}
		if r.err != nil {
			return nil, errors.New("malformed name section")
		}
		return names, nil
	}
	return nil, errors.New("no name section (give the .debug.wasm the build writes beside the module)")
}

// printNames writes one line per named function, "INDEX NAME", by index.
func printNames(w io.Writer, names map[uint32]string) error {
	idx := make([]int, 0, len(names))
	for i := range names {
		idx = append(idx, int(i))
	}
	sort.Ints(idx)
	for _, i := range idx {
		if _, err := fmt.Fprintf(w, "%d %s\n", i, names[uint32(i)]); err != nil {
			return err
		}
	}
	return nil
}
