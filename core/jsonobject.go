package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// jsonObject is one JSON object of the configuration, read strictly: its fields are
// taken one by one with the typed getters, and rejectUnknown then reports any field
// nobody asked for. encoding/json alone would silently keep the last of two repeated
// keys and report unknown or mistyped fields without saying which object they are in.
type jsonObject struct {
	path   string // of this object: "" at the top, later e.g. "providers[0]"
	keys   []string
	values map[string]json.RawMessage
	known  []string // the fields asked for, in the order asked, for rejectUnknown's hint
}

// readTopObject reads a whole document that must be exactly one JSON object.
func readTopObject(data []byte) (*jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	obj, err := readObject(dec, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ConfigError{Problem: "unexpected data after the closing }: the configuration must be exactly one JSON object"}
	}
	return obj, nil
}

func readObject(dec *json.Decoder, path string) (*jsonObject, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if path == "" {
			return nil, &ConfigError{Problem: fmt.Sprintf(
				`must be a JSON object such as {"health_path": %q}, not %s`, DefaultHealthPath, tokenKind(tok))}
		}
		return nil, &ConfigError{Field: path, Problem: "must be a JSON object ({...}), not " + tokenKind(tok)}
	}
	obj := &jsonObject{path: path, values: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(path, err)
		}
		key := tok.(string) // inside an object, the decoder only yields string keys here
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxError(path, err)
		}
		if _, dup := obj.values[key]; dup {
			return nil, obj.fieldError(key, "appears more than once; keep only one")
		}
		obj.keys = append(obj.keys, key)
		obj.values[key] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, syntaxError(path, err)
	}
	return obj, nil
}

// optionalString returns the field's string value and whether the field is present.
func (o *jsonObject) optionalString(name string) (string, bool, error) {
	raw, ok := o.take(name)
	if !ok {
		return "", false, nil
	}
	if kind := rawKind(raw); kind != "a string" {
		return "", false, o.fieldError(name, "must be a string, not "+kind)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, o.fieldError(name, "is not a valid JSON string: "+err.Error())
	}
	return s, true, nil
}

func (o *jsonObject) take(name string) (json.RawMessage, bool) {
	o.known = append(o.known, name)
	raw, ok := o.values[name]
	return raw, ok
}

// rejectUnknown reports the first field no getter asked for. Call it last.
func (o *jsonObject) rejectUnknown() error {
	for _, key := range o.keys {
		if !slices.Contains(o.known, key) {
			return o.fieldError(key, fmt.Sprintf("unknown field; remove it or fix its spelling (known fields: %s)",
				strings.Join(o.known, ", ")))
		}
	}
	return nil
}

func (o *jsonObject) fieldError(name, problem string) error {
	field := name
	if o.path != "" {
		field = o.path + "." + name
	}
	return &ConfigError{Field: field, Problem: problem}
}

func syntaxError(path string, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &ConfigError{Field: path, Problem: fmt.Sprintf("is not valid JSON: %v (at offset %d)", se, se.Offset)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &ConfigError{Field: path, Problem: `is not valid JSON: it ends too early; check for a missing "}", "]" or quote`}
	default:
		return &ConfigError{Field: path, Problem: "is not valid JSON: " + err.Error()}
	}
}

// tokenKind names what a json.Decoder token is, for error messages.
func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", t.String())
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// rawKind names the kind of a syntactically valid JSON value.
func rawKind(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
