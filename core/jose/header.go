package jose

import (
	"errors"
	"fmt"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Header is a protected JOSE header, read by [parseHeader]'s rules.
type Header struct {
	// Algorithm is "alg": always present, a string.
	Algorithm string
	// KeyID is "kid", or "" when absent.
	KeyID string
	// Type is "typ", or "" when absent.
	Type string
	// members is every member, raw, for [Header.Member].
	members map[string][]byte
}

// Member returns the raw JSON of member name, and whether it is present.
func (h Header) Member(name string) ([]byte, bool) {
	v, ok := h.members[name]
	return v, ok
}

// refusedMembers are header members that would change how a token must be read if
// honoured: "crit" names extensions we do not implement (RFC 7515 §4.1.11 then requires
// refusal), "b64" (RFC 7797) changes the signing input, "zip" (RFC 7516 §4.1.3) asks for
// decompression. The members that carry or point at keys and certificates ("jwk", "jku",
// "x5c", "x5u", "x5t") are ignored, not refused: keys come only from the provider's key
// set or our own configuration, never from the token itself, and providers do send
// "x5t" beside "kid".
var refusedMembers = []string{"crit", "b64", "zip"}

// parseHeader reads the decoded protected header of a compact JWS or JWE.
func parseHeader(data []byte) (Header, error) {
	members, err := parseObject(data)
	if err != nil {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	for _, name := range refusedMembers {
		if _, ok := members[name]; ok {
			return Header{}, fmt.Errorf("%w: header member %q is not supported", ErrMalformed, name)
		}
	}
	h := Header{members: members}
	for _, f := range []struct {
		name     string
		dest     *string
		required bool
	}{{"alg", &h.Algorithm, true}, {"kid", &h.KeyID, false}, {"typ", &h.Type, false}} {
		raw, ok := members[f.name]
		if !ok {
			if f.required {
				return Header{}, fmt.Errorf("%w: header has no %q", ErrMalformed, f.name)
			}
			continue
		}
		if raw[0] != '"' || jsonx.Decode(raw, func(d *jsonx.Decoder) error { return d.String(f.dest) }) != nil {
			return Header{}, fmt.Errorf("%w: header %q is not a string", ErrMalformed, f.name)
		}
	}
	return h, nil
}

// errDuplicate is parseObject's refusal of a member name seen twice.
var errDuplicate = errors.New("duplicate member name")

// errNotObject is parseObject's refusal of anything but one JSON object.
var errNotObject = errors.New("not a JSON object")

// parseObject reads data as exactly one JSON object and returns its members, raw (slices
// of data). A member name that occurs twice (after unescaping) is refused: encoding/json
// would silently keep the last, another reader the first, and a header or claims set
// must mean one thing to everyone who reads it.
//
// jsonx.Valid checks the whole document first, without allocating; the walk over the
// top-level members below then only has to find where each name and value ends in text
// known to be valid JSON. (A json.Decoder walking tokens did the same with about a dozen
// allocations per member.) FuzzParseObject compares it with that decoder.
func parseObject(data []byte) (map[string][]byte, error) {
	if !jsonx.Valid(data) {
		return nil, errNotObject
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, errNotObject
	}
	members := make(map[string][]byte)
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return members, nil
	}
	for {
		nameEnd := stringEnd(data, i)
		name, err := memberName(data[i:nameEnd])
		if err != nil {
			return nil, errNotObject
		}
		i = skipSpace(data, skipSpace(data, nameEnd)+1) // past the ':'
		valueEnd := valueEnd(data, i)
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("%w %s", errDuplicate, quote(name))
		}
		members[name] = data[i:valueEnd:valueEnd]
		i = skipSpace(data, valueEnd)
		if data[i] == '}' {
			return members, nil
		}
		i = skipSpace(data, i+1) // past the ','
	}
}

// memberName unquotes a member name: plain printable ASCII as it is, anything else
// (escapes, other bytes) as encoding/json decodes it, so that two spellings of one name
// are one name here too.
func memberName(quoted []byte) (string, error) {
	plain := true
	for _, c := range quoted[1 : len(quoted)-1] {
		if c == '\\' || c < 0x20 || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return string(quoted[1 : len(quoted)-1]), nil
	}
	var name string
	err := jsonx.Decode(quoted, func(d *jsonx.Decoder) error { return d.String(&name) })
	return name, err
}

// skipSpace returns the index of the first byte at or after i that is not JSON
// whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just after the JSON string that starts at data[i] (a '"').
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// valueEnd returns the index just after the JSON value that starts at data[i], in valid
// JSON.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = stringEnd(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for ; i < len(data); i++ { // a number, true, false or null
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// CheckUniqueMembers reports an error when data is not one JSON object or names a
// member twice: for callers that decode a verified payload with a reader that would keep
// the last of duplicate members without a word (as encoding/json and core/jsonx do).
func CheckUniqueMembers(data []byte) error {
	_, err := parseObject(data)
	return err
}
