package main

// The decoder follows the LZMA specification that comes with the LZMA SDK (Igor Pavlov's
// lzma-specification.txt and its reference decoder, LzmaSpec.cpp): a range decoder of
// adaptive binary probabilities, literals coded in the context of the previous byte and,
// after a match, of the byte at the last distance; matches at a new distance or at one of
// the last four; a state of 12 values for what the last few symbols were. The stream here
// is the one a .lzma file holds after its 13-byte header (properties, dictionary size,
// length): the properties are read at pack time and become the decoder's constants, and
// the length is the data's range.

// lzmaProps are the literal context bits, literal position bits and position bits of a
// stream (the header's first byte, (pb*5+lp)*9+lc).
type lzmaProps struct{ lc, lp, pb uint32 }

func lzmaPropsOf(b byte) (lzmaProps, bool) {
	if b >= 9*5*5 {
		return lzmaProps{}, false
	}
	return lzmaProps{lc: uint32(b) % 9, lp: uint32(b) / 9 % 5, pb: uint32(b) / 45}, true
}

// decodeLayout is where the decoder reads the stream, [src, srcEnd), where it writes the
// data, [dst, dstEnd), and where it keeps its probabilities, probs (lzmaProbBytes of
// them, 4-byte aligned). The stream lies wholly above the data and the probabilities
// between the two: the decoder never writes over a byte of the stream.
type decodeLayout struct {
	src, srcEnd, dst, dstEnd, probs uint32
}

// Where each model's probabilities are, counted in probabilities (2 bytes each) from the
// start of the decoder's table.
type lzmaModel struct {
	isMatch, isRep, isRepG0, isRepG1, isRepG2, isRep0Long uint32
	posSlot, specPos, align, lenCoder, repLenCoder        uint32
	literal, count                                        uint32
	lenLow, lenMid, lenHigh                               uint32 // offsets within a length coder
}

const (
	lzmaStates      = 12
	lzmaEndPosModel = 14  // the first position slot whose low bits are coded by align
	lzmaFullDist    = 128 // 1 << (lzmaEndPosModel / 2)
	lzmaMatchMinLen = 2
	lzmaProbInit    = 1024 // a probability of one half, in 11 bits
)

func lzmaModelOf(p lzmaProps) lzmaModel {
	var m lzmaModel
	at := uint32(0)
	take := func(n uint32) uint32 { v := at; at += n; return v }
	m.isMatch = take(lzmaStates << p.pb)
	m.isRep = take(lzmaStates)
	m.isRepG0 = take(lzmaStates)
	m.isRepG1 = take(lzmaStates)
	m.isRepG2 = take(lzmaStates)
	m.isRep0Long = take(lzmaStates << p.pb)
	m.posSlot = take(4 << 6)
	m.specPos = take(1 + lzmaFullDist - lzmaEndPosModel)
	m.align = take(16)
	// A length coder: choice, choice 2, 8 low and 8 mid lengths per position state, 256
	// high ones.
	m.lenLow, m.lenMid, m.lenHigh = 2, 2+8<<p.pb, 2+16<<p.pb
	lenSize := m.lenHigh + 256
	m.lenCoder = take(lenSize)
	m.repLenCoder = take(lenSize)
	m.literal = take(0x300 << (p.lc + p.lp))
	m.count = at
	return m
}

// lzmaProbBytes is the size of the decoder's table of probabilities, rounded up to 4.
func lzmaProbBytes(p lzmaProps) uint32 { return (lzmaModelOf(p).count*2 + 3) &^ 3 }

// The decoder's locals, all i32.
const (
	lS        = iota // the next byte of the stream to read
	lD               // the next byte of the data to write
	lRange           // the range decoder's range
	lCode            // the range decoder's code
	lP               // the address of the probability being decoded
	lV               // that probability
	lBound           // the range's split for it
	lBit             // the bit just decoded
	lState           // the state, 0 to 11
	lRep0            // the last four distances, each minus one
	lRep1            //
	lRep2            //
	lRep3            //
	lPosState        // the output position's low pb bits
	lSym             // a symbol being decoded bit by bit (with its leading 1)
	lMatch           // the byte at rep0, shifted, for a literal after a match
	lMBit            // its top bit
	lLen             // a match's length
	lBase            // the address of a bit tree's probabilities
	lN               // a bit tree's remaining bits
	lSlot            // a distance's position slot
	lI               // a reverse bit tree's bit position
	lKind            // 1 for a match at a new distance, 0 for a repeated one
	lTmp             //
	nLocals
)

