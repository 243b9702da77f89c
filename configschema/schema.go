package configschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core"
)

// SchemaFile is where the generated schema is published, relative to the repository.
const SchemaFile = "docs/exeunt-config.schema.json"

// DocsFile is the configuration reference the generator reads.
const DocsFile = "docs/configuration.md"

// Generate makes the JSON Schema of the plugin configuration from the parser's field
// table and docs/configuration.md (its content is md), as published in SchemaFile.
func Generate(md []byte) ([]byte, error) {
	s, err := build(md)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// table is the parser's field table as the generator uses it.
type table struct {
	fields []core.ConfigField
	docs   *docs
}

func readTable(md []byte) (*table, error) {
	probe, err := jsonBlockAfter(md, "## Complete example")
	if err != nil {
		return nil, err
	}
	fields, err := core.ConfigFields(probe)
	if err != nil {
		return nil, fmt.Errorf("the complete example of %s must be a valid configuration (it is the probe that shows the parser's fields): %w", DocsFile, err)
	}
	arrays := map[string]bool{}
	for _, f := range fields {
		if f.Type == "array" && f.Items == "object" && !strings.Contains(f.Path, ".") {
			arrays[f.Path] = true
		}
	}
	d, err := readDocs(md, arrays)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.Type == "" {
			return nil, fmt.Errorf("the parser reads %s without a typed getter; give it one (jsonobject.go) or note its type (config_fields.go)", f.Path)
		}
	}
	return &table{fields: fields, docs: d}, nil
}

// fieldDefault is the default the schema states for a field: the parser's own where its
// getter knows it, else the docs' default column when it holds a JSON value.
func (t *table) fieldDefault(f core.ConfigField) (any, bool) {
	if f.Default != nil {
		return f.Default, true
	}
	if row, ok := t.docs.rows[f.Path]; ok {
		return docDefault(row.def)
	}
	return nil, false
}

// fieldRule finds a field's rule: its own, else its object's "x.*".
func fieldRule(path string) (rule, bool) {
	if r, ok := fieldRules[path]; ok {
		return r, true
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		r, ok := fieldRules[path[:i]+".*"]
		return r, ok
	}
	return rule{}, false
}

