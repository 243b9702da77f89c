package jsonx

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Unmarshaler is a type that reads itself from a [Decoder].
type Unmarshaler interface {
	DecodeJSON(d *Decoder) error
}

// Unmarshal reads data into v. Like json.Unmarshal it checks the whole document first: a
// document that is not JSON is a *SyntaxError whatever v is.
func Unmarshal(data []byte, v Unmarshaler) error {
	return Decode(data, v.DecodeJSON)
}

// Decode is [Unmarshal] with a function for the reader.
func Decode(data []byte, read func(d *Decoder) error) error {
	if err := checkValid(data); err != nil {
		return err
	}
	d := &Decoder{data: data}
	d.stack = d.stackArr[:0]
	return read(d)
}

// Decoder reads the values of one valid JSON document in order: each reader method takes
// exactly one value. Readers leave their target as it is on null, as encoding/json does for
// strings, numbers, booleans and structs.
type Decoder struct {
	data  []byte
	i     int
	stack []string // the member names down to the value being read, for TypeError
	// stackArr holds the first levels of stack, so that reading a record allocates none.
	stackArr [6]string
	// inAny counts the Any reads in progress: inside them no member name joins stack, as
	// encoding/json names no field inside a value read into an interface.
	inAny int
}

// TypeError is a value of the wrong type for its reader, as json.UnmarshalTypeError:
// Value says what it is ("string", "number", "number 1.5", "bool", "array", "object"),
// Type what was wanted, Field the member names from the top, joined by dots.
type TypeError struct {
	_     [0]func() // not comparable: no equality function in the module (core/nocompare.go)
	Value string
	Type  string
	Field string
}

func (e *TypeError) Error() string {
	if e.Field != "" {
		return "json: cannot unmarshal " + e.Value + " into Go struct field " + e.Field + " of type " + e.Type
	}
	return "json: cannot unmarshal " + e.Value + " into Go value of type " + e.Type
}

func (d *Decoder) ws() {
	for d.i < len(d.data) && isSpace(d.data[d.i]) {
		d.i++
	}
}

// Kind is the first byte of the next value: '{', '[', '"', 'n' (null), 't' or 'f'
// (booleans), or '0' for any number.
func (d *Decoder) Kind() byte {
	d.ws()
	if d.i >= len(d.data) {
		return 0
	}
	switch c := d.data[d.i]; c {
	case '{', '[', '"', 'n', 't', 'f':
		return c
	}
	return '0'
}

// typeError is the error for the next value, which is not of type want; the value is
// skipped.
func (d *Decoder) typeError(want string) error {
	what := ""
	switch d.Kind() {
	case '{':
		what = "object"
	case '[':
		what = "array"
	case '"':
		what = "string"
	case 't', 'f':
		what = "bool"
	default:
		what = "number"
	}
	d.Skip()
	return &TypeError{Value: what, Type: want, Field: strings.Join(d.stack, ".")}
}

func (d *Decoder) numberError(lit, want string) error {
	return &TypeError{Value: "number " + lit, Type: want, Field: strings.Join(d.stack, ".")}
}

// Null takes the next value if it is null.
func (d *Decoder) Null() bool {
	if d.Kind() == 'n' {
		d.i += 4
		return true
	}
	return false
}

// Skip takes the next value, whatever it is.
func (d *Decoder) Skip() {
	d.ws()
	s := scanner{data: d.data, i: d.i}
	_ = s.value(0) // the document is valid
	d.i = s.i
}

// Raw returns the next value's bytes as they are in the document (a copy), null included,
// as json.RawMessage receives them.
func (d *Decoder) Raw() []byte {
	d.ws()
	start := d.i
	d.Skip()
	return append([]byte(nil), d.data[start:d.i]...)
}

// Object reads an object, calling member for each member name in order; member must read
// the value (with Skip when it does not want it). null is no object and calls nothing.
func (d *Decoder) Object(member func(name string) error) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil
	case '{':
	default:
		return d.typeError("object")
	}
	d.i++
	d.ws()
	if d.data[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		name := d.str()
		d.ws()
		d.i++ // :
		if d.inAny > 0 {
			if err := member(name); err != nil {
				return err
			}
		} else {
			d.stack = append(d.stack, name)
			err := member(name)
			d.stack = d.stack[:len(d.stack)-1]
			if err != nil {
				return err
			}
		}
		d.ws()
		c := d.data[d.i]
		d.i++
		if c == '}' {
			return nil
		}
	}
}