// lzmaAsm writes the decoder for one layout and one set of properties.
type lzmaAsm struct {
	asm
	l decodeLayout
	p lzmaProps
	m lzmaModel
}

// prob is the address of probability i of the table.
func (a *lzmaAsm) prob(i uint32) uint32 { return a.l.probs + 2*i }

// decoderBody is the code-section body of a function of no arguments that decodes an
// LZMA stream of properties p from l.src..l.srcEnd into l.dst..l.dstEnd, its
// probabilities at l.probs, and then zeroes l.probs..l.srcEnd (the table, what lies
// between it and the stream, and the stream), so the memory is what the data segments
// alone would have written.
//
// It traps (unreachable) rather than read outside [src, srcEnd) or write outside [dst,
// dstEnd) and the table: on a stream shorter than 5 bytes or whose first byte is not 0, a
// read past its end, a distance reaching before dst (the end marker's included), a
// repeated distance before any byte is written, and a length past dstEnd. It stops when
// dstEnd is reached; what follows in the stream (an end marker) is not read. The
// instructions are MVP Wasm and bulk memory's memory.fill, which Go's own code already
// uses.
func decoderBody(l decodeLayout, p lzmaProps) []byte {
	a := &lzmaAsm{l: l, p: p, m: lzmaModelOf(p)}
	m := a.m

	// Every probability starts at one half: two of them per i32 store.
	a.constant(l.probs).set(lP)
	a.loop("fill")
	a.get(lP).constant(lzmaProbInit<<16 | lzmaProbInit).store32()
	a.inc(lP, 4)
	a.get(lP).constant(l.probs + lzmaProbBytes(p)).op(opI32LtU).brIf("fill")
	a.end()

	// The range decoder: a first byte of 0, then the code's 4 bytes, big-endian.
	a.constant(l.srcEnd - l.src).constant(5).op(opI32LtU).trapIf()
	a.constant(l.src).load8().trapIf()
	a.constant(l.src + 1).set(lS)
	for range 4 {
		a.get(lCode).constant(8).op(opI32Shl).get(lS).load8().op(opI32Or).set(lCode)
		a.inc(lS, 1)
	}
	a.constant(0xffffffff).set(lRange)
	a.constant(l.dst).set(lD)

	a.block("done")
	a.loop("symbol")
	a.get(lD).constant(l.dstEnd).op(opI32Eq).brIf("done")
	a.get(lD).constant(l.dst).op(opI32Sub).constant(1<<p.pb - 1).op(opI32And).set(lPosState)
	a.stateIndex(m.isMatch).bit()
	a.get(lBit).op(opI32Eqz).ifThen()
	a.literal()
	a.br("symbol")
	a.end()

	a.stateProb(m.isRep).bit()
	a.get(lBit).ifThen()
	{
		// A repeated distance: one of the last four, or a single byte at rep0.
		a.get(lD).constant(l.dst).op(opI32Eq).trapIf()
		a.stateProb(m.isRepG0).bit()
		a.get(lBit).op(opI32Eqz).ifThen()
		{
			a.stateIndex(m.isRep0Long).bit()
			a.get(lBit).op(opI32Eqz).ifThen()
			a.nextState(9, 11)
			a.get(lD).get(lD).get(lRep0).op(opI32Sub).constant(1).op(opI32Sub).load8().store8()
			a.inc(lD, 1)
			a.br("symbol")
			a.end()
		}
		a.orElse()
		{
			a.stateProb(m.isRepG1).bit()
			a.get(lBit).op(opI32Eqz).ifThen()
			a.get(lRep1).set(lTmp)
			a.orElse()
			{
				a.stateProb(m.isRepG2).bit()
				a.get(lBit).op(opI32Eqz).ifThen()
				a.get(lRep2).set(lTmp)
				a.orElse()
				a.get(lRep3).set(lTmp)
				a.get(lRep2).set(lRep3)
				a.end()
				a.get(lRep1).set(lRep2)
			}
			a.end()
			a.get(lRep0).set(lRep1)
			a.get(lTmp).set(lRep0)
		}
		a.end()
		a.nextState(8, 11)
		a.constant(a.prob(m.repLenCoder)).set(lBase)
		a.constant(0).set(lKind)
	}
	a.orElse()
	{
		// A match at a new distance, decoded after its length.
		a.get(lRep2).set(lRep3)
		a.get(lRep1).set(lRep2)
		a.get(lRep0).set(lRep1)
		a.nextState(7, 10)
		a.constant(a.prob(m.lenCoder)).set(lBase)
		a.constant(1).set(lKind)
	}
	a.end()

	a.length()
	a.get(lKind).ifThen()
	a.distance()
	a.end()

	// The match: lLen + 2 bytes from rep0 + 1 back, a byte at a time in increasing order,
	// so a distance shorter than the length repeats, as the format means.
	a.inc(lLen, lzmaMatchMinLen)
	a.get(lLen).constant(l.dstEnd).get(lD).op(opI32Sub).op(opI32GtU).trapIf()
	a.get(lD).get(lRep0).op(opI32Sub).constant(1).op(opI32Sub).set(lTmp)
	a.loop("copy")
	a.get(lD).get(lTmp).load8().store8()
	a.inc(lD, 1).inc(lTmp, 1)
	a.get(lLen).constant(1).op(opI32Sub).tee(lLen).brIf("copy")
	a.end()
	a.br("symbol")
	a.end() // symbol
	a.end() // done

	// The table, the gap above it and the stream, back to the zeros instantiation gave.
	a.constant(l.probs).constant(0).constant(l.srcEnd-l.probs).op(opPrefixFC, 0x0b, 0)
	return a.body(nLocals)
}