// parentOf splits "providers[].scheme" into the object "providers[]" and "scheme".
func parentOf(path string) (string, string) {
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

func build(md []byte) (map[string]any, error) {
	t, err := readTable(md)
	if err != nil {
		return nil, err
	}
	root := objectSchema()
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "Exeunt plugin configuration"
	root["description"] = "The configuration of the Exeunt Proxy-Wasm filter (the wasm filter's configuration in envoy.yaml, Istio's WasmPlugin pluginConfig, Envoy Gateway's wasm config). Generated from the parser's field table and docs/configuration.md by `make schema`; do not edit. The parser checks more than a schema can (see each description); run exeunt-check for the filter's own verdict."
	objects := map[string]map[string]any{"": root}
	for _, f := range t.fields {
		parentPath, name := parentOf(f.Path)
		parent, ok := objects[parentPath]
		if !ok {
			return nil, fmt.Errorf("field %s: the parser read it before its object", f.Path)
		}
		s := map[string]any{"type": f.Type}
		switch {
		case f.Type == "object":
			s = objectSchema()
			objects[f.Path] = s
		case f.Type == "array" && f.Items == "object":
			items := objectSchema()
			s["items"] = items
			objects[f.Path+"[]"] = items
		case f.Type == "array":
			items := map[string]any{"type": f.Items}
			if len(f.ItemEnum) > 0 {
				items["enum"] = f.ItemEnum
			}
			s["items"] = items
		}
		if len(f.Enum) > 0 {
			s["enum"] = f.Enum
		}
		if f.Minimum != nil {
			s["minimum"] = *f.Minimum
		}
		if f.Maximum != nil {
			s["maximum"] = *f.Maximum
		}
		desc := ""
		if row, ok := t.docs.rows[f.Path]; ok {
			desc = plain(row.meaning)
			switch row.typ {
			case "path":
				merge(s, pattern(pathPattern))
			case "list of paths":
				merge(s, map[string]any{"items": pattern(pathPattern)})
			}
		}
		if f.Duration {
			s["pattern"] = durationPattern
			bounds := "from " + fmtDuration(f.DurationMin) + " to " + fmtDuration(f.DurationMax)
			if f.DurationMin <= time.Nanosecond {
				bounds = "at most " + fmtDuration(f.DurationMax)
			}
			desc = strings.TrimSpace(fmt.Sprintf("%s (A Go duration such as \"90m\" or \"1h30m\"; the parser also wants it %s, which a schema cannot check.)", desc, bounds))
		}
		if desc != "" {
			s["description"] = desc
		}
		if def, ok := t.fieldDefault(f); ok {
			s["default"] = def
		}
		if r, ok := fieldRule(f.Path); ok {
			merge(s, r.schema)
		}
		parent["properties"].(map[string]any)[name] = s
		if f.Required {
			req, _ := parent["required"].([]any)
			parent["required"] = append(req, name)
		}
	}
	for path, r := range objectRules {
		o, ok := objects[path]
		if !ok {
			return nil, fmt.Errorf("rules.go has a rule for %q, which the parser does not read", path)
		}
		merge(o, r)
	}
	for path := range fieldRules {
		if strings.HasSuffix(path, ".*") {
			if _, ok := objects[strings.TrimSuffix(path, ".*")]; !ok {
				return nil, fmt.Errorf("rules.go has a rule for %q, whose object the parser does not read", path)
			}
			continue
		}
		if !t.has(path) {
			return nil, fmt.Errorf("rules.go has a rule for %q, which the parser does not read", path)
		}
	}
	modeRules(root)
	return root, nil
}

func (t *table) has(path string) bool {
	for _, f := range t.fields {
		if f.Path == path {
			return true
		}
	}
	return false
}

// modeRules are the parser's two modes (core.Config.read, checkMode): the sign-in fields
// come together, with keys; without them, the sign-in-only fields are refused.
func modeRules(root map[string]any) {
	signIn := core.SignInFields()
	dep := map[string]any{}
	anyGiven := []any{}
	for _, name := range signIn {
		var others []any
		for _, o := range signIn {
			if o != name {
				others = append(others, o)
			}
		}
		dep[name] = append(others, "keys")
		anyGiven = append(anyGiven, map[string]any{"required": []any{name}})
	}
	root["dependentRequired"] = dep
	refused := map[string]any{}
	for _, name := range core.SignInOnlyFields() {
		refused[name] = forbidden
	}
	root["if"] = not(map[string]any{"anyOf": anyGiven})
	root["then"] = map[string]any{"properties": refused}
}

func objectSchema() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{}}
}

// merge adds src's keywords to dst; "items" and "properties" merge one level deeper,
// "allOf" lists are joined.
func merge(dst, src map[string]any) {
	for k, v := range src {
		switch k {
		case "items", "properties":
			if d, ok := dst[k].(map[string]any); ok {
				d = maps.Clone(d)
				merge(d, v.(map[string]any))
				dst[k] = d
				continue
			}
		case "allOf", "required":
			if d, ok := dst[k].([]any); ok {
				dst[k] = append(append([]any(nil), d...), v.([]any)...)
				continue
			}
		}
		dst[k] = v
	}
}

// plain turns a table cell's Markdown into text for an editor's tooltip.
func plain(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	s = strings.ReplaceAll(s, "`", "")
	for {
		i := strings.Index(s, "](#")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], ")")
		open := strings.LastIndex(s[:i], "[")
		if j < 0 || open < 0 {
			break
		}
		s = s[:open] + s[open+1:i] + s[i+j+1:]
	}
	return s
}

// fmtDuration writes a duration as it would be configured: "10s", "1h", "9600h".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
