package core

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// jsonObject is one JSON object of the configuration, read strictly: its fields are
// taken one by one with the typed getters, and rejectUnknown then reports any field
// nobody asked for. A plain JSON reader (encoding/json, core/jsonx's Unmarshal) would
// silently keep the last of two repeated keys and report unknown or mistyped fields
// without saying which object they are in.
type jsonObject struct {
	path   string // of this object: "" at the top, else e.g. "providers[0]" or "cookie"
	keys   []string
	values map[string][]byte
	known  []string       // the fields asked for, in the order asked, for rejectUnknown's hint
	rec    *fieldRecorder // non-nil only for ConfigFields: see config_fields.go
}

// readTopObject reads a whole document that must be exactly one JSON object.
func readTopObject(data []byte) (*jsonObject, error) {
	if i := bytes.Index(data, utf8BOM); i >= 0 && len(bytes.TrimSpace(data[:i])) == 0 {
		return nil, &ConfigError{Problem: bomProblem}
	}
	// What the document is, from its first byte, as long as that part is JSON: an array is
	// named at once (whatever follows), another value once it is read whole.
	start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
	if start < len(data) && data[start] == '[' {
		return nil, notAnObject("", "an array")
	}
	end, err := jsonx.ValueEnd(data)
	if err != nil {
		return nil, syntaxError("", data, err)
	}
	if len(bytes.TrimLeft(data[end:], " \t\r\n")) > 0 {
		if data[start] != '{' {
			return nil, notAnObject("", rawKind(data[start:end]))
		}
		return nil, &ConfigError{Problem: "unexpected data after the closing }: the configuration must be exactly one JSON object"}
	}
	return readObjectAt(data[start:end], "")
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

// readObjectAt reads raw, one JSON value known to be valid, as the object at path.
func readObjectAt(raw []byte, path string) (*jsonObject, error) {
	if kind := rawKind(raw); kind != "an object" {
		return nil, notAnObject(path, kind)
	}
	obj := &jsonObject{path: path, values: map[string][]byte{}}
	err := jsonx.Decode(raw, func(d *jsonx.Decoder) error {
		return d.Object(func(key string) error {
			value := d.Raw()
			if _, dup := obj.values[key]; dup {
				return obj.fieldError(key, "appears more than once; keep only one")
			}
			obj.keys = append(obj.keys, key)
			obj.values[key] = value
			return nil
		})
	})
	if err != nil {
		var se *jsonx.SyntaxError
		if errors.As(err, &se) {
			return nil, syntaxError(path, raw, err)
		}
		return nil, err
	}
	return obj, nil
}

func notAnObject(path, kind string) error {
	if path == "" {
		return &ConfigError{Problem: fmt.Sprintf(
			`must be a JSON object such as {"health_path": %q}, not %s`, DefaultHealthPath, kind)}
	}
	return &ConfigError{Field: path, Problem: "must be a JSON object ({...}), not " + kind}
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
	if err := jsonx.Decode(raw, func(d *jsonx.Decoder) error { return d.String(&s) }); err != nil {
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
	if err := jsonx.Decode(raw, func(d *jsonx.Decoder) error { return d.Bool(&b) }); err != nil {
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
		if err := jsonx.Decode(raw, func(d *jsonx.Decoder) error { return d.String(&out[i]) }); err != nil {
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
		raw, ok = []byte("{}"), true
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

func (o *jsonObject) optionalArray(name string) ([][]byte, bool, error) {
	raw, ok := o.take(name)
	if !ok {
		return nil, false, nil
	}
	if kind := rawKind(raw); kind != "an array" {
		return nil, false, o.fieldError(name, "must be a list ([...]), not "+kind)
	}
	var items [][]byte
	err := jsonx.Decode(raw, func(d *jsonx.Decoder) error {
		return d.Array(func() error {
			items = append(items, d.Raw())
			return nil
		})
	})
	if err != nil {
		return nil, false, o.fieldError(name, "is not a valid JSON list: "+err.Error())
	}
	return items, true, nil
}

func indexed(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

func (o *jsonObject) take(name string) ([]byte, bool) {
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

// syntaxError is the error for data, found at path, that is not JSON: where it goes
// wrong (the byte's offset in data, from 0, and for the whole configuration its line and
// column), or that it is cut off.
func syntaxError(path string, data []byte, err error) error {
	var se *jsonx.SyntaxError
	switch {
	case errors.As(err, &se) && se.AtEnd():
		return &ConfigError{Field: path, Problem: `is not valid JSON: it ends too early; check for a missing "}", "]" or quote`}
	case errors.As(err, &se):
		off := int(se.Offset - 1)
		where := fmt.Sprintf("offset %d", off)
		if path == "" { // data is the whole configuration: lines count as in the user's file
			where = position(data, off)
		}
		return &ConfigError{Field: path, Problem: fmt.Sprintf("is not valid JSON: %v (at %s)", se, where)}
	default:
		return &ConfigError{Field: path, Problem: "is not valid JSON: " + err.Error()}
	}
}

// position says where byte off of data is for someone with the text in an editor: its line
// and column (from 1, the column in bytes) and its offset (from 0). The configuration is
// usually a multi-line JSON block in envoy.yaml, where an offset alone means counting bytes
// by hand; the line is the JSON's own (its first line is the block's first), not the YAML
// file's, and the message says so.
func position(data []byte, off int) string {
	if off < 0 || off > len(data) {
		return fmt.Sprintf("offset %d", off)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d of the JSON configuration: offset %d", line, col, off)
}

// rawKind names the kind of a syntactically valid JSON value.
func rawKind(raw []byte) string {
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
