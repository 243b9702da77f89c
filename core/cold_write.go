package core

import "strings"

// writeCold and writeByteCold are b.WriteString(s) and b.WriteByte(c), not inlined.
// Go's wasm back end turns each inlined strings.Builder write (its copy check, the append
// and its growth) into a few hundred bytes of code at every call site, and the module's
// code is what every Envoy worker compiles at start (issue 15). The builders that write
// through these are off the signed-in request's common path (cookies' attributes, a page's
// CSP and escaping, configuration field paths), where a call costs nothing that counts;
// the request path's own builders (own_cookies.go, classify_path.go) keep the inlined
// writes. BENCHMARKS.md, "Issue 15: Exeunt's own code, cut by function", has the bytes.
//
//go:noinline
func writeCold(b *strings.Builder, s string) { b.WriteString(s) }

//go:noinline
func writeByteCold(b *strings.Builder, c byte) { b.WriteByte(c) }
