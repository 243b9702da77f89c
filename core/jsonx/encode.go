package jsonx

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// Marshaler is a type that writes itself to a [Writer].
type Marshaler interface {
	EncodeJSON(w *Writer)
}

// Marshal returns what v writes, or the first error of its writing (a raw value that is not
// JSON, a float that is NaN or infinite), as json.Marshal would fail.
func Marshal(v Marshaler) ([]byte, error) {
	// One allocation for the records Exeunt writes (a session is about 300 bytes).
	w := Writer{buf: make([]byte, 0, 512)}
	v.EncodeJSON(&w)
	return w.Bytes()
}

// Writer writes one JSON value, compact, as json.Marshal writes it. Commas are its business:
// write an object as ObjectStart, then Key and one value per member, then ObjectEnd.
type Writer struct {
	buf   []byte
	comma bool // a value was written in the current container: the next one needs a comma
	err   error
}

// Bytes returns what was written, or the first error.
func (w *Writer) Bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return w.buf, nil
}

func (w *Writer) sep() {
	if w.comma {
		w.buf = append(w.buf, ',')
	}
	w.comma = true
}

// ObjectStart opens an object.
//
//go:noinline
func (w *Writer) ObjectStart() {
	w.sep()
	w.buf = append(w.buf, '{')
	w.comma = false
}

// ObjectEnd closes it.
//
//go:noinline
func (w *Writer) ObjectEnd() {
	w.buf = append(w.buf, '}')
	w.comma = true
}

// ArrayStart opens an array.
//
//go:noinline
func (w *Writer) ArrayStart() {
	w.sep()
	w.buf = append(w.buf, '[')
	w.comma = false
}

// ArrayEnd closes it.
//
//go:noinline
func (w *Writer) ArrayEnd() {
	w.buf = append(w.buf, ']')
	w.comma = true
}

// Key writes a member's name; one value must follow.
func (w *Writer) Key(name string) {
	w.sep()
	w.buf = appendString(w.buf, name)
	w.buf = append(w.buf, ':')
	w.comma = false
}

// String writes s.
func (w *Writer) String(s string) {
	w.sep()
	w.buf = appendString(w.buf, s)
}

// Int writes n.
//
//go:noinline
func (w *Writer) Int(n int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, n, 10)
}

// Uint writes n.
//
//go:noinline
func (w *Writer) Uint(n uint64) {
	w.sep()
	w.buf = strconv.AppendUint(w.buf, n, 10)
}

// IntString writes n as a string, as encoding/json writes an int64 field tagged ",string".
//
//go:noinline
func (w *Writer) IntString(n int64) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '"')
}

// Bool writes true or false.
//
//go:noinline
func (w *Writer) Bool(b bool) {
	w.sep()
	w.buf = strconv.AppendBool(w.buf, b)
}

// Null writes null.
//
//go:noinline
func (w *Writer) Null() {
	w.sep()
	w.buf = append(w.buf, "null"...)
}

// Float writes f as encoding/json writes a float64: the shortest decimal that reads back
// as f, in exponent form below 1e-6 and from 1e21 on. NaN and infinities are an error.
func (w *Writer) Float(f float64) {
	w.sep()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.fail(errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64)))
		w.buf = append(w.buf, "null"...)
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.buf = strconv.AppendFloat(w.buf, f, format, -1, 64)
	if format == 'e' {
		// "1e-07" → "1e-7", as encoding/json writes it.
		n := len(w.buf)
		if n >= 4 && w.buf[n-4] == 'e' && w.buf[n-3] == '-' && w.buf[n-2] == '0' {
			w.buf[n-2] = w.buf[n-1]
			w.buf = w.buf[:n-1]
		}
	}
}

// Bytes64 writes b as a string of its standard base64, nil as null, as encoding/json
// writes a []byte.
func (w *Writer) Bytes64(b []byte) {
	if b == nil {
		w.Null()
		return
	}
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = base64.StdEncoding.AppendEncode(w.buf, b)
	w.buf = append(w.buf, '"')
}

// Strings writes a list of strings, nil as null.
func (w *Writer) Strings(list []string) {
	if list == nil {
		w.Null()
		return
	}
	w.ArrayStart()
	for _, s := range list {
		w.String(s)
	}
	w.ArrayEnd()
}

// Raw writes a JSON value given as bytes, compacted and with its strings' "<", ">", "&",
// U+2028 and U+2029 escaped, as json.Marshal writes a json.RawMessage (empty or nil:
// null). Bytes that are not one JSON value are an error.
func (w *Writer) Raw(raw []byte) {
	w.sep()
	if len(raw) == 0 {
		w.buf = append(w.buf, "null"...)
		return
	}
	if err := checkValid(raw); err != nil {
		w.fail(errors.New("json: error calling MarshalJSON for type json.RawMessage: " + err.Error()))
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = appendCompact(w.buf, raw)
}

// Value writes v's own JSON (as encoding/json calls a MarshalJSON method).
func (w *Writer) Value(v Marshaler) { v.EncodeJSON(w) }

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// appendCompact appends the valid JSON src without insignificant whitespace, escaping
// inside strings as appendString would ("<", ">", "&", U+2028, U+2029; other bytes kept).
func appendCompact(dst, src []byte) []byte {
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			switch {
			case c == '\\':
				dst = append(dst, c, src[i+1])
				i++
				continue
			case c == '"':
				inString = false
			case c == '<' || c == '>' || c == '&':
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
				continue
			case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
				dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xF])
				i += 2
				continue
			}
			dst = append(dst, c)
			continue
		}
		if isSpace(c) {
			continue
		}
		if c == '"' {
			inString = true
		}
		dst = append(dst, c)
	}
	return dst
}

const hex = "0123456789abcdef"

// safe[c] is whether an ASCII byte is written as it is inside a string: not a control
// character, quote or backslash, nor one of HTML's "<", ">", "&".
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s quoted as json.Marshal quotes a string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Indent lays out the compact JSON src as json.MarshalIndent does: each element and member
// on its own line, starting with prefix and one indent per level, "name": value, and
// empty arrays and objects as [] and {}.
func Indent(src []byte, prefix, indent string) []byte {
	dst := make([]byte, 0, len(src)*2)
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for k := 0; k < depth; k++ {
			dst = append(dst, indent...)
		}
	}
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst = append(dst, c)
			if c == '\\' {
				dst = append(dst, src[i+1])
				i++
			} else if c == '"' {
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			dst = append(dst, c)
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// Any writes v as json.Marshal writes the same value, for the types a decoded or
// hand-built document holds: nil, bool, string, int, int64, float64, []string, []any and
// map[string]any (names sorted). Another type is an error.
func (w *Writer) Any(v any) {
	switch v := v.(type) {
	case nil:
		w.Null()
	case bool:
		w.Bool(v)
	case string:
		w.String(v)
	case int:
		w.Int(int64(v))
	case int64:
		w.Int(v)
	case float64:
		w.Float(v)
	case []string:
		w.Strings(v)
	case []any:
		if v == nil {
			w.Null()
			return
		}
		w.ArrayStart()
		for _, e := range v {
			w.Any(e)
		}
		w.ArrayEnd()
	case map[string]any:
		if v == nil {
			w.Null()
			return
		}
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		SortNames(names)
		w.ObjectStart()
		for _, k := range names {
			w.Key(k)
			w.Any(v[k])
		}
		w.ObjectEnd()
	default:
		w.fail(errors.New("jsonx: cannot write a value of this type"))
		w.Null()
	}
}