// stateIndex sets lP to the probability base + (state << pb) + posState.
func (a *lzmaAsm) stateIndex(base uint32) *lzmaAsm {
	a.get(lState).constant(a.p.pb).op(opI32Shl).get(lPosState).op(opI32Add).
		constant(1).op(opI32Shl).constant(a.prob(base)).op(opI32Add).set(lP)
	return a
}

// stateProb sets lP to the probability base + state.
func (a *lzmaAsm) stateProb(base uint32) *lzmaAsm {
	a.get(lState).constant(1).op(opI32Shl).constant(a.prob(base)).op(opI32Add).set(lP)
	return a
}

// nextState sets the state after a match, a repeat or a short repeat: ifLiteral when the
// state was one of the 7 after a literal, else ifMatch.
func (a *lzmaAsm) nextState(ifLiteral, ifMatch uint32) {
	a.constant(ifLiteral).constant(ifMatch).get(lState).constant(7).op(opI32LtU).op(opSelect).set(lState) // select
}

// bit decodes one bit with the probability at lP into lBit, adapting the probability and
// normalising the range (a byte of the stream shifted into the code when the range falls
// below 2^24; past the stream's end, a trap).
func (a *lzmaAsm) bit() {
	a.get(lRange).constant(11).op(opI32ShrU).get(lP).load16().tee(lV).op(opI32Mul).set(lBound)
	a.get(lCode).get(lBound).op(opI32LtU).ifThen()
	a.get(lBound).set(lRange)
	a.get(lP).get(lV).constant(2048).get(lV).op(opI32Sub).constant(5).op(opI32ShrU).op(opI32Add).store16()
	a.constant(0).set(lBit)
	a.orElse()
	a.get(lCode).get(lBound).op(opI32Sub).set(lCode)
	a.get(lRange).get(lBound).op(opI32Sub).set(lRange)
	a.get(lP).get(lV).get(lV).constant(5).op(opI32ShrU).op(opI32Sub).store16()
	a.constant(1).set(lBit)
	a.end()
	a.normalize()
}

func (a *lzmaAsm) normalize() {
	a.get(lRange).constant(1 << 24).op(opI32LtU).ifThen()
	a.get(lS).constant(a.l.srcEnd).op(opI32GeU).trapIf()
	a.get(lRange).constant(8).op(opI32Shl).set(lRange)
	a.get(lCode).constant(8).op(opI32Shl).get(lS).load8().op(opI32Or).set(lCode)
	a.inc(lS, 1)
	a.end()
}

