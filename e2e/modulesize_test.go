package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Where a module's bytes go: its sections, and the code section's function bodies
// attributed to Go packages through the name section. `go tool nm` does not read
// wasm, and no wasm tool is a dependency, so this reads the binary format itself
// (WebAssembly Core Specification 2.0, §5.5 modules, and the name section of its
// appendix 7.4).

// wasmModule is what moduleLayout reads from a module.
type wasmModule struct {
	sections  []wasmSection
	imports   int      // imported functions: they come first in the function index space
	bodies    []int    // size of each function body, in code section order
	funcNames []string // by function index, imports included; "" when unnamed
}

type wasmSection struct {
	id   byte
	name string // a custom section's name
	size int    // the whole section, id and size fields included
}

func (s wasmSection) label() string {
	names := map[byte]string{1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
		7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count"}
	if s.id == 0 {
		return "custom " + s.name
	}
	return names[s.id]
}

// wasmReader reads the binary format's integers and names.
type wasmReader struct {
	b   []byte
	err error
}

func (r *wasmReader) u32() int {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		if len(r.b) == 0 {
			r.err = errors.New("truncated LEB128")
			return 0
		}
		c := r.b[0]
		r.b = r.b[1:]
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return int(v)
		}
	}
	r.err = errors.New("LEB128 too long")
	return 0
}

func (r *wasmReader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.err = errors.New("truncated")
		n = len(r.b)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *wasmReader) name() string { return string(r.bytes(r.u32())) }

// moduleLayout reads a module's sections, imported function count, function body
// sizes and function names.
func moduleLayout(wasm []byte) (*wasmModule, error) {
	if !bytes.HasPrefix(wasm, []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a WebAssembly 1.0 module")
	}
	m := &wasmModule{}
	r := &wasmReader{b: wasm[8:]}
	for len(r.b) > 0 && r.err == nil {
		start := len(r.b)
		id := r.bytes(1)[0]
		content := &wasmReader{b: r.bytes(r.u32())}
		s := wasmSection{id: id, size: start - len(r.b)}
		switch id {
		case 0:
			s.name = content.name()
			if s.name == "name" {
				m.readNames(content)
			}
		case 2:
			for n := content.u32(); n > 0 && content.err == nil; n-- {
				content.name()
				content.name()
				kind := content.bytes(1)[0]
				switch kind {
				case 0: // function: type index
					content.u32()
					m.imports++
				case 1: // table: reftype, limits
					content.bytes(1)
					if content.bytes(1)[0] == 1 {
						content.u32()
					}
					content.u32()
				case 2: // memory: limits
					if content.bytes(1)[0] == 1 {
						content.u32()
					}
					content.u32()
				case 3: // global: valtype, mutability
					content.bytes(2)
				}
			}
		case 10:
			for n := content.u32(); n > 0 && content.err == nil; n-- {
				size := content.u32()
				content.bytes(size)
				m.bodies = append(m.bodies, size)
			}
		}
		if content.err != nil {
			return nil, fmt.Errorf("section %d: %v", id, content.err)
		}
		m.sections = append(m.sections, s)
	}
	return m, r.err
}

// readNames reads the function names subsection (id 1) of the name section.
func (m *wasmModule) readNames(r *wasmReader) {
	for len(r.b) > 0 && r.err == nil {
		id := r.bytes(1)[0]
		sub := &wasmReader{b: r.bytes(r.u32())}
		if id != 1 {
			continue
		}
		for n := sub.u32(); n > 0 && sub.err == nil; n-- {
			idx, name := sub.u32(), sub.name()
			for len(m.funcNames) <= idx {
				m.funcNames = append(m.funcNames, "")
			}
			m.funcNames[idx] = name
		}
	}
}

