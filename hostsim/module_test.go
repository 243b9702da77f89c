package hostsim

import (
	"context"
	"strings"
	"testing"
)

// tinyModule assembles a minimal WebAssembly module exporting one empty
// function () -> () under each of the given names, so ABI detection can be
// tested on modules no toolchain would produce.
func tinyModule(exports ...string) []byte {
	section := func(id byte, body []byte) []byte {
		return append([]byte{id, byte(len(body))}, body...)
	}
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, section(1, []byte{1, 0x60, 0, 0})...) // one type: () -> ()
	m = append(m, section(3, []byte{1, 0})...)          // one function of type 0
	exp := []byte{byte(len(exports))}
	for _, name := range exports {
		exp = append(exp, byte(len(name)))
		exp = append(exp, name...)
		exp = append(exp, 0, 0) // kind func, index 0
	}
	m = append(m, section(7, exp)...)
	m = append(m, section(10, []byte{1, 2, 0, 0x0b})...) // body: no locals, end
	return m
}

func TestDetectABI(t *testing.T) {
	cases := []struct {
		exports []string
		want    ABIVersion
		err     string
	}{
		{[]string{"proxy_abi_version_0_2_0", "x"}, ABI020, ""},
		{[]string{"proxy_abi_version_0_2_1"}, ABI021, ""},
		{[]string{"proxy_abi_version_0_1_0"}, "", "declares proxy_abi_version_0_1_0, which this host does not speak"},
		{[]string{"proxy_abi_version_9_9_9"}, "", "does not speak"},
		{[]string{"_start", "main"}, "", "exports no proxy_abi_version_* function"},
		{[]string{"proxy_abi_version_0_2_0", "proxy_abi_version_0_2_1"}, "", "several ABI versions"},
	}
	for _, c := range cases {
		got, err := DetectABI(c.exports)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("DetectABI(%v) = %q, %v; want %q and an error containing %q", c.exports, got, err, c.want, c.err)
		}
	}
}

func TestModulesAreCheckedBeforeTheyRun(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		bin []byte
		err string
	}{
		"not wasm":           {[]byte("#!/bin/sh"), "compiling the module"},
		"no ABI marker":      {tinyModule("_initialize"), "not a Proxy-Wasm module"},
		"ABI 0.1.0":          {tinyModule("proxy_abi_version_0_1_0", "_initialize"), "does not speak"},
		"0.2.1 without hook": {tinyModule("proxy_abi_version_0_2_1", "_initialize"), "does not export proxy_on_memory_allocate"},
	}
	for name, c := range cases {
		_, err := New(ctx, c.bin, Options{})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: New error = %v, want one containing %q", name, err, c.err)
		}
	}
	m, err := Inspect(ctx, tinyModule("proxy_abi_version_0_2_1", "_initialize", "proxy_on_memory_allocate", "proxy_on_context_create"))
	if err != nil || m.ABI != ABI021 {
		t.Fatalf("a 0.2.1 module: %v, %v", m, err)
	}
}

func TestTheRealFilterIsAProxyWasmModule(t *testing.T) {
	for _, name := range []string{"exeunt.wasm", "noop.wasm", "fixture.wasm"} {
		m, err := Inspect(context.Background(), wasmFile(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.ABI != ABI020 {
			t.Errorf("%s: ABI %s, want 0.2.0 (the SDK's)", name, m.ABI)
		}
	}
}
