package hostsim

import (
	"context"
	"strings"
)

// The header maps a filter may use, and when, follow Envoy 1.39's Wasm host
// (source/extensions/common/wasm/context.cc at envoyproxy/envoy b40935a, with
// proxy-wasm-cpp-host src/exports.cc at 09e5f8d for the ABI layer). Envoy's Context
// holds one pointer per stream map and hands out only what they point at:
//
//   - request_headers_: set by decodeHeaders for proxy_on_request_headers, cleared when
//     that callback continues (its result converts to Continue) and by continueStream;
//   - request_trailers_: set by decodeTrailers, cleared the same way; getMap (edits)
//     also creates empty ones with addDecodedTrailers while request_body_buffer_ and
//     end_of_stream_ are set, i.e. in the request's last body callback;
//   - response_headers_: set by encodeHeaders, cleared only when that callback
//     continues (continueStream never clears it: a paused response's headers stay
//     reachable to the end of the stream);
//   - response_trailers_: set by encodeTrailers, cleared when it continues; getMap
//     creates them with addEncodedTrailers in the response's last body callback;
//   - continueStream, for the request or the response alike, clears request_headers_,
//     request_body_buffer_ and request_trailers_ (not the response's).
//
// A local reply sent from a request callback that continues finds that callback's map
// cleared (stream.around says why). In proxy_on_log (Context::log,
// access_log_phase_) reads go to the access log's request headers, response headers and
// response trailers, with no request trailers; edits and sizes still use the pointers
// above. The HTTP call response maps are readable during proxy_on_http_call_response
// only and never editable (getMap has no case for them); the gRPC maps exist only in
// gRPC callbacks, which hostsim does not offer.
//
// Without a map: add, replace, remove, set pairs and size answer BadArgument; get
// value answers BadArgument, or NotFound in proxy_on_log (ABI 0.2); get pairs answers
// Ok with no pairs (pointer 0, size 0, which the Go SDK reports as NotFound). A map
// type above HttpCallResponseTrailers is BadArgument for every function (exports.cc).