// literal decodes a byte into lD and sets the state after a literal. Its probabilities
// are chosen by the output position's low lp bits and the previous byte's high lc bits;
// after a match (state 7 or more) each bit is first coded in the context of the byte at
// rep0 until one differs from it.
func (a *lzmaAsm) literal() {
	l, p := a.l, a.p
	// lBase = literal table + 0x300 * (((pos & lpMask) << lc) + (prev >> (8 - lc))), in bytes.
	a.get(lD).constant(l.dst).op(opI32Sub).constant(1<<p.lp - 1).op(opI32And).constant(p.lc).op(opI32Shl)
	a.get(lD).constant(l.dst).op(opI32Eq).ifThenI32()
	a.constant(0)
	a.orElse()
	a.get(lD).constant(1).op(opI32Sub).load8().constant(8 - p.lc).op(opI32ShrU)
	a.end()
	a.op(opI32Add).constant(0x300 * 2).op(opI32Mul).constant(a.prob(a.m.literal)).op(opI32Add).set(lBase)
	a.constant(1).set(lSym)
	a.get(lState).constant(7).op(opI32GeU).ifThen()
	{
		a.get(lD).get(lRep0).op(opI32Sub).constant(1).op(opI32Sub).load8().set(lMatch)
		a.block("mismatch")
		a.loop("matched")
		a.get(lMatch).constant(7).op(opI32ShrU).constant(1).op(opI32And).set(lMBit)
		a.get(lMatch).constant(1).op(opI32Shl).set(lMatch)
		// probs[((1 + matchBit) << 8) + symbol]
		a.get(lMBit).constant(1).op(opI32Add).constant(8).op(opI32Shl).get(lSym).op(opI32Add).
			constant(1).op(opI32Shl).get(lBase).op(opI32Add).set(lP)
		a.bit()
		a.get(lSym).constant(1).op(opI32Shl).get(lBit).op(opI32Or).set(lSym)
		a.get(lMBit).get(lBit).op(opI32Ne).brIf("mismatch")
		a.get(lSym).constant(0x100).op(opI32LtU).brIf("matched")
		a.end()
		a.end()
	}
	a.end()
	a.block("byte")
	a.loop("plain")
	a.get(lSym).constant(0x100).op(opI32GeU).brIf("byte")
	a.get(lSym).constant(1).op(opI32Shl).get(lBase).op(opI32Add).set(lP)
	a.bit()
	a.get(lSym).constant(1).op(opI32Shl).get(lBit).op(opI32Or).set(lSym)
	a.br("plain")
	a.end()
	a.end()
	a.get(lD).get(lSym).store8() // the low 8 bits: symbol - 0x100
	a.inc(lD, 1)
	// state < 4: 0; state < 10: state - 3; else state - 6.
	a.get(lState).constant(4).op(opI32LtU).ifThen()
	a.constant(0).set(lState)
	a.orElse()
	a.get(lState).constant(3).constant(6).get(lState).constant(10).op(opI32LtU).op(opSelect).op(opI32Sub).set(lState)
	a.end()
}

// length decodes a length coder's value at lBase (0 to 271) into lLen: a choice bit,
// then 3 bits for 0-7 (per position state), a second choice and 3 bits for 8-15, or 8
// bits for 16-271.
func (a *lzmaAsm) length() {
	m := a.m
	a.get(lBase).set(lP)
	a.bit()
	a.get(lBit).op(opI32Eqz).ifThen()
	a.get(lPosState).constant(4).op(opI32Shl).get(lBase).op(opI32Add).constant(2 * m.lenLow).op(opI32Add).set(lBase)
	a.constant(3).set(lN)
	a.constant(0).set(lLen)
	a.orElse()
	a.get(lBase).constant(2).op(opI32Add).set(lP)
	a.bit()
	a.get(lBit).op(opI32Eqz).ifThen()
	a.get(lPosState).constant(4).op(opI32Shl).get(lBase).op(opI32Add).constant(2 * m.lenMid).op(opI32Add).set(lBase)
	a.constant(3).set(lN)
	a.constant(8).set(lLen)
	a.orElse()
	a.get(lBase).constant(2 * m.lenHigh).op(opI32Add).set(lBase)
	a.constant(8).set(lN)
	a.constant(16).set(lLen)
	a.end()
	a.end()
	a.bitTree()
	a.get(lLen).get(lSym).op(opI32Add).set(lLen)
}

