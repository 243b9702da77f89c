package hostsim

import (
	"context"
	"strings"
)

// headerMap returns the map a header-map host function names, for the
// effective context: the stream's request/response headers and trailers, or
// the HTTP callout response during proxy_on_http_call_response. ok is false
// when that map does not exist at this point (Envoy answers NotFound; for the
// request trailers, see missingMap).
//
// The request trailers exist only from proxy_on_request_trailers until the
// request goes on, as in Envoy (source/extensions/common/wasm/context.cc,
// envoyproxy/envoy b40935a, the Envoy 1.39 hostsim follows): Context::decodeTrailers
// points request_trailers_ at the trailers for the callback and clears it when the
// callback returns Continue; Context::continueStream clears it too; Context::getMap
// hands out nothing else (it would create empty trailers from a body callback at the
// end of the stream, addDecodedTrailers, which hostsim does not offer: a guest asking
// there is refused, which Envoy would not do, but nothing passes that Envoy stops).
// So a filter can read, remove or replace a request trailer only in its trailers
// callback, or later while that callback's pause lasts (stream.trailersOpen).
func (v *vm) headerMap(t mapType) (m *[]Pair, ok bool) {
	if t == mapHTTPCallHeaders || t == mapHTTPCallTrailers {
		if v.callResp == nil {
			return nil, false
		}
		if t == mapHTTPCallHeaders {
			return &v.callResp.headers, true
		}
		return &v.callResp.trailers, true
	}
	s := v.currentStream()
	if s == nil {
		return nil, false
	}
	switch t {
	case mapRequestHeaders:
		return &s.reqHeaders, true
	case mapRequestTrailers:
		return &s.reqTrailers, s.trailersOpen
	case mapResponseHeaders:
		return &s.respHeaders, s.haveResponse
	case mapResponseTrailers:
		return &s.respTrailers, s.haveResponse
	}
	return nil, false
}

// missingMap is the status for a map that does not exist at this point. For the
// request trailers it is Envoy's BadArgument: Context::addHeaderMapValue,
// getHeaderMapValue (outside the access log), setHeaderMapPairs, removeHeaderMapValue,
// replaceHeaderMapValue and getHeaderMapSize all answer BadArgument when getMap or
// getConstMap gives no map (context.cc, b40935a). Other maps keep hostsim's NotFound.
func missingMap(t mapType) Status {
	if t == mapRequestTrailers {
		return StatusBadArgument
	}
	return StatusNotFound
}

// proxy_get_header_map_pairs(map_type, return_ptr_ptr, return_size_ptr) -> status
//
// Returns the whole map, serialized (see EncodePairs), order and repeated
// names kept.
func hostGetHeaderMapPairs(ctx context.Context, v *vm, p []uint64) Status {
	t := mapType(uint32(p[0]))
	m, ok := v.headerMap(t)
	if !ok && t == mapRequestTrailers {
		// Context::getHeaderMapPairs serializes a missing map as no pairs, with Ok.
		return v.writeOut(ctx, EncodePairs(nil), uint32(p[1]), uint32(p[2]))
	}
	if !ok {
		return StatusNotFound
	}
	return v.writeOut(ctx, EncodePairs(*m), uint32(p[1]), uint32(p[2]))
}

// proxy_set_header_map_pairs(map_type, map_ptr, map_size) -> status
//
// Replaces the whole map with the serialized pairs given.
func hostSetHeaderMapPairs(ctx context.Context, v *vm, p []uint64) Status {
	t := mapType(uint32(p[0]))
	m, ok := v.headerMap(t)
	if !ok {
		return missingMap(t)
	}
	raw, ok := v.read(uint32(p[1]), uint32(p[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	pairs, err := DecodePairs(raw)
	if err != nil {
		return StatusBadArgument
	}
	for i := range pairs {
		pairs[i].Name = strings.ToLower(pairs[i].Name)
	}
	*m = pairs
	return StatusOK
}

// proxy_get_header_map_size(map_type, return_size_ptr) -> status
//
// Writes the serialized size of the map.
func hostGetHeaderMapSize(ctx context.Context, v *vm, p []uint64) Status {
	t := mapType(uint32(p[0]))
	m, ok := v.headerMap(t)
	if !ok {
		return missingMap(t)
	}
	return v.writeU32(uint32(p[1]), uint32(len(EncodePairs(*m))))
}

// proxy_get_header_map_value(map_type, key_ptr, key_size, return_value_ptr_ptr,
// return_value_size_ptr) -> status
//
// Returns the FIRST value of the (case-insensitive) name, as Envoy does;
// NotFound when absent.
func hostGetHeaderMapValue(ctx context.Context, v *vm, p []uint64) Status {
	m, key, st := v.mapAndKey(p)
	if st != StatusOK {
		return st
	}
	for _, pair := range *m {
		if pair.Name == key {
			return v.writeOut(ctx, []byte(pair.Value), uint32(p[3]), uint32(p[4]))
		}
	}
	return StatusNotFound
}

// mapAndKey reads the (map_type, key_ptr, key_size) arguments every header-map value
// function starts with: the map (NotFound when it does not exist now) and the name,
// lower-cased as Envoy's header maps are.
func (v *vm) mapAndKey(p []uint64) (*[]Pair, string, Status) {
	t := mapType(uint32(p[0]))
	m, ok := v.headerMap(t)
	if !ok {
		return nil, "", missingMap(t)
	}
	key, ok := v.readString(uint32(p[1]), uint32(p[2]))
	if !ok {
		return nil, "", StatusInvalidMemoryAccess
	}
	return m, strings.ToLower(key), StatusOK
}

// proxy_add_header_map_value(map_type, key_ptr, key_size, value_ptr, value_size) -> status
//
// Appends a value; existing values of the name stay (so a second
// Set-Cookie is a second header).
func hostAddHeaderMapValue(ctx context.Context, v *vm, p []uint64) Status {
	m, key, st := v.mapAndKey(p)
	if st != StatusOK {
		return st
	}
	value, ok := v.readString(uint32(p[3]), uint32(p[4]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	*m = append(*m, Pair{key, value})
	return StatusOK
}

// proxy_replace_header_map_value(map_type, key_ptr, key_size, value_ptr, value_size) -> status
//
// Replaces the value of the first occurrence of the name in place and leaves later ones
// as they are; an absent name is appended. Envoy's Context::replaceHeaderMapValue
// (source/extensions/common/wasm/context.cc, envoyproxy/envoy b40935a) calls
// HeaderMapImpl::setCopy, which "Replaces the first occurrence of a header if it exists,
// otherwise adds by copy" (source/common/http/header_map_impl.cc, 0e2c2af): a guest that
// wants one value must remove the name first.
func hostReplaceHeaderMapValue(ctx context.Context, v *vm, p []uint64) Status {
	m, key, st := v.mapAndKey(p)
	if st != StatusOK {
		return st
	}
	value, ok := v.readString(uint32(p[3]), uint32(p[4]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	for i := range *m {
		if (*m)[i].Name == key {
			(*m)[i].Value = value
			return StatusOK
		}
	}
	*m = append(*m, Pair{key, value})
	return StatusOK
}

// proxy_remove_header_map_value(map_type, key_ptr, key_size) -> status
//
// Removes every value of the name; removing an absent name is OK.
func hostRemoveHeaderMapValue(ctx context.Context, v *vm, p []uint64) Status {
	m, key, st := v.mapAndKey(p)
	if st != StatusOK {
		return st
	}
	out := (*m)[:0]
	for _, pair := range *m {
		if pair.Name != key {
			out = append(out, pair)
		}
	}
	*m = out
	return StatusOK
}
