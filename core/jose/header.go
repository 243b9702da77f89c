package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	members map[string]json.RawMessage
}

// Member returns the raw JSON of member name, and whether it is present.
func (h Header) Member(name string) (json.RawMessage, bool) {
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
		if json.Unmarshal(raw, f.dest) != nil || raw[0] != '"' {
			return Header{}, fmt.Errorf("%w: header %q is not a string", ErrMalformed, f.name)
		}
	}
	return h, nil
}

// errDuplicate is parseObject's refusal of a member name seen twice.
var errDuplicate = errors.New("duplicate member name")

// parseObject reads data as exactly one JSON object and returns its members, raw. A member
// name that occurs twice (after unescaping) is refused: encoding/json would silently keep
// the last, another reader the first, and a header or claims set must mean one thing to
// everyone who reads it.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return nil, errors.New("not a JSON object")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, errors.New("not a JSON object")
		}
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("%w %s", errDuplicate, quote(name))
		}
		members[name] = value
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return members, nil
}

// CheckUniqueMembers reports an error when data is not one JSON object or names a
// member twice: for callers that decode a verified payload with encoding/json, which
// keeps the last of duplicate members without a word.
func CheckUniqueMembers(data []byte) error {
	_, err := parseObject(data)
	return err
}
