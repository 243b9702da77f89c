package hostsim

import "context"

// buffer returns the buffer a buffer host function names, for the effective
// context. ok is false when it does not exist at this point: the VM and
// plugin configurations exist only during proxy_on_vm_start and
// proxy_on_configure, the callout body only during
// proxy_on_http_call_response, as in Envoy.
func (v *vm) buffer(t bufferType) (b *[]byte, ok bool) {
	switch t {
	case bufVMConfiguration:
		return &v.vmConfig, v.vmConfig != nil
	case bufPluginConfig:
		return &v.pluginConfig, v.pluginConfig != nil
	case bufHTTPCallResponse:
		if v.callResp == nil {
			return nil, false
		}
		return &v.callResp.body, true
	}
	s := v.currentStream()
	if s == nil {
		return nil, false
	}
	switch t {
	case bufRequestBody:
		return &s.reqBody, true
	case bufResponseBody:
		return &s.respBody, s.haveResponse
	}
	return nil, false
}

// proxy_get_buffer_bytes(buffer_type, start, max_size, return_ptr_ptr,
// return_size_ptr) -> status
//
// Returns up to max_size bytes from start. Reading past the end is cut
// short, a start past the end is BadArgument; an empty result writes a
// null pointer and size 0.
func hostGetBufferBytes(ctx context.Context, v *vm, p []uint64) Status {
	b, ok := v.buffer(bufferType(uint32(p[0])))
	if !ok {
		return StatusNotFound
	}
	start, max := uint64(uint32(p[1])), uint64(uint32(p[2]))
	n := uint64(len(*b))
	if start > n {
		return StatusBadArgument
	}
	end := start + max
	if end > n {
		end = n
	}
	return v.writeOut(ctx, (*b)[start:end], uint32(p[3]), uint32(p[4]))
}

// proxy_set_buffer_bytes(buffer_type, start, size, data_ptr, data_size) -> status
//
// Envoy's rules: start 0 and size 0 prepends; start 0 and size at least the
// buffer's length replaces it; start at or past the end appends; anything
// else (a splice in the middle) is BadArgument.
func hostSetBufferBytes(ctx context.Context, v *vm, p []uint64) Status {
	b, ok := v.buffer(bufferType(uint32(p[0])))
	if !ok {
		return StatusNotFound
	}
	data, ok := v.read(uint32(p[3]), uint32(p[4]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	start, size := int(uint32(p[1])), int(uint32(p[2]))
	switch {
	case start == 0 && size == 0:
		*b = append(append([]byte(nil), data...), *b...)
	case start == 0 && size >= len(*b):
		*b = append([]byte(nil), data...)
	case start >= len(*b):
		*b = append(*b, data...)
	default:
		return StatusBadArgument
	}
	return StatusOK
}

// proxy_get_buffer_status(buffer_type, return_length_ptr, return_flags_ptr) -> status
//
// Writes the buffer's length; flags are 0 (no end-of-stream tracking per
// buffer here: every body is delivered whole).
func hostGetBufferStatus(ctx context.Context, v *vm, p []uint64) Status {
	b, ok := v.buffer(bufferType(uint32(p[0])))
	if !ok {
		return StatusNotFound
	}
	if st := v.writeU32(uint32(p[1]), uint32(len(*b))); st != StatusOK {
		return st
	}
	return v.writeU32(uint32(p[2]), 0)
}