// bitTree decodes lN bits, high first, with the tree of probabilities at lBase, into lSym
// (without its leading 1).
func (a *lzmaAsm) bitTree() {
	a.constant(1).get(lN).op(opI32Shl).set(lI) // the leading 1, once all bits are in
	a.constant(1).set(lSym)
	a.loop("tree")
	a.get(lSym).constant(1).op(opI32Shl).get(lBase).op(opI32Add).set(lP)
	a.bit()
	a.get(lSym).constant(1).op(opI32Shl).get(lBit).op(opI32Or).set(lSym)
	a.get(lN).constant(1).op(opI32Sub).tee(lN).brIf("tree")
	a.end()
	a.get(lSym).get(lI).op(opI32Sub).set(lSym)
}

// distance decodes a new match's distance (minus one) into lRep0, for the length in lLen:
// a 6-bit position slot in the context of the length (0, 1, 2, or 3 and more), then the
// slot's low bits, by a reverse bit tree of their own below slot 14, and above it as
// direct bits and 4 bits of the align tree. A distance reaching before dst traps; so does
// the end marker (all ones).
func (a *lzmaAsm) distance() {
	m := a.m
	// The slot's tree: posSlot + min(len, 3) * 64, in bytes.
	a.get(lLen).constant(3).get(lLen).constant(3).op(opI32LtU).op(opSelect)
	a.constant(6 + 1).op(opI32Shl).constant(a.prob(m.posSlot)).op(opI32Add).set(lBase)
	a.constant(6).set(lN)
	a.bitTree()
	a.get(lSym).tee(lSlot).set(lRep0)
	a.get(lSlot).constant(4).op(opI32GeU).ifThen()
	{
		// dist = (2 | slot & 1) << (slot/2 - 1)
		a.get(lSlot).constant(1).op(opI32ShrU).constant(1).op(opI32Sub).set(lN)
		a.get(lSlot).constant(1).op(opI32And).constant(2).op(opI32Or).get(lN).op(opI32Shl).set(lRep0)
		a.get(lSlot).constant(lzmaEndPosModel).op(opI32LtU).ifThen()
		// All low bits from the tree at specPos + dist - slot.
		a.get(lRep0).get(lSlot).op(opI32Sub).constant(1).op(opI32Shl).constant(a.prob(m.specPos)).op(opI32Add).set(lBase)
		a.orElse()
		{
			// All but the low 4 as direct bits, of probability one half.
			a.get(lN).constant(4).op(opI32Sub).set(lN)
			a.constant(0).set(lTmp)
			a.loop("direct")
			a.get(lRange).constant(1).op(opI32ShrU).set(lRange)
			a.get(lCode).get(lRange).op(opI32GeU).set(lBit)
			a.get(lCode).get(lRange).constant(0).get(lBit).op(opSelect).op(opI32Sub).set(lCode)
			a.get(lTmp).constant(1).op(opI32Shl).get(lBit).op(opI32Or).set(lTmp)
			a.normalize()
			a.get(lN).constant(1).op(opI32Sub).tee(lN).brIf("direct")
			a.end()
			a.get(lRep0).get(lTmp).constant(4).op(opI32Shl).op(opI32Add).set(lRep0)
			a.constant(a.prob(m.align)).set(lBase)
			a.constant(4).set(lN)
		}
		a.end()
		// The low lN bits, low first, from the tree at lBase.
		a.constant(1).set(lSym)
		a.constant(0).set(lI)
		a.constant(0).set(lTmp)
		a.loop("reverse")
		a.get(lSym).constant(1).op(opI32Shl).get(lBase).op(opI32Add).set(lP)
		a.bit()
		a.get(lSym).constant(1).op(opI32Shl).get(lBit).op(opI32Or).set(lSym)
		a.get(lTmp).get(lBit).get(lI).op(opI32Shl).op(opI32Or).set(lTmp)
		a.inc(lI, 1)
		a.get(lI).get(lN).op(opI32LtU).brIf("reverse")
		a.end()
		a.get(lRep0).get(lTmp).op(opI32Add).set(lRep0)
	}
	a.end()
	a.get(lRep0).get(lD).constant(a.l.dst).op(opI32Sub).op(opI32GeU).trapIf()
}
