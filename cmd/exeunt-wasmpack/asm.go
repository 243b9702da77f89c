package main

import "fmt"

// asm writes the instructions of one Wasm function body. Blocks, loops and ifs are
// opened with a label and branched to by that label, so no branch depth is counted by
// hand: br and brIf work the depth out from the constructs still open, and end closes
// the innermost one (body panics if any is left open or an unknown label is named, which
// the tests would show at once).
type asm struct {
	b    []byte
	open []string // the labels of the open blocks, loops and ifs, innermost last
}

// The instructions' opcodes (WebAssembly core specification, section 5.4).
const (
	opUnreachable = 0x00
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opElse        = 0x05
	opEnd         = 0x0b
	opBr          = 0x0c
	opBrIf        = 0x0d
	opLocalGet    = 0x20
	opLocalSet    = 0x21
	opLocalTee    = 0x22
	opI32Load8U   = 0x2d
	opI32Load16U  = 0x2f
	opI32Store    = 0x36
	opI32Store8   = 0x3a
	opI32Store16  = 0x3b
	opI32Const    = 0x41
	opI32Eqz      = 0x45
	opI32Eq       = 0x46
	opI32Ne       = 0x47
	opI32LtU      = 0x49
	opI32GtU      = 0x4b
	opI32GeU      = 0x4f
	opI32Add      = 0x6a
	opI32Sub      = 0x6b
	opI32Mul      = 0x6c
	opI32And      = 0x71
	opI32Or       = 0x72
	opI32Shl      = 0x74
	opI32ShrU     = 0x76
	opSelect      = 0x1b
	opPrefixFC    = 0xfc // memory.copy (10) and memory.fill (11) follow it
	blockVoid     = 0x40
)

func (a *asm) op(b ...byte) *asm { a.b = append(a.b, b...); return a }
func (a *asm) get(l byte) *asm   { return a.op(opLocalGet, l) }
func (a *asm) set(l byte) *asm   { return a.op(opLocalSet, l) }
func (a *asm) tee(l byte) *asm   { return a.op(opLocalTee, l) }

// constant pushes v, an address, a length or a bit pattern, as an i32.const (the
// immediate is signed LEB128 of the same 32 bits).
func (a *asm) constant(v uint32) *asm {
	a.b = appendS32(append(a.b, opI32Const), int32(v))
	return a
}

// load8, load16 and store16 address memory with no offset and no alignment hint.
func (a *asm) load8() *asm   { return a.op(opI32Load8U, 0, 0) }
func (a *asm) load16() *asm  { return a.op(opI32Load16U, 0, 0) }
func (a *asm) store8() *asm  { return a.op(opI32Store8, 0, 0) }
func (a *asm) store16() *asm { return a.op(opI32Store16, 0, 0) }
func (a *asm) store32() *asm { return a.op(opI32Store, 0, 0) }

// inc adds by to local l.
func (a *asm) inc(l byte, by uint32) *asm { return a.get(l).constant(by).op(opI32Add).set(l) }

// trapIf traps when the i32 on the stack is not zero.
func (a *asm) trapIf() *asm { return a.op(opIf, blockVoid, opUnreachable, opEnd) }

func (a *asm) block(label string) *asm {
	a.open = append(a.open, label)
	return a.op(opBlock, blockVoid)
}
func (a *asm) loop(label string) *asm { a.open = append(a.open, label); return a.op(opLoop, blockVoid) }

// ifThen opens an if on the i32 on the stack (not zero: the then arm); it is named "" for
// end's sake and cannot be branched to.
func (a *asm) ifThen() *asm { a.open = append(a.open, ""); return a.op(opIf, blockVoid) }

// ifThenI32 opens an if whose arms each leave one i32.
func (a *asm) ifThenI32() *asm { a.open = append(a.open, ""); return a.op(opIf, 0x7f) }

func (a *asm) orElse() *asm { return a.op(opElse) }

func (a *asm) end() *asm {
	a.open = a.open[:len(a.open)-1]
	return a.op(opEnd)
}

// br branches to label: out of a block, or back to the top of a loop.
func (a *asm) br(label string) *asm { return a.op(opBr, a.depth(label)) }

// brIf branches to label when the i32 on the stack is not zero.
func (a *asm) brIf(label string) *asm { return a.op(opBrIf, a.depth(label)) }

func (a *asm) depth(label string) byte {
	for i := len(a.open) - 1; i >= 0; i-- {
		if a.open[i] == label && label != "" {
			return byte(len(a.open) - 1 - i)
		}
	}
	panic(fmt.Sprintf("asm: no open block or loop %q", label))
}

// body ends the function and returns its code-section body: locals i32 locals, then the
// instructions.
func (a *asm) body(locals byte) []byte {
	if len(a.open) != 0 {
		panic(fmt.Sprintf("asm: %q still open", a.open))
	}
	return append([]byte{1, locals, 0x7f}, append(a.b, opEnd)...)
}