// goPackage is the Go package a wasm function name belongs to. Go's linker writes
// names with the import path's "/" and "-" as "_" (crypto/internal/fips140/nistec's
// P256Point.Add is "crypto_internal_fips140_nistec.__P256Point_.Add"), so the package
// is what comes before the first dot, after a leading domain such as "github.com_".
func goPackage(fn string) string {
	start := 0
	if loc := domainPrefix.FindStringIndex(fn); loc != nil {
		start = loc[1]
	}
	if dot := strings.Index(fn[start:], "."); dot >= 0 {
		return fn[:start+dot]
	}
	return fn
}

var domainPrefix = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|net|io|in|dev)_`)

// codeByPackage adds up function body sizes by Go package.
func (m *wasmModule) codeByPackage() map[string]int {
	out := map[string]int{}
	for i, size := range m.bodies {
		name := ""
		if idx := m.imports + i; idx < len(m.funcNames) {
			name = m.funcNames[idx]
		}
		out[goPackage(name)] += size
	}
	return out
}

func TestModuleLayoutAccountsForEveryByte(t *testing.T) {
	wasm := wasmFile(t, "noop.wasm")
	m, err := moduleLayout(wasm)
	if err != nil {
		t.Fatal(err)
	}
	total := 8
	for _, s := range m.sections {
		total += s.size
	}
	if total != len(wasm) {
		t.Fatalf("sections add up to %d bytes, the module has %d", total, len(wasm))
	}
	if m.imports == 0 || len(m.bodies) == 0 || len(m.funcNames) != m.imports+len(m.bodies) {
		t.Fatalf("%d imported functions, %d bodies, %d names: the name section should name every function", m.imports, len(m.bodies), len(m.funcNames))
	}
	byPkg := m.codeByPackage()
	if byPkg["runtime"] == 0 || byPkg[""] != 0 {
		t.Fatalf("code by package: runtime %d bytes, unnamed %d", byPkg["runtime"], byPkg[""])
	}
}

// BenchmarkModuleSize reports build/exeunt.wasm's size by section and its code by Go
// package (the largest 25), and the same for noop.wasm: `go test ./e2e/ -run '^$'
// -bench ModuleSize -benchtime 1x -v`. exeunt.wasm ships without its name section, so its
// code is attributed through build/exeunt.debug.wasm, the same module with the names
// (checked: the same functions, of the same sizes).
func BenchmarkModuleSize(b *testing.B) {
	for _, file := range []string{"exeunt.wasm", "noop.wasm"} {
		wasm := wasmFile(b, file)
		m, err := moduleLayout(wasm)
		if err != nil {
			b.Fatal(err)
		}
		var out strings.Builder
		fmt.Fprintf(&out, "%s: %d bytes, %d functions\n", file, len(wasm), len(m.bodies))
		for _, s := range m.sections {
			fmt.Fprintf(&out, "  section %-22s %10d\n", s.label(), s.size)
		}
		type row struct {
			pkg  string
			size int
		}
		var rows []row
		named := m
		if file == "exeunt.wasm" {
			debug, err := moduleLayout(wasmFile(b, "exeunt.debug.wasm"))
			if err != nil {
				b.Fatal(err)
			}
			if len(debug.bodies) != len(m.bodies) || debug.imports != m.imports {
				b.Fatalf("exeunt.debug.wasm has %d functions, exeunt.wasm %d: not the same build (run make wasm)", len(debug.bodies), len(m.bodies))
			}
			for i := range m.bodies {
				if debug.bodies[i] != m.bodies[i] {
					b.Fatalf("function %d differs in size between exeunt.wasm and exeunt.debug.wasm: not the same build (run make wasm)", m.imports+i)
				}
			}
			named = debug
		}
		for p, size := range named.codeByPackage() {
			rows = append(rows, row{p, size})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].size > rows[j].size })
		for i, r := range rows {
			if i == 25 {
				break
			}
			fmt.Fprintf(&out, "  code %-60s %10d\n", r.pkg, r.size)
		}
		b.Log(out.String())
		b.ReportMetric(float64(len(wasm)), strings.TrimSuffix(file, ".wasm")+"-bytes")
	}
}
