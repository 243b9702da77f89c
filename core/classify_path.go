package core

import (
	"strings"
	"unicode/utf8"
)

// requestPath is a request's path (query removed) as the classifier reads it.
type requestPath struct {
	// clear: the path reads one way only, so a prefix match on it means the same to
	// Envoy's router, to Exeunt and to the app. Only clear paths can be public.
	clear bool
	// canonical is the path as a normalising proxy or app would most likely read it
	// (see canonicalPath); it decides which client owns the request. For a clear path
	// it is the path itself. "" when the path does not start with "/".
	canonical string
}

// readPath reads a :path without its query. A path is clear when it starts with "/",
// is visible ASCII, and has none of what different readers resolve differently:
//   - dot segments ("." or ".."), repeated slashes, backslashes (read as "/" by
//     browsers, Envoy's normalize_path and some servers), ";" (segment parameters,
//     dropped by some app servers before routing);
//   - a percent-encoded character that Envoy's normalize_path would decode (the
//     unreserved ALPHA DIGIT "-" "." "_" "~") or that changes the path's structure
//     when an app decodes it (the RFC 3986 reserved characters, "/" as %2F included,
//     "\" as %5C, "%" as %25, controls);
//   - a percent-encoding in lower-case hex, a malformed one, or one that decodes to
//     invalid UTF-8 (overlong forms of "/" among them).
//
// Other percent-encodings (a space as %20, UTF-8 such as %C3%A9) are clear: every
// reader keeps them encoded for routing and decodes them the same way; except the
// compatibility forms of ASCII punctuation that Unicode normalisation folds to ".", "/",
// "\", ";" or "%" (clearUTF8).
func readPath(p string) requestPath {
	if !strings.HasPrefix(p, "/") {
		return requestPath{}
	}
	if pathIsClear(p) {
		return requestPath{clear: true, canonical: p}
	}
	return requestPath{canonical: canonicalPath(p)}
}

func pathIsClear(p string) bool {
	var run []byte // the bytes a run of escapes above 0x7f stands for: must be UTF-8
	for i := 0; i < len(p); i++ {
		b := p[i]
		if b == '%' {
			if i+2 >= len(p) || !isUpperHex(p[i+1]) || !isUpperHex(p[i+2]) {
				return false
			}
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			i += 2
			if c >= 0x80 {
				run = append(run, c)
				continue
			}
			if !escapeKept(c) {
				return false
			}
		}
		if len(run) > 0 {
			if !clearUTF8(run) {
				return false
			}
			run = run[:0]
		}
		switch {
		case b <= ' ' || b >= 0x7f || b == '\\' || b == ';':
			return false
		case b == '/' && (i+1 < len(p) && p[i+1] == '/' || dotSegment(p[i+1:]) > 0):
			return false
		}
	}
	return clearUTF8(run)
}

// clearUTF8 reports whether the bytes a run of escapes stands for are valid UTF-8 without a
// compatibility form of ASCII punctuation: an app or framework that applies Unicode
// normalisation (NFKC) or a "best fit" mapping to paths reads a fullwidth or small full stop,
// solidus, reverse solidus, semicolon or percent sign (U+FF00-U+FFEF, U+FE50-U+FE6F) or a
// one or two dot leader (U+2024, U+2025) as ".", "/", "\", ";", "%" or "..", so
// "/public/%EF%BC%8E%EF%BC%8E/" could climb out of a public prefix there.
func clearUTF8(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r >= 0xFF00 && r <= 0xFFEF || r >= 0xFE50 && r <= 0xFE6F || r == 0x2024 || r == 0x2025 {
			return false
		}
		b = b[n:]
	}
	return true
}

// escapeKept reports whether an ASCII character stays percent-encoded in a clear path:
// it is neither unreserved (Envoy's normalize_path decodes those) nor reserved nor one
// that changes how a path splits or decodes ("%", "\", controls).
func escapeKept(c byte) bool {
	return c >= 0x20 && c != 0x7f && !isUnreserved(c) && !isReserved(c) && c != '%' && c != '\\'
}

// isUnreserved: RFC 3986 unreserved characters (ALPHA DIGIT "-" "." "_" "~").
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

// isReserved: RFC 3986 reserved characters (gen-delims and sub-delims).
func isReserved(c byte) bool { return strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0 }

// dotSegment returns the length of a "." or ".." segment at the start of rest (the
// path after a "/"), or 0 when there is none.
func dotSegment(rest string) int {
	switch {
	case len(rest) == 0 || rest[0] != '.':
		return 0
	case len(rest) == 1 || rest[1] == '/':
		return 1 // "."
	case rest[1] == '.' && (len(rest) == 2 || rest[2] == '/'):
		return 2 // ".."
	}
	return 0
}

func isUpperHex(b byte) bool { return b >= '0' && b <= '9' || b >= 'A' && b <= 'F' }

func isHex(b byte) bool { return isUpperHex(b) || b >= 'a' && b <= 'f' }

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}

// canonicalPath reads an unclear path the way the most normalising reader would, to
// find the client it is aimed at: percent-encoded unreserved characters, "/" (%2F) and
// "\" (%5C) decoded, other escapes in upper case, "\" read as "/", ";" parameters
// dropped from each segment, repeated slashes merged, dot segments resolved (RFC 3986,
// section 5.2.4). It is used only to decide ownership (which needs a session), never
// to make anything public.
func canonicalPath(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	param := false // inside a ";" parameter, up to the next "/"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			i += 2
			switch {
			case d == '/' || d == '\\':
				c = '/'
			case isUnreserved(d):
				c = d // as Envoy's normalize_path does
			default:
				if !param {
					b.WriteByte('%')
					b.WriteByte("0123456789ABCDEF"[d>>4])
					b.WriteByte("0123456789ABCDEF"[d&15])
				}
				continue
			}
		}
		if c == '\\' {
			c = '/'
		}
		switch {
		case c == '/':
			param = false
		case c == ';':
			param = true
		}
		if !param {
			b.WriteByte(c)
		}
	}
	return removeDotSegments(mergeSlashes(b.String()))
}

func mergeSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// removeDotSegments resolves "." and ".." segments of an absolute path (RFC 3986,
// section 5.2.4); ".." never climbs above the root.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}
