package jsonx

import "strconv"

// maxDepth is encoding/json's nesting limit: a document with more nested arrays and
// objects is not valid.
const maxDepth = 10000

// SyntaxError is a document that is not JSON. Its text and Offset are those of
// encoding/json's *json.SyntaxError for the same document (Offset counts the bytes read
// up to and including the offending one).
type SyntaxError struct {
	msg    string
	Offset int64
	atEnd  bool
}

func (e *SyntaxError) Error() string { return e.msg }

// AtEnd reports whether the document ended too early (it is cut off), rather than having
// a wrong byte.
func (e *SyntaxError) AtEnd() bool { return e.atEnd }

// Valid reports whether data is exactly one JSON value, optionally surrounded by
// whitespace, as json.Valid does.
func Valid(data []byte) bool { return checkValid(data) == nil }

// checkValid returns the first syntax error in data, or nil.
func checkValid(data []byte) *SyntaxError {
	s := scanner{data: data}
	s.ws()
	if err := s.value(0); err != nil {
		return err
	}
	s.ws()
	if s.i < len(s.data) {
		return s.fail("after top-level value")
	}
	return nil
}

// ValueEnd returns the end of the one JSON value at the start of data (after leading
// whitespace), or the syntax error in it; what follows the value is not looked at.
func ValueEnd(data []byte) (int, error) {
	s := scanner{data: data}
	s.ws()
	if err := s.value(0); err != nil {
		return 0, err
	}
	return s.i, nil
}

type scanner struct {
	data []byte
	i    int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.data) && isSpace(s.data[s.i]) {
		s.i++
	}
}

// fail is the error for the byte at s.i in the given context, or the end of input.
func (s *scanner) fail(context string) *SyntaxError {
	if s.i >= len(s.data) {
		return &SyntaxError{"unexpected end of JSON input", int64(len(s.data)), true}
	}
	return &SyntaxError{"invalid character " + quoteChar(s.data[s.i]) + " " + context, int64(s.i + 1), false}
}

// failLiteral is fail inside a number or a literal, where encoding/json reads the end of
// input as a space: "invalid character ' ' in numeric literal".
func (s *scanner) failLiteral(context string) *SyntaxError {
	if s.i >= len(s.data) {
		return &SyntaxError{"invalid character ' ' " + context, int64(len(s.data)), true}
	}
	return s.fail(context)
}

// quoteChar formats c as encoding/json's messages do: the byte read as a rune, quoted.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

func (s *scanner) value(depth int) *SyntaxError {
	if s.i >= len(s.data) {
		return s.fail("")
	}
	switch c := s.data[s.i]; {
	case c == '{':
		if depth+1 > maxDepth {
			return s.fail("exceeded max depth")
		}
		return s.object(depth + 1)
	case c == '[':
		if depth+1 > maxDepth {
			return s.fail("exceeded max depth")
		}
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("looking for beginning of value")
}

func (s *scanner) object(depth int) *SyntaxError {
	s.i++ // {
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.fail("looking for beginning of object key string")
		}
		if err := s.str(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.fail("after object key")
		}
		s.i++
		s.ws()
		if err := s.value(depth); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.data) {
			switch s.data[s.i] {
			case ',':
				s.i++
				s.ws()
				continue
			case '}':
				s.i++
				return nil
			}
		}
		return s.fail("after object key:value pair")
	}
}

func (s *scanner) array(depth int) *SyntaxError {
	s.i++ // [
	s.ws()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.ws()
		if s.i < len(s.data) {
			switch s.data[s.i] {
			case ',':
				s.i++
				s.ws()
				continue
			case ']':
				s.i++
				return nil
			}
		}
		return s.fail("after array element")
	}
}

func (s *scanner) str() *SyntaxError {
	s.i++ // "
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return s.fail("in string literal")
		case c == '\\':
			s.i++
			if s.i >= len(s.data) {
				return s.failLiteral("in string escape code")
			}
			switch s.data[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for k := 0; k < 4; k++ {
					if s.i >= len(s.data) || !isHex(s.data[s.i]) {
						return s.failLiteral(`in \u hexadecimal character escape`)
					}
					s.i++
				}
			default:
				return s.fail("in string escape code")
			}
		default:
			s.i++
		}
	}
	return s.fail("")
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. A byte that cannot follow
// is left for the caller, which names it in its own context ("after array element").
func (s *scanner) number() *SyntaxError {
	if s.data[s.i] == '-' {
		s.i++
		if s.i >= len(s.data) || !isDigit(s.data[s.i]) {
			return s.failLiteral("in numeric literal")
		}
	}
	if s.data[s.i] == '0' {
		s.i++
	} else {
		for s.i < len(s.data) && isDigit(s.data[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if s.i >= len(s.data) || !isDigit(s.data[s.i]) {
			return s.failLiteral("after decimal point in numeric literal")
		}
		for s.i < len(s.data) && isDigit(s.data[s.i]) {
			s.i++
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if s.i >= len(s.data) || !isDigit(s.data[s.i]) {
			return s.failLiteral("in exponent of numeric literal")
		}
		for s.i < len(s.data) && isDigit(s.data[s.i]) {
			s.i++
		}
	}
	return nil
}

func (s *scanner) literal(word string) *SyntaxError {
	s.i++
	for k := 1; k < len(word); k++ {
		if s.i >= len(s.data) || s.data[s.i] != word[k] {
			return s.failLiteral("in literal " + word + " (expecting " + quoteChar(word[k]) + ")")
		}
		s.i++
	}
	return nil
}