// headerMap returns the map a header-map host function names, for the effective
// context, or ok false when Envoy has none there. edit is true for the functions that
// go through Envoy's Context::getMap (add, replace, remove, set pairs, size), false for
// those through getConstMap (get value, get pairs).
func (v *vm) headerMap(t mapType, edit bool) (m *[]Pair, ok bool) {
	if t == mapHTTPCallHeaders || t == mapHTTPCallTrailers {
		if edit || v.callResp == nil {
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
	if s.logging && !edit {
		switch t {
		case mapRequestHeaders:
			return &s.reqHeaders, true
		case mapResponseHeaders:
			return &s.respHeaders, s.haveResponse
		case mapResponseTrailers:
			return &s.respTrailers, s.haveResponse
		}
		return nil, false
	}
	switch t {
	case mapRequestHeaders:
		return &s.reqHeaders, s.maps.reqHeaders
	case mapRequestTrailers:
		if edit && !s.maps.reqTrailers && s.maps.reqBody && s.endOfStream {
			s.maps.reqTrailers = true // addDecodedTrailers: the request had none
		}
		return &s.reqTrailers, s.maps.reqTrailers
	case mapResponseHeaders:
		return &s.respHeaders, s.maps.respHeaders
	case mapResponseTrailers:
		if edit && !s.maps.respTrailers && s.maps.respBody && s.endOfStream {
			s.maps.respTrailers = true // addEncodedTrailers: the response had none
		}
		return &s.respTrailers, s.maps.respTrailers
	}
	return nil, false
}

// mapForEdit is headerMap for the functions that edit (or size) a map: BadArgument for
// a type out of range or a map Envoy does not hand out there.
func (v *vm) mapForEdit(t mapType) (*[]Pair, Status) {
	if t > mapHTTPCallTrailers {
		return nil, StatusBadArgument
	}
	m, ok := v.headerMap(t, true)
	if !ok {
		return nil, StatusBadArgument
	}
	return m, StatusOK
}

// proxy_get_header_map_pairs(map_type, return_ptr_ptr, return_size_ptr) -> status
//
// Returns the whole map, serialized (see EncodePairs), order and repeated
// names kept; a map that is missing or empty is no data at all (cpp-host's
// get_header_map_pairs writes copyToPointerSize(""): pointer 0, size 0).
func hostGetHeaderMapPairs(ctx context.Context, v *vm, p []uint64) Status {
	t := mapType(uint32(p[0]))
	if t > mapHTTPCallTrailers {
		return StatusBadArgument
	}
	m, ok := v.headerMap(t, false)
	if !ok || len(*m) == 0 {
		return v.writeOut(ctx, nil, uint32(p[1]), uint32(p[2]))
	}
	return v.writeOut(ctx, EncodePairs(*m), uint32(p[1]), uint32(p[2]))
}

// proxy_set_header_map_pairs(map_type, map_ptr, map_size) -> status
//
// Replaces the whole map with the serialized pairs given.
func hostSetHeaderMapPairs(ctx context.Context, v *vm, p []uint64) Status {
	m, st := v.mapForEdit(mapType(uint32(p[0])))
	if st != StatusOK {
		return st
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
// Writes HeaderMap::byteSize() of the map, as Envoy's Context::getHeaderMapSize does
// (source/extensions/common/wasm/context.cc, envoyproxy/envoy b40935a: `*result =
// map->byteSize();`): the sum of every entry's name and value lengths, pseudo-headers
// included (HeaderMapImpl::byteSize, source/common/http/header_map_impl.cc, envoyproxy/envoy
// 0037d332; later releases cache the same sum). Not the serialized size of the pairs, which
// proxy_get_header_map_pairs' buffer has. hostsim keeps repeated names as separate pairs, as
// Envoy does for all but its inline headers, whose repeats it joins into one entry with a
// delimiter that byteSize also counts (not modelled).
func hostGetHeaderMapSize(ctx context.Context, v *vm, p []uint64) Status {
	m, st := v.mapForEdit(mapType(uint32(p[0])))
	if st != StatusOK {
		return st
	}
	size := 0
	for _, pair := range *m {
		size += len(pair.Name) + len(pair.Value)
	}
	return v.writeU32(uint32(p[1]), uint32(size))
}

// proxy_get_header_map_value(map_type, key_ptr, key_size, return_value_ptr_ptr,
// return_value_size_ptr) -> status
//
// Returns the FIRST value of the (case-insensitive) name, as Envoy does;
// NotFound when absent.
func hostGetHeaderMapValue(ctx context.Context, v *vm, p []uint64) Status {
	t := mapType(uint32(p[0]))
	if t > mapHTTPCallTrailers {
		return StatusBadArgument
	}
	key, ok := v.readString(uint32(p[1]), uint32(p[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	key = strings.ToLower(key)
	m, ok := v.headerMap(t, false)
	if !ok {
		// Context::getHeaderMapValue: "Requested map type is not currently available",
		// except in the access log, where a missing map reads as a missing value.
		if s := v.currentStream(); s != nil && s.logging {
			return StatusNotFound
		}
		return StatusBadArgument
	}
	for _, pair := range *m {
		if pair.Name == key {
			return v.writeOut(ctx, []byte(pair.Value), uint32(p[3]), uint32(p[4]))
		}
	}
	return StatusNotFound
}

// mapAndKey reads the (map_type, key_ptr, key_size) arguments every header-map edit
// function starts with: the map (BadArgument when Envoy hands out none now) and the
// name, lower-cased as Envoy's header maps are. cpp-host reads the guest's memory
// first (InvalidMemoryAccess), then Envoy looks for the map.
func (v *vm) mapAndKey(p []uint64) (*[]Pair, string, Status) {
	t := mapType(uint32(p[0]))
	if t > mapHTTPCallTrailers {
		return nil, "", StatusBadArgument
	}
	key, ok := v.readString(uint32(p[1]), uint32(p[2]))
	if !ok {
		return nil, "", StatusInvalidMemoryAccess
	}
	m, st := v.mapForEdit(t)
	if st != StatusOK {
		return nil, "", st
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
