package envoyconfig

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Error is one problem in an Envoy configuration.
type Error struct {
	// Path locates the problem: protobuf field names (as in the YAML) joined by dots, list
	// indexes in brackets followed by the element's name in parentheses when it has one, e.g.
	// "static_resources.clusters[0](demo_app).connect_timeout". Empty for a problem with the
	// file as a whole (such as a YAML syntax error).
	Path string
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "envoyconfig: " + e.Msg
	}
	return "envoyconfig: " + e.Path + ": " + e.Msg
}

// errs collects Errors.
type errs []error

func (l *errs) add(path, format string, args ...any) {
	*l = append(*l, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (l errs) join() error { return errors.Join(l...) }

// field appends a field name to a path.
func field(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// elem appends a list index to a path, and the element's name when it has one.
func elem(path string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s[%d]", path, i)
	}
	return fmt.Sprintf("%s[%d](%s)", path, i, name)
}

// nameOf returns the value of a message's string field "name", or "".
func nameOf(m protoreflect.Message) string {
	if m == nil {
		return ""
	}
	fd := m.Descriptor().Fields().ByName("name")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.Get(fd).String()
}

// The protobuf runtime's error texts start with "proto: " (sometimes with a non-breaking
// space, on purpose) and protojson's with a position in the JSON, which is not a position in
// the YAML: both are noise here.
var protoNoise = regexp.MustCompile(`^proto:[\s\x{a0}]+|\s*\(line \d+:\d+\):?`)

func protoMessage(err error) string {
	return shortenValue(strings.TrimSpace(protoNoise.ReplaceAllString(err.Error(), "")))
}

// protoValue is protojson's "invalid value for KIND field NAME: VALUE" (its decoder's
// wording), split so that VALUE can be left out.
var protoValue = regexp.MustCompile(`(?s)^(invalid value for (\w+) field \w+: )(.*)$`)

// longValue is the longest value an error still quotes. A longer one (a whole plugin
// configuration typed BytesValue, an inline certificate or key) is not shown: it is
// unreadable in one line and may carry secrets that would end up in logs.
const longValue = 64

// shortenValue replaces a long quoted value in protojson's message by its length, and
// says how a bytes field is written, the usual reason text fails there.
func shortenValue(msg string) string {
	m := protoValue.FindStringSubmatch(msg)
	if m == nil || len(m[3]) <= longValue {
		return msg
	}
	out := m[1] + fmt.Sprintf("a value of %d bytes (not shown: it may hold secrets)", len(m[3]))
	if m[2] == "bytes" {
		out += "; a bytes field is written in base64 (give text as a google.protobuf.StringValue)"
	}
	return out
}

// The interfaces of the errors that protoc-gen-validate generates: one per field, nested
// through Cause for embedded messages, and a multi-error per message from ValidateAll.
type (
	fieldError interface {
		Field() string
		Reason() string
		Cause() error
		Key() bool
	}
	multiError interface{ AllErrors() []error }
)

// addValidation flattens a ValidateAll error of message m (at path) into Errors, one per
// failed rule, each with the path of the field that failed it.
func (l *errs) addValidation(path string, m protoreflect.Message, err error) {
	if me, ok := err.(multiError); ok {
		for _, e := range me.AllErrors() {
			l.addValidation(path, m, e)
		}
		return
	}
	fe, ok := err.(fieldError)
	if !ok {
		l.add(path, "%s", err.Error())
		return
	}
	p, child := step(path, m, fe.Field())
	cause := fe.Cause()
	switch cause.(type) {
	case nil:
		if names := oneofFields(m, fe.Field()); names != nil {
			// A oneof: say which fields it stands for.
			l.add(p, "%s: set one of %s", fe.Reason(), strings.Join(names, ", "))
			return
		}
		l.add(p, "%s", fe.Reason())
	case fieldError, multiError:
		l.addValidation(p, child, cause)
	default:
		l.add(p, "%s: %s", fe.Reason(), cause.Error())
	}
}

// step follows one protoc-gen-validate field reference ("StaticResources", "Clusters[0]",
// "Headers[key]": Go field names) from message m, and returns the path with protobuf field
// names and the message reached (nil when it is not one).
func step(path string, m protoreflect.Message, ref string) (string, protoreflect.Message) {
	goName, index, indexed := ref, "", false
	if i := strings.IndexByte(ref, '['); i > 0 && strings.HasSuffix(ref, "]") {
		goName, index, indexed = ref[:i], ref[i+1:len(ref)-1], true
	}
	fd := fieldByGoName(m, goName)
	if fd == nil {
		// A oneof ("value is required") or something unforeseen: keep the name readable.
		return field(path, snake(goName)) + suffix(index, indexed), nil
	}
	p := field(path, string(fd.Name()))
	v := m.Get(fd)
	switch {
	case indexed && fd.IsList():
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 || i >= v.List().Len() {
			return p + suffix(index, true), nil
		}
		if fd.Message() == nil {
			return elem(p, i, ""), nil
		}
		e := v.List().Get(i).Message()
		return elem(p, i, nameOf(e)), e
	case indexed && fd.IsMap():
		p += suffix(index, true)
		if fd.MapValue().Message() == nil {
			return p, nil
		}
		var found protoreflect.Message
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			if k.String() == index {
				found = mv.Message()
				return false
			}
			return true
		})
		return p, found
	case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
		return p, v.Message()
	}
	return p + suffix(index, indexed), nil
}

func suffix(index string, indexed bool) string {
	if !indexed {
		return ""
	}
	return "[" + index + "]"
}

// fieldByGoName finds the field of m whose generated Go name is goName: protoc-gen-go
// camel-cases the field name, so comparing without underscores and case is enough.
func fieldByGoName(m protoreflect.Message, goName string) protoreflect.FieldDescriptor {
	if m == nil {
		return nil
	}
	want := strings.ToLower(goName)
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if strings.ToLower(strings.ReplaceAll(string(fd.Name()), "_", "")) == want {
			return fd
		}
	}
	return nil
}

// oneofFields returns the field names of m's oneof whose Go name is goName, or nil.
func oneofFields(m protoreflect.Message, goName string) []string {
	if m == nil {
		return nil
	}
	oneofs := m.Descriptor().Oneofs()
	for i := range oneofs.Len() {
		o := oneofs.Get(i)
		if strings.ToLower(strings.ReplaceAll(string(o.Name()), "_", "")) != strings.ToLower(goName) {
			continue
		}
		var names []string
		for j := range o.Fields().Len() {
			names = append(names, string(o.Fields().Get(j).Name()))
		}
		return names
	}
	return nil
}

// snake turns a Go field name back into a protobuf one: "StaticResources" -> "static_resources".
func snake(goName string) string {
	var b strings.Builder
	for i, r := range goName {
		if 'A' <= r && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
