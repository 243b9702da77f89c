package envoyconfig

import (
	"errors"
	"os"
	"testing"
)

// FuzzLoad: Load never panics, fails only with *Error values, and what it accepts keeps the
// promises of the model.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile("../../envoy.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(base))
	for _, s := range []string{
		"",
		"{}",
		"[]",
		"static_resources: {listeners: [{name: a, address: {socket_address: {address: '::1', port_value: 1}}}]}",
		"static_resources: {clusters: [{name: c, type: STRICT_DNS, load_assignment: {cluster_name: c, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: x, port_value: 2}}}}]}]}}]}",
		`{"static_resources": {"listeners": [{"filter_chains": [{"filters": [{"name": "x", "typed_config": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "v"}}]}]}]}}`,
		"a: &a [*a]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Load(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		if err := c.CheckServable(); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("CheckServable error %T is not an *Error: %v", err, err)
			}
		}
		for _, l := range c.Listeners {
			for i, f := range l.HTTPFilters {
				if f.IsRouter() && i != len(l.HTTPFilters)-1 {
					t.Fatalf("listener %q: router is filter %d of %d", l.Name, i+1, len(l.HTTPFilters))
				}
			}
		}
	})
}
