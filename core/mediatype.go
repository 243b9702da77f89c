package core

import (
	"strings"
	"unicode"
)

// isFormContentType reports whether a Content-Type header value is an HTML form's,
// application/x-www-form-urlencoded, with well-formed parameters: exactly when
// mime.ParseMediaType returns that type and no error (TestFormContentTypeMatchesMime
// compares the two). The mime package is not used because its init function reads the
// system's MIME type files, which links os's file functions into the module and with
// them WASI imports (path_filestat_get) that older Envoys do not provide.
func isFormContentType(v string) bool {
	base, _, _ := strings.Cut(v, ";")
	if strings.TrimSpace(strings.ToLower(base)) != "application/x-www-form-urlencoded" {
		return false
	}
	// The parameters must parse, and a name given twice must have the same value
	// (mime keeps names with and without "*" apart; the full name does the same).
	var seen map[string]string
	v = v[len(base):]
	for {
		v = strings.TrimLeftFunc(v, unicode.IsSpace)
		if v == "" {
			return true
		}
		name, value, rest, ok := mediaParam(v)
		if !ok {
			return strings.TrimSpace(v) == ";" // a trailing ";" is allowed
		}
		if old, dup := seen[name]; dup && old != value {
			return false
		}
		if seen == nil {
			seen = map[string]string{}
		}
		seen[name] = value
		v = rest
	}
}

// mediaParam reads one `; name=value` from the start of v, as mime does.
func mediaParam(v string) (name, value, rest string, ok bool) {
	rest = strings.TrimLeftFunc(v, unicode.IsSpace)
	if rest, ok = strings.CutPrefix(rest, ";"); !ok {
		return "", "", "", false
	}
	name, rest = mediaToken(strings.TrimLeftFunc(rest, unicode.IsSpace))
	if name == "" {
		return "", "", "", false
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	if rest, ok = strings.CutPrefix(rest, "="); !ok {
		return "", "", "", false
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	value, after := mediaValue(rest)
	if value == "" && after == rest {
		return "", "", "", false
	}
	return strings.ToLower(name), value, after, true
}

// mediaValue reads a token or a quoted string; on a malformed quoted string it returns
// "" and v unchanged.
func mediaValue(v string) (value, rest string) {
	if v == "" || v[0] != '"' {
		return mediaToken(v)
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			return b.String(), v[i+1:]
		case c == '\\' && i+1 < len(v) && isMediaTSpecial(v[i+1]):
			// An escaped special; any other backslash is literal (as mime reads it).
			b.WriteByte(v[i+1])
			i++
		case c == '\r' || c == '\n':
			return "", v
		default:
			b.WriteByte(c)
		}
	}
	return "", v
}

// mediaToken splits v after its leading RFC 2045 token.
func mediaToken(v string) (token, rest string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || isMediaTSpecial(c) {
			return v[:i], v[i:]
		}
	}
	return v, ""
}

func isMediaTSpecial(c byte) bool { return strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 }
