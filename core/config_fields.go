package core

import (
	"slices"
	"strings"
	"time"
)

// ConfigField is one field of the plugin configuration as ParseConfig reads it: the
// parser's own field table, recorded by its getters rather than written beside them, so
// that it cannot miss or invent a field. The JSON Schema in docs/ is generated from it
// (package configschema).
type ConfigField struct {
	// Path names the field as error messages do, with "[]" for any list element:
	// "health_path", "cookie.same_site", "providers[].scheme", "keys.sealing[].kid".
	Path string
	// Type is the JSON type the parser accepts: "string", "boolean", "integer", "array"
	// or "object"; Items is the type of an array's elements.
	Type, Items string
	// Required: the parser refuses the enclosing object without this field (and refuses
	// it empty).
	Required bool
	// Enum lists the only values accepted, when the parser has such a list; ItemEnum
	// does the same for the elements of an array.
	Enum, ItemEnum []string
	// Minimum and Maximum bound an integer field.
	Minimum, Maximum *int
	// Duration: the field is a Go duration string, from DurationMin to DurationMax.
	Duration                 bool
	DurationMin, DurationMax time.Duration
	// Default is the value the parser keeps when the field is absent, where the getter
	// knows it (nil otherwise: see docs/configuration.md for the others).
	Default any
}

// fieldRecorder collects ConfigFields while ParseConfig runs over a probe
// configuration. A nil recorder (every normal parse) records nothing.
type fieldRecorder struct {
	fields []*ConfigField
	byPath map[string]*ConfigField
}

// anyIndex writes every list index of a field path as "[]": "providers[0].scheme"
// becomes "providers[].scheme". (A loop, not a regular expression: regexp and its
// Unicode tables were about 0.4 MB of the module, used only here; BENCHMARKS.md.)
func anyIndex(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '[')
		if i < 0 {
			writeCold(&b, path)
			return b.String()
		}
		j := i + 1
		for j < len(path) && path[j] >= '0' && path[j] <= '9' {
			j++
		}
		if j > i+1 && j < len(path) && path[j] == ']' {
			writeCold(&b, path[:i])
			writeCold(&b, "[]")
			path = path[j+1:]
		} else {
			writeCold(&b, path[:i+1])
			path = path[i+1:]
		}
	}
}

// note records that the parser asked o for field name, and lets set add what the getter
// knows about it. It does nothing outside recording.
func (o *jsonObject) note(name string, set func(*ConfigField)) {
	r := o.rec
	if r == nil {
		return
	}
	path := anyIndex(o.field(name))
	f, ok := r.byPath[path]
	if !ok {
		f = &ConfigField{Path: path}
		r.byPath[path] = f
		r.fields = append(r.fields, f)
	}
	if set != nil {
		set(f)
	}
}

// ConfigFields runs the parser over probe, recording every field it asks for, in the
// order it asks. Every getter asks for its field whether or not it is present, and an
// absent object is read as if it were {}; only a list of objects must hold one element
// in probe for its elements' fields to be seen. probe must be a valid sign-in
// configuration (docs/configuration.md's complete example is one).
func ConfigFields(probe []byte) ([]ConfigField, error) {
	rec := &fieldRecorder{byPath: map[string]*ConfigField{}}
	if _, err := parseConfig(probe, rec); err != nil {
		return nil, err
	}
	out := make([]ConfigField, len(rec.fields))
	for i, f := range rec.fields {
		out[i] = *f
	}
	return out, nil
}

// SignInFields are the top-level fields that turn sign-in on, all together.
func SignInFields() []string { return slices.Clone(signInFields) }

// SignInOnlyFields are the top-level fields refused while sign-in is off.
func SignInOnlyFields() []string { return slices.Clone(signInOnlyFields) }
