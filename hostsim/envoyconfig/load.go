package envoyconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"sigs.k8s.io/yaml"
)

// LoadFile reads and loads the Envoy bootstrap at path; see Load.
func LoadFile(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("envoyconfig: %w", err)
	}
	return Load(b)
}

// Load parses an Envoy v3 bootstrap in YAML (or JSON), checks it as Envoy would at startup,
// and returns the model of its static listeners and clusters. The error, if any, is one *Error
// or several joined with errors.Join. Load does not read the files the configuration names
// (such as the .wasm module) and does not refuse what hostsim cannot serve: see CheckServable.
func Load(yamlBytes []byte) (*Config, error) {
	bs, err := decode(yamlBytes)
	if err != nil {
		return nil, err
	}
	if err := validate(bs); err != nil {
		return nil, err
	}
	return build(bs)
}

// decode turns YAML into a Bootstrap, strictly: unknown fields, unresolvable Any types and
// values of the wrong type are errors, located by path.
func decode(yamlBytes []byte) (*bootstrapv3.Bootstrap, error) {
	j, err := yaml.YAMLToJSON(yamlBytes)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	bs := &bootstrapv3.Bootstrap{}
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return nil, &Error{Msg: "the file is empty"}
	}
	if err := protojson.Unmarshal(j, bs); err == nil {
		return bs, nil
	} else if path, msg := locate(j, bs.ProtoReflect().Type()); msg != "" {
		return nil, &Error{Path: path, Msg: msg}
	} else {
		return nil, &Error{Msg: protoMessage(err)}
	}
}

// locate finds where protojson fails on a document, which its own error does not say (its
// position is one in the intermediate JSON). It decodes each field of each object on its own,
// descending into the one that fails, and returns the path of the deepest object that still
// fails and protojson's message for it; msg is "" if the document decodes.
func locate(j []byte, mt protoreflect.MessageType) (path, msg string) {
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber() // keep 64-bit integers exact when re-encoding
	var v any
	if err := d.Decode(&v); err != nil {
		return "", err.Error()
	}
	return locateValue("", v, mt)
}

func locateValue(path string, v any, mt protoreflect.MessageType) (string, string) {
	j, err := json.Marshal(v)
	if err != nil {
		return path, err.Error()
	}
	err = protojson.Unmarshal(j, mt.New().Interface())
	if err == nil {
		return "", ""
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return path, protoMessage(err)
	}
	md := mt.Descriptor()
	if md.FullName() == "google.protobuf.Any" {
		// The fields of the packed message sit beside "@type".
		url, _ := obj["@type"].(string)
		inner, rerr := protoregistry.GlobalTypes.FindMessageByURL(url)
		if rerr != nil {
			return path, unknownType(url)
		}
		if wellKnownJSON(inner.Descriptor()) {
			return path, protoMessage(err) + " (in " + string(inner.Descriptor().FullName()) + ")"
		}
		rest := make(map[string]any, len(obj))
		for k, fv := range obj {
			if k != "@type" {
				rest[k] = fv
			}
		}
		if p, m := locateValue(path, rest, inner); m != "" {
			return p, m
		}
		return path, protoMessage(err)
	}
	if wellKnownJSON(md) {
		return path, protoMessage(err)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			fd = md.Fields().ByTextName(k)
		}
		if fd == nil {
			return path, unknownField(k, md)
		}
		// Try the field alone: if it decodes, the problem is elsewhere.
		one, _ := json.Marshal(map[string]any{k: obj[k]})
		ferr := protojson.Unmarshal(one, mt.New().Interface())
		if ferr == nil {
			continue
		}
		p := field(path, string(fd.Name()))
		if q, m := locateField(p, fd, obj[k]); m != "" {
			return q, m
		}
		return p, protoMessage(ferr)
	}
	return path, protoMessage(err)
}

// locateField looks for the problem inside the value of a message field (a list or map of
// messages, or one); msg is "" when it finds none deeper.
func locateField(p string, fd protoreflect.FieldDescriptor, v any) (path, msg string) {
	if v == nil {
		return "", "" // null: protojson's own message says it
	}
	valueMD := fd.Message()
	if fd.IsMap() {
		valueMD = fd.MapValue().Message()
	}
	switch {
	case fd.IsList():
		list, ok := v.([]any)
		if !ok {
			return p, fmt.Sprintf("must be a list, not %s", jsonKind(v))
		}
		if valueMD == nil {
			return "", ""
		}
		sub, err := protoregistry.GlobalTypes.FindMessageByName(valueMD.FullName())
		if err != nil {
			return "", ""
		}
		for i, e := range list {
			ep := elem(p, i, jsonName(e))
			if _, ok := e.(map[string]any); !ok && !wellKnownJSON(valueMD) {
				return ep, fmt.Sprintf("must be a mapping (%s), not %s", valueMD.FullName(), jsonKind(e))
			}
			if q, m := locateValue(ep, e, sub); m != "" {
				return q, m
			}
		}
		return "", ""
	case valueMD == nil || wellKnownJSON(valueMD):
		return "", ""
	}
	sub, err := protoregistry.GlobalTypes.FindMessageByName(valueMD.FullName())
	if err != nil {
		return "", ""
	}
	obj, ok := v.(map[string]any)
	if !ok {
		what := string(valueMD.FullName())
		if what == "google.protobuf.Any" {
			what = `a typed configuration: "@type" and the fields of that type`
		}
		return p, fmt.Sprintf("must be a mapping (%s), not %s", what, jsonKind(v))
	}
	if !fd.IsMap() {
		return locateValue(p, obj, sub)
	}
	keys := make([]string, 0, len(obj))
	for key := range obj {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if q, m := locateValue(p+"["+key+"]", obj[key], sub); m != "" {
			return q, m
		}
	}
	return "", ""
}

// jsonKind names the kind of a decoded JSON value, for messages.
func jsonKind(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%t", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "null"
}

// wellKnownJSON reports whether protojson gives messages of this type a JSON form of their
// own (not an object of their fields), so that their fields cannot be checked one by one.
func wellKnownJSON(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() == "google.protobuf" && md.FullName() != "google.protobuf.Any"
}

// jsonName returns the "name" member of a JSON object, to label list elements in paths.
func jsonName(v any) string {
	obj, _ := v.(map[string]any)
	s, _ := obj["name"].(string)
	return s
}

// unknownType explains a type URL that does not resolve.
func unknownType(url string) string {
	if url == "" {
		return `"@type" is missing`
	}
	if !strings.Contains(url, "/") {
		return fmt.Sprintf("type URL %q has no \"type.googleapis.com/\" prefix", url)
	}
	return fmt.Sprintf("unknown type %q: not an Envoy API type, or an extension envoyconfig does not link in (see %s)", url, "hostsim/envoyconfig/extensions_all.go")
}

// unknownField explains a key that is no field of md, suggesting the field it resembles.
func unknownField(key string, md protoreflect.MessageDescriptor) string {
	msg := fmt.Sprintf("unknown field %q in %s", key, md.FullName())
	best, bestDist := "", 3 // suggest only close matches
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	fields := md.Fields()
	for i := range fields.Len() {
		name := string(fields.Get(i).Name())
		if d := editDistance(norm(key), norm(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
