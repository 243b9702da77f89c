package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
)

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
