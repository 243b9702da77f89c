package hostsim

// A tiny WebAssembly assembler for the profile tests: each rule of a host
// profile is tested with a module a few instructions long that breaks it,
// which no Go toolchain would produce on purpose.

type wasmFunc struct {
	typ    int
	export string
	body   []byte // instructions, without the final end
}

type wasmImport struct {
	module, name string
	typ          int
}

type wasmModule struct {
	types   [][2]string // params, results: 'i' i32, 'I' i64
	imports []wasmImport
	funcs   []wasmFunc
	memMin  uint32
	data    []struct {
		offset uint32
		bytes  []byte
	}
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func wasmName(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func (m *wasmModule) typeOf(params, results string) int {
	for i, t := range m.types {
		if t == [2]string{params, results} {
			return i
		}
	}
	m.types = append(m.types, [2]string{params, results})
	return len(m.types) - 1
}

// imp declares an imported function and returns its index; imports must
// all be declared before any function.
func (m *wasmModule) imp(module, name, params, results string) uint32 {
	m.imports = append(m.imports, wasmImport{module, name, m.typeOf(params, results)})
	return uint32(len(m.imports) - 1)
}

// fn defines a function, exported under export unless it is "", and returns
// its index.
func (m *wasmModule) fn(export, params, results string, body ...[]byte) uint32 {
	var b []byte
	for _, part := range body {
		b = append(b, part...)
	}
	m.funcs = append(m.funcs, wasmFunc{m.typeOf(params, results), export, b})
	return uint32(len(m.imports) + len(m.funcs) - 1)
}

func (m *wasmModule) bytes() []byte {
	vt := func(s string) []byte {
		out := uleb(uint64(len(s)))
		for _, c := range s {
			if c == 'I' {
				out = append(out, 0x7e)
			} else {
				out = append(out, 0x7f)
			}
		}
		return out
	}
	section := func(id byte, count int, body []byte) []byte {
		content := append(uleb(uint64(count)), body...)
		return append(append([]byte{id}, uleb(uint64(len(content)))...), content...)
	}
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	var b []byte
	for _, t := range m.types {
		b = append(b, 0x60)
		b = append(b, vt(t[0])...)
		b = append(b, vt(t[1])...)
	}
	out = append(out, section(1, len(m.types), b)...)
	b = nil
	for _, im := range m.imports {
		b = append(b, wasmName(im.module)...)
		b = append(b, wasmName(im.name)...)
		b = append(b, 0)
		b = append(b, uleb(uint64(im.typ))...)
	}
	out = append(out, section(2, len(m.imports), b)...)
	b = nil
	for _, f := range m.funcs {
		b = append(b, uleb(uint64(f.typ))...)
	}
	out = append(out, section(3, len(m.funcs), b)...)
	out = append(out, section(5, 1, append([]byte{0}, uleb(uint64(max(m.memMin, 1)))...))...)
	b = nil
	n := 1
	b = append(b, wasmName("memory")...)
	b = append(b, 2, 0)
	for i, f := range m.funcs {
		if f.export == "" {
			continue
		}
		n++
		b = append(b, wasmName(f.export)...)
		b = append(b, 0)
		b = append(b, uleb(uint64(len(m.imports)+i))...)
	}
	out = append(out, section(7, n, b)...)
	b = nil
	for _, f := range m.funcs {
		body := append([]byte{0}, f.body...) // no locals
		body = append(body, 0x0b)
		b = append(b, uleb(uint64(len(body)))...)
		b = append(b, body...)
	}
	out = append(out, section(10, len(m.funcs), b)...)
	if len(m.data) > 0 {
		b = nil
		for _, d := range m.data {
			b = append(b, 0, 0x41)
			b = append(b, sleb(int64(d.offset))...)
			b = append(b, 0x0b)
			b = append(b, uleb(uint64(len(d.bytes)))...)
			b = append(b, d.bytes...)
		}
		out = append(out, section(11, len(m.data), b)...)
	}
	return out
}

// Instructions.
func i32(v int64) []byte   { return append([]byte{0x41}, sleb(v)...) }
func i64(v int64) []byte   { return append([]byte{0x42}, sleb(v)...) }
func call(f uint32) []byte { return append([]byte{0x10}, uleb(uint64(f))...) }

var (
	drop       = []byte{0x1a}
	i32Eq      = []byte{0x46}
	i32And     = []byte{0x71}
	i32Eqz     = []byte{0x45}
	i32Load    = []byte{0x28, 2, 0}
	i32Store   = []byte{0x36, 2, 0}
	i64Store   = []byte{0x37, 3, 0}
	memoryGrow = []byte{0x40, 0}
)

// proxyModule is the smallest module hostsim and Envoy accept as a
// Proxy-Wasm filter: an ABI marker, _initialize, proxy_on_memory_allocate
// (answering address 1024, a fixed scratch area) and proxy_on_context_create.
// Callers add imports first, then change or add functions; withInit and
// withAlloc give the bodies of _initialize and proxy_on_memory_allocate.
type proxyFixture struct {
	abi                 string // "0_2_0" (default) or "0_2_1"
	imports             func(m *wasmModule)
	init, alloc         [][]byte
	vmStart, reqHeaders [][]byte
	reqBody             [][]byte
	data                map[uint32]string
}

func (p proxyFixture) bytes() []byte {
	m := &wasmModule{}
	if p.imports != nil {
		p.imports(m)
	}
	abi := p.abi
	if abi == "" {
		abi = "0_2_0"
	}
	m.fn("proxy_abi_version_"+abi, "", "")
	m.fn("_initialize", "", "", p.init...)
	alloc := p.alloc
	m.fn("proxy_on_memory_allocate", "i", "i", append(alloc, i32(1024))...)
	m.fn("proxy_on_context_create", "ii", "")
	if p.vmStart != nil {
		m.fn("proxy_on_vm_start", "ii", "i", p.vmStart...)
	}
	if p.reqHeaders != nil {
		m.fn("proxy_on_request_headers", "iii", "i", p.reqHeaders...)
	}
	if p.reqBody != nil {
		m.fn("proxy_on_request_body", "iii", "i", p.reqBody...)
	}
	for off, s := range p.data {
		m.data = append(m.data, struct {
			offset uint32
			bytes  []byte
		}{off, []byte(s)})
	}
	return m.bytes()
}