// Array reads an array, calling elem for each element, which it must read. null is no
// array and calls nothing; see [Decoder.Null] to tell it from [].
func (d *Decoder) Array(elem func() error) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil
	case '[':
	default:
		return d.typeError("array")
	}
	d.i++
	d.ws()
	if d.data[d.i] == ']' {
		d.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		d.ws()
		c := d.data[d.i]
		d.i++
		if c == ']' {
			return nil
		}
	}
}

// String reads a string into *v.
func (d *Decoder) String(v *string) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil
	case '"':
		*v = d.str()
		return nil
	}
	return d.typeError("string")
}

// Bool reads true or false into *v.
func (d *Decoder) Bool(v *bool) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil
	case 't':
		d.i += 4
		*v = true
		return nil
	case 'f':
		d.i += 5
		*v = false
		return nil
	}
	return d.typeError("bool")
}

// Strings reads an array of strings into *v: null makes it nil, [] empty and not nil.
func (d *Decoder) Strings(v *[]string) error {
	if d.Null() {
		*v = nil
		return nil
	}
	if d.Kind() != '[' {
		return d.typeError("[]string")
	}
	out := []string{}
	err := d.Array(func() error {
		var s string
		err := d.String(&s)
		out = append(out, s)
		return err
	})
	*v = out
	return err
}

// number returns the next value's literal if it is a number.
func (d *Decoder) number() (string, bool) {
	if d.Kind() != '0' {
		return "", false
	}
	start := d.i
	s := scanner{data: d.data, i: d.i}
	_ = s.number()
	d.i = s.i
	return string(d.data[start:d.i]), true
}

// Number reads a number's literal text into *v, as json.Number does (a string holding a
// valid number is taken too).
func (d *Decoder) Number(v *string) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil
	case '"':
		s := d.str()
		if !isNumber(s) {
			return errors.New("json: invalid number literal, trying to unmarshal " + strconv.Quote(`"`+s+`"`) + " into Number")
		}
		*v = s
		return nil
	}
	lit, ok := d.number()
	if !ok {
		return d.typeError("json.Number")
	}
	*v = lit
	return nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	sc := scanner{data: []byte(s)}
	c := s[0]
	if c != '-' && !isDigit(c) {
		return false
	}
	return sc.number() == nil && sc.i == len(s)
}

