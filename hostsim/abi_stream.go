package hostsim

import (
	"context"
	"strings"
)

// currentStream is the stream of the effective context, or nil when the
// effective context is the root context.
func (v *vm) currentStream() *stream { return v.streams[v.effective] }

// proxy_send_local_response(status_code, details_ptr, details_size,
// body_ptr, body_size, headers_ptr, headers_size, grpc_status) -> status
//
// Answers the current stream from the filter itself. As in Envoy the
// stream stops there: no further request callbacks, no upstream. Envoy adds
// content-type text/plain to a reply with a body and none given.
func hostSendLocalResponse(ctx context.Context, v *vm, p []uint64) Status {
	s := v.currentStream()
	if s == nil {
		return StatusBadArgument
	}
	details, ok1 := v.readString(uint32(p[1]), uint32(p[2]))
	body, ok2 := v.read(uint32(p[3]), uint32(p[4]))
	raw, ok3 := v.read(uint32(p[5]), uint32(p[6]))
	if !ok1 || !ok2 || !ok3 {
		return StatusInvalidMemoryAccess
	}
	headers, err := DecodePairs(raw)
	if err != nil {
		return StatusBadArgument
	}
	resp := &Response{Status: int(uint32(p[0])), Body: append([]byte(nil), body...), LocalReply: true, Details: details}
	hasType := false
	for _, h := range headers {
		h.Name = strings.ToLower(h.Name)
		if h.Name == "content-type" {
			hasType = true
		}
		resp.Header = append(resp.Header, h)
	}
	if len(body) > 0 && !hasType {
		resp.Header = append(resp.Header, Pair{"content-type", "text/plain"})
	}
	s.local = resp
	s.signal()
	return StatusOK
}

// proxy_continue_stream(stream_type) -> status
//
// Resumes a stream the filter paused, in the given direction. Envoy's
// Context::continueStream (source/extensions/common/wasm/context.cc, envoyproxy/envoy
// b40935a) then clears request_headers_, request_body_buffer_ and request_trailers_ for
// either direction, at once (the resume itself is deferred): an edit of the request
// headers after this call answers BadArgument, even in the same callback
// (TestHTTPCallToARealAddressResumesTheStream).
func hostContinueStream(ctx context.Context, v *vm, p []uint64) Status {
	s := v.currentStream()
	dir := streamType(uint32(p[0]))
	if s == nil || dir > streamResponse {
		return StatusBadArgument
	}
	s.continued[dir] = true
	s.closeRequestMaps()
	s.signal()
	return StatusOK
}

// proxy_close_stream(stream_type) -> status
//
// Resets the stream; the client sees the connection reset.
func hostCloseStream(ctx context.Context, v *vm, p []uint64) Status {
	s := v.currentStream()
	if s == nil || streamType(uint32(p[0])) > streamResponse {
		return StatusBadArgument
	}
	s.reset = true
	s.signal()
	return StatusOK
}

// proxy_set_effective_context(context_id) -> status
//
// Makes later host calls act on another context of this VM (the SDK uses
// it to answer a stream from an HTTP callout's response; Exeunt's glue to
// answer a paused stream from a tick). An unknown id, a stream that has
// ended included, is BadArgument, as in Envoy: proxy-wasm-cpp-host
// src/exports.cc, set_effective_context, returns BadArgument when
// wasm()->getContext(cid) is null, and otherwise only records the id, from
// any callback. TestAPausedStreamIsAnsweredFromATick.
func hostSetEffectiveContext(ctx context.Context, v *vm, p []uint64) Status {
	id := uint32(p[0])
	if id != rootContextID && v.streams[id] == nil {
		return StatusBadArgument
	}
	v.effective = id
	return StatusOK
}

// proxy_done() -> status
//
// A root context that answered false to proxy_on_done says with this that
// it has finished; nothing waits on it in this host, so it is recorded.
func hostDone(ctx context.Context, v *vm, p []uint64) Status {
	v.doneCalled = true
	return StatusOK
}
