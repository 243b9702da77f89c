package envoyconfig

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// validate runs the protoc-gen-validate rules on the bootstrap and, since those stop at every
// google.protobuf.Any, on the message inside each Any, at any depth.
func validate(bs *bootstrapv3.Bootstrap) error {
	var l errs
	l.validateMessage("", bs)
	return l.join()
}

// validateMessage checks m's own rules, then unpacks and checks the Anys below it.
func (l *errs) validateMessage(path string, m proto.Message) {
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			l.addValidation(path, m.ProtoReflect(), err)
		}
	}
	l.walkAnys(path, m.ProtoReflect())
}

// walkAnys visits every message below m that is set, and validates what each Any holds.
func (l *errs) walkAnys(path string, m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := field(path, string(fd.Name()))
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				break
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				l.visit(p+"["+k.String()+"]", mv.Message())
				return true
			})
		case fd.Message() == nil:
		case fd.IsList():
			list := v.List()
			for i := range list.Len() {
				e := list.Get(i).Message()
				l.visit(elem(p, i, nameOf(e)), e)
			}
		default:
			l.visit(p, v.Message())
		}
		return true
	})
}

func (l *errs) visit(path string, m protoreflect.Message) {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		l.walkAnys(path, m)
		return
	}
	if a.GetTypeUrl() == "" && len(a.GetValue()) == 0 {
		// An empty Any ("config: {}"): nothing to validate here; where Envoy needs a type
		// (a filter's typed_config), build refuses it, and where it means "enabled" (a
		// FilterConfig's config), Envoy accepts it.
		return
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		// protojson resolved the type already; this is for Anys made in Go.
		l.add(path, "cannot unpack %s: %s", a.GetTypeUrl(), protoMessage(err))
		return
	}
	l.validateMessage(path, inner)
}

// unpack returns the message inside an Any, which validate has already unpacked once.
func unpack(a *anypb.Any) (proto.Message, error) {
	if a == nil {
		return nil, fmt.Errorf("typed_config is missing")
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("cannot unpack %s: %s", a.GetTypeUrl(), protoMessage(err))
	}
	return m, nil
}