// smallInt reads the next value if it is a number of at most 18 digits with no fraction
// or exponent, without allocating; ok false leaves the decoder where it was.
func (d *Decoder) smallInt() (n int64, ok bool) {
	if d.Kind() != '0' {
		return 0, false
	}
	i, neg := d.i, false
	if d.data[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(d.data) && isDigit(d.data[i]) && i-start < 18 {
		n = n*10 + int64(d.data[i]-'0')
		i++
	}
	if i == start || (i < len(d.data) && (isDigit(d.data[i]) || d.data[i] == '.' || d.data[i] == 'e' || d.data[i] == 'E')) {
		return 0, false
	}
	d.i = i
	if neg {
		n = -n
	}
	return n, true
}

// Int64 reads a whole number into *v.
func (d *Decoder) Int64(v *int64) error {
	if d.Null() {
		return nil
	}
	if n, ok := d.smallInt(); ok {
		*v = n
		return nil
	}
	lit, ok := d.number()
	if !ok {
		return d.typeError("int64")
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return d.numberError(lit, "int64")
	}
	*v = n
	return nil
}

// Int reads a whole number into *v.
func (d *Decoder) Int(v *int) error {
	if d.Null() {
		return nil
	}
	if n, ok := d.smallInt(); ok {
		*v = int(n)
		return nil
	}
	lit, ok := d.number()
	if !ok {
		return d.typeError("int")
	}
	n, err := strconv.ParseInt(lit, 10, strconv.IntSize)
	if err != nil {
		return d.numberError(lit, "int")
	}
	*v = int(n)
	return nil
}

// Float64 reads a number into *v.
func (d *Decoder) Float64(v *float64) error {
	if d.Null() {
		return nil
	}
	lit, ok := d.number()
	if !ok {
		return d.typeError("float64")
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return d.numberError(lit, "float64")
	}
	*v = f
	return nil
}

// Int64String reads a whole number written as a string ("123"), an int64 field tagged
// ",string", into *v.
func (d *Decoder) Int64String(v *int64) error {
	lit, ok, err := d.quoted("int64")
	if err != nil || !ok {
		return err
	}
	n, perr := strconv.ParseInt(lit, 10, 64)
	if perr != nil {
		return d.numberError(lit, "int64")
	}
	*v = n
	return nil
}

// Uint64String reads a whole number written as a string into *v (",string").
func (d *Decoder) Uint64String(v *uint64) error {
	lit, ok, err := d.quoted("uint64")
	if err != nil || !ok {
		return err
	}
	n, perr := strconv.ParseUint(lit, 10, 64)
	if perr != nil {
		return d.numberError(lit, "uint64")
	}
	*v = n
	return nil
}

// quoted takes a ",string" value: null (nothing to store), or a string holding a number
// literal (or "null", also nothing to store).
func (d *Decoder) quoted(want string) (string, bool, error) {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return "", false, nil
	case '"':
	default:
		d.Skip()
		return "", false, errors.New("json: invalid use of ,string struct tag, trying to unmarshal unquoted value into " + want)
	}
	s := d.str()
	if s == "null" {
		return "", false, nil
	}
	// As encoding/json: what starts like a number goes to strconv (so "007" is 7 and "1e3"
	// a type error), anything else is a misuse of ",string".
	if s == "" || (s[0] != '-' && !isDigit(s[0])) {
		return "", false, errors.New("json: invalid use of ,string struct tag, trying to unmarshal " + strconv.Quote(s) + " into " + want)
	}
	return s, true, nil
}

// Bytes reads standard base64 in a string into *v ([]byte); null makes it nil.
func (d *Decoder) Bytes(v *[]byte) error {
	switch d.Kind() {
	case 'n':
		d.i += 4
		*v = nil
		return nil
	case '"':
	default:
		return d.typeError("[]byte")
	}
	s := d.str()
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return err
	}
	*v = b[:n]
	return nil
}

// Any reads the next value as json.Unmarshal reads it into an interface{}: nil, bool,
// float64, string, []any or map[string]any (of repeated names, the last).
func (d *Decoder) Any() (any, error) {
	switch d.Kind() {
	case 'n':
		d.i += 4
		return nil, nil
	case 't', 'f':
		var b bool
		return b, d.Bool(&b)
	case '"':
		return d.str(), nil
	case '{':
		m := map[string]any{}
		d.inAny++
		defer func() { d.inAny-- }()
		err := d.Object(func(name string) error {
			v, err := d.Any()
			m[name] = v
			return err
		})
		return m, err
	case '[':
		a := []any{}
		err := d.Array(func() error {
			v, err := d.Any()
			a = append(a, v)
			return err
		})
		return a, err
	}
	var f float64
	return f, d.Float64(&f)
}

// str reads a string (d.i at its opening quote), unescaped as encoding/json unescapes.
func (d *Decoder) str() string {
	d.i++
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		if c == '"' {
			s := string(d.data[start:d.i])
			d.i++
			return s
		}
		if c == '\\' || c >= utf8.RuneSelf {
			break
		}
		d.i++
	}
	// The slow path: escapes or bytes that may not be UTF-8.
	b := append([]byte(nil), d.data[start:d.i]...)
	for {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b)
		case c == '\\':
			d.i++
			e := d.data[d.i]
			d.i++
			switch e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(d.data[d.i:])
				d.i += 4
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+6 <= len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
						r2 = hex4(d.data[d.i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						d.i += 6
						r = dec
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default: // " \ /
				b = append(b, e)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			d.i += size
			b = utf8.AppendRune(b, r)
		}
	}
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
