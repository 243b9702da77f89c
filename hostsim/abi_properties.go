package hostsim

import (
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
)

// proxy_get_property(path_ptr, path_size, return_value_ptr_ptr,
// return_value_size_ptr) -> status
//
// The path's segments are separated by NUL ("request\x00path"). Values are
// serialized as Envoy serializes them: strings as bytes, integers as 8-byte
// little-endian, booleans as one byte, maps in the header-pair format.
// Properties the guest set with proxy_set_property are read back. Unknown
// paths are NotFound.
func hostGetProperty(ctx context.Context, v *vm, p []uint64) Status {
	raw, ok := v.readString(uint32(p[0]), uint32(p[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	path := strings.ReplaceAll(raw, "\x00", ".")
	val, found := v.property(path)
	if !found {
		return StatusNotFound
	}
	return v.writeOut(ctx, val, uint32(p[2]), uint32(p[3]))
}

// proxy_set_property(path_ptr, path_size, value_ptr, value_size) -> status
//
// Stores a value under the path for the current stream (or for the root
// context), where proxy_get_property finds it: Envoy keeps such values in
// the stream's filter state.
func hostSetProperty(ctx context.Context, v *vm, p []uint64) Status {
	raw, ok1 := v.readString(uint32(p[0]), uint32(p[1]))
	val, ok2 := v.read(uint32(p[2]), uint32(p[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	path := strings.ReplaceAll(raw, "\x00", ".")
	props := v.props
	if s := v.currentStream(); s != nil {
		props = s.props
	}
	props[path] = append([]byte(nil), val...)
	return StatusOK
}

func (v *vm) property(path string) ([]byte, bool) {
	o := v.host.opts
	switch path {
	case "plugin_name":
		return []byte(o.PluginName), true
	case "plugin_root_id":
		return []byte(o.RootID), true
	case "plugin_vm_id":
		return []byte(o.VMID), true
	}
	s := v.currentStream()
	if s != nil {
		if val, ok := s.props[path]; ok {
			return val, true
		}
		if val, ok := s.property(path); ok {
			return val, true
		}
	}
	val, ok := v.props[path]
	return val, ok
}

func (s *stream) header(name string) (string, bool) {
	for _, p := range s.reqHeaders {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// property answers the stream attributes of Envoy's attribute vocabulary
// (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes).
func (s *stream) property(path string) ([]byte, bool) {
	str := func(v string, ok bool) ([]byte, bool) { return []byte(v), ok }
	r := s.req
	switch path {
	case "request.path":
		return str(s.header(":path"))
	case "request.url_path":
		p, ok := s.header(":path")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return []byte(p), ok
	case "request.query":
		p, _ := s.header(":path")
		_, q, _ := strings.Cut(p, "?")
		return []byte(q), true
	case "request.method":
		return str(s.header(":method"))
	case "request.scheme":
		return str(s.header(":scheme"))
	case "request.host":
		return str(s.header(":authority"))
	case "request.id":
		return str(s.header("x-request-id"))
	case "request.protocol":
		return []byte(r.Protocol), true
	case "request.headers":
		return EncodePairs(s.reqHeaders), true
	case "source.address":
		return []byte(r.SourceAddress), true
	case "source.port":
		return portOf(r.SourceAddress)
	case "destination.address":
		return []byte(r.DestinationAddress), true
	case "destination.port":
		return portOf(r.DestinationAddress)
	case "connection.mtls":
		return []byte{byte(b2u(r.MTLS))}, true
	case "route_name", "xds.route_name":
		return []byte(r.RouteName), r.RouteName != ""
	case "cluster_name", "xds.cluster_name":
		return []byte(r.ClusterName), r.ClusterName != ""
	case "response.code":
		if !s.haveResponse {
			return nil, false
		}
		for _, p := range s.respHeaders {
			if p.Name == ":status" {
				n, _ := strconv.Atoi(p.Value)
				return int64Bytes(int64(n)), true
			}
		}
	case "response.headers":
		if s.haveResponse {
			return EncodePairs(s.respHeaders), true
		}
	}
	return nil, false
}

func portOf(addr string) ([]byte, bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, false
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, false
	}
	return int64Bytes(int64(n)), true
}

func int64Bytes(n int64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(n))
	return b
}
