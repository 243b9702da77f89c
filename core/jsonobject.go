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
	path   string // of this object: "" at the top, else e.g. "providers[0]" or "cookie"
	keys   []string
	values map[string]json.RawMessage
	known  []string       // the fields asked for, in the order asked, for rejectUnknown's hint
	rec    *fieldRecorder // non-nil only for ConfigFields: see config_fields.go
}

// readTopObject reads a whole document that must be exactly one JSON object.
func readTopObject(data []byte) (*jsonObject, error) {
	if i := bytes.Index(data, utf8BOM); i >= 0 && len(bytes.TrimSpace(data[:i])) == 0 {
		return nil, &ConfigError{Problem: bomProblem}
	}
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

// utf8BOM is U+FEFF, the byte order mark, in UTF-8.
var utf8BOM = []byte("\xef\xbb\xbf")

// bomProblem refuses a configuration that starts with a byte order mark, which editors on
// Windows put in front of files saved as "UTF-8 with BOM". JSON forbids it (RFC 8259,
// section 8.1: "Implementations MUST NOT add a byte order mark"; a parser may ignore one,
// but encoding/json, like most, does not) and Envoy does not strip it: the plugin gets the
// StringValue's bytes as they are (source/extensions/common/wasm/plugin.cc, anyToBytes).
// Without this, the message would be encoding/json's "invalid character 'ï'", which names
// neither the problem nor the fix. Refused, not skipped: exeunt-check must refuse exactly
// what the filter refuses at start, and this is the filter's own parser.
const bomProblem = "starts with a UTF-8 byte order mark (the bytes EF BB BF, U+FEFF), which JSON does not allow and Envoy passes to the filter unchanged; save the configuration as UTF-8 without a byte order mark (in many editors: encoding \"UTF-8\", not \"UTF-8 with BOM\")"

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
	o.note(name, func(f *ConfigField) { f.Type = "string" })
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

// optionalBool returns the field's boolean value and whether the field is present.
func (o *jsonObject) optionalBool(name string) (bool, bool, error) {
	o.note(name, func(f *ConfigField) { f.Type = "boolean" })
	raw, ok := o.take(name)
	if !ok {
		return false, false, nil
	}
	if kind := rawKind(raw); kind != "a boolean" {
		return false, false, o.fieldError(name, "must be true or false, not "+kind)
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, false, o.fieldError(name, "is not a valid JSON boolean: "+err.Error())
	}
	return b, true, nil
}

// optionalStrings returns the field's list of strings and whether the field is present.
// An element of the wrong type is reported by its own path ("scopes[2]").
func (o *jsonObject) optionalStrings(name string) ([]string, bool, error) {
	o.note(name, func(f *ConfigField) { f.Type, f.Items = "array", "string" })
	items, ok, err := o.optionalArray(name)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]string, len(items))
	for i, raw := range items {
		if kind := rawKind(raw); kind != "a string" {
			return nil, false, o.fieldError(indexed(name, i), "must be a string, not "+kind)
		}
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, false, o.fieldError(indexed(name, i), "is not a valid JSON string: "+err.Error())
		}
	}
	return out, true, nil
}

// optionalObject returns the field's object, read as strictly as the top one, and
// whether the field is present. The caller must call rejectUnknown on it.
func (o *jsonObject) optionalObject(name string) (*jsonObject, bool, error) {
	o.note(name, func(f *ConfigField) { f.Type = "object" })
	raw, ok := o.take(name)
	if !ok && o.rec != nil { // recording: read an absent object as {} to see its fields
		raw, ok = json.RawMessage("{}"), true
	}
	if !ok {
		return nil, false, nil
	}
	obj, err := readObjectAt(raw, o.field(name))
	if err != nil {
		return nil, false, err
	}
	obj.rec = o.rec
	return obj, true, nil
}

// optionalObjects returns the field's list of objects and whether the field is present.
// The caller must call rejectUnknown on each.
func (o *jsonObject) optionalObjects(name string) ([]*jsonObject, bool, error) {
	o.note(name, func(f *ConfigField) { f.Type, f.Items = "array", "object" })
	items, ok, err := o.optionalArray(name)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]*jsonObject, len(items))
	for i, raw := range items {
		if out[i], err = readObjectAt(raw, o.field(indexed(name, i))); err != nil {
			return nil, false, err
		}
		out[i].rec = o.rec
	}
	return out, true, nil
}

func (o *jsonObject) optionalArray(name string) ([]json.RawMessage, bool, error) {
	raw, ok := o.take(name)
	if !ok {
		return nil, false, nil
	}
	if kind := rawKind(raw); kind != "an array" {
		return nil, false, o.fieldError(name, "must be a list ([...]), not "+kind)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false, o.fieldError(name, "is not a valid JSON list: "+err.Error())
	}
	return items, true, nil
}

// readObjectAt reads a nested object (already known to be valid JSON) found at path.
func readObjectAt(raw json.RawMessage, path string) (*jsonObject, error) {
	return readObject(json.NewDecoder(bytes.NewReader(raw)), path)
}

func indexed(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

func (o *jsonObject) take(name string) (json.RawMessage, bool) {
	o.note(name, nil)
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

// field is the full path of one of the object's fields, as error messages name it.
func (o *jsonObject) field(name string) string {
	if o.path == "" {
		return name
	}
	return o.path + "." + name
}

// fieldError is the error naming one of the object's fields. It is not inlined: the
// configuration's readers call it at over a hundred places, each inlined copy about 220
// bytes of the module (25 KB in all) on a path that runs once per configuration.
//
//go:noinline
func (o *jsonObject) fieldError(name, problem string) error {
	return &ConfigError{Field: o.field(name), Problem: problem}
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
