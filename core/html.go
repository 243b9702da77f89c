package core

import "strings"

// The pages are written as Go code onto an htmlWriter (pages_render.go), not executed
// from templates: html/template runs templates through reflection, and a reflect method
// call makes Go's linker keep every exported method of every reachable type, which
// kept most of the module's size and, through os, WASI imports that older Envoys do not
// provide (RATIONALE.md, "Why are the pages Go code, not html/template, and not templ?").
//
// The escaping is html/template's, context by context, so that the pages are byte for
// byte what they were (the golden files, including hostile values, were written by
// html/template; TestEscapersMatchHTMLTemplate compares each escaper with it):
//
//   - text: text between tags, the RCDATA of <title>, and double-quoted attribute values
//     that are not URLs (html/template's htmlEscaper, rcdataEscaper and attrEscaper,
//     which share one table);
//   - url: a whole double-quoted URL attribute value (href, src, action): a scheme other
//     than http, https or mailto becomes "#ZgotmplZ", then the URL is normalized
//     (percent-encoding what may not appear in a URL) and escaped as an attribute;
//   - markup, fixed inline scripts and styles: written as they are.
//
// There is no automatic context detection: the page code says, at each value, which
// context it is in. A value goes only through text or url; only string constants go
// through raw.

// htmlWriter collects a page. err keeps the first message lookup that failed, which
// fails the page (a typo in a message key cannot ship: the golden tests render every
// page).
type htmlWriter struct {
	b   strings.Builder
	m   messages
	err error
}

// raw writes markup as it is; only ever called with constants and fixed assets.
//
// raw and text are not inlined: the pages call them about a hundred times, and each
// inlined copy (strings.Builder's append and its checks) was wasm code of its own, about
// 53 KB of the module in all for calls that are not on any hot path (RATIONALE.md, "Issue
// 15: module size, continued").
//
//go:noinline
func (w *htmlWriter) raw(s string) { w.b.WriteString(s) }

// text writes s escaped for HTML text, <title> text or a double-quoted attribute value.
//
//go:noinline
func (w *htmlWriter) text(s string) { writeEscapedHTML(&w.b, s) }

// url writes s as a whole double-quoted URL attribute value.
func (w *htmlWriter) url(s string) {
	if !isSafeURL(s) {
		s = "#ZgotmplZ"
	}
	writeEscapedHTML(&w.b, normalizeURL(s))
}

// t is the message key in the page's language with args formatted in; a missing key
// is recorded in w.err and gives "".
func (w *htmlWriter) t(key string, args ...any) string {
	s, err := w.m.T(key, args...)
	if err != nil && w.err == nil {
		w.err = err
	}
	return s
}

// n is the plural form of key for count (messages.N), recorded like t.
func (w *htmlWriter) n(key string, count int) string {
	s, err := w.m.N(key, count)
	if err != nil && w.err == nil {
		w.err = err
	}
	return s
}

// htmlEscapes is html/template's htmlReplacementTable: NUL becomes U+FFFD (as an HTML
// parser would read it), and the five characters that end or start markup, plus "+"
// (a UTF-7 attack vector in old browsers), become character references.
var htmlEscapes = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// writeEscapedHTML writes s with every byte in htmlEscapes replaced. Working on bytes
// is the same as html/template working on runes: the replaced characters are ASCII,
// and no byte of a multi-byte UTF-8 sequence (valid or not) is ASCII.
func writeEscapedHTML(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if int(c) < len(htmlEscapes) && htmlEscapes[c] != "" {
			writeCold(b, s[written:i])
			writeCold(b, htmlEscapes[c])
			written = i + 1
		}
	}
	writeCold(b, s[written:])
}

// isSafeURL is html/template's URL filter: a URL with a scheme (text before the first
// ":" with no "/" in it) must be http, https or mailto, in any case.
func isSafeURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(scheme, "/") {
		return true
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
}

// normalizeURL is html/template's URL normalizer: every byte that is neither unreserved
// (RFC 3986 §2.3), nor one of the reserved characters below, nor the "%" of a valid
// escape, is percent-encoded (lower-case hex, as html/template writes it). Quotes and
// parentheses are encoded too, so the URL cannot leave an attribute or a CSS url().
func normalizeURL(s string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("-._~!#$&*+,/:;=?@[]", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		writeCold(&b, s[written:i])
		const hex = "0123456789abcdef"
		writeByteCold(&b, '%')
		writeByteCold(&b, hex[c>>4])
		writeByteCold(&b, hex[c&15])
		written = i + 1
	}
	if written == 0 {
		return s
	}
	writeCold(&b, s[written:])
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
