package hostsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Request is a downstream HTTP request as the listener hands it to the
// filter chain.
type Request struct {
	Method    string // default GET
	Path      string // path and query; default "/"
	Authority string // the Host; default "localhost"
	Scheme    string // default "http"
	Header    []Pair // regular (non-pseudo) headers, in order
	Body      []byte
	Trailer   []Pair

	Protocol           string // default "HTTP/1.1"
	SourceAddress      string // "ip:port"; default "127.0.0.1:50000"
	DestinationAddress string // "ip:port"; default "127.0.0.1:10000"
	MTLS               bool
	RouteName          string
	ClusterName        string
}

// Response is what the downstream client receives.
type Response struct {
	Status  int
	Header  []Pair // regular headers, in order, repeats kept
	Body    []byte
	Trailer []Pair
	// LocalReply is true when the filter answered with
	// proxy_send_local_response instead of the upstream; Details is the
	// details string it gave.
	LocalReply bool
	Details    string
	// Reset is true when the filter closed the stream (proxy_close_stream):
	// the client would see a reset connection, not a response.
	Reset bool
	// VM is the index of the VM that handled the stream.
	VM int
}

// HeaderValues returns the values of a header, in order.
func (r *Response) HeaderValues(name string) []string {
	var vs []string
	for _, p := range r.Header {
		if strings.EqualFold(p.Name, name) {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// HeaderValue returns the first value of a header, or "".
func (r *Response) HeaderValue(name string) string {
	if vs := r.HeaderValues(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// stream is the host's state of one HTTP stream; the host functions read and
// change it while its context is the effective one.
type stream struct {
	id  uint32
	req *Request

	reqHeaders, reqTrailers   []Pair
	reqBody                   []byte
	respHeaders, respTrailers []Pair
	respBody                  []byte
	haveResponse              bool
	// maps are the maps Envoy hands the filter now (abi_headers.go); endOfStream is
	// Envoy's end_of_stream_, one flag for both directions, set by the headers and body
	// callbacks; logging is Envoy's access_log_phase_, during proxy_on_log.
	maps        openMaps
	endOfStream bool
	logging     bool

	props map[string][]byte // set_property on this stream

	continued [2]bool   // proxy_continue_stream seen, per direction
	local     *Response // proxy_send_local_response seen
	reset     bool      // proxy_close_stream seen
	wake      chan struct{}
}

// openMaps mirrors the pointers Envoy's Wasm Context keeps per stream
// (source/extensions/common/wasm/context.cc, envoyproxy/envoy b40935a): true while
// request_headers_, request_body_buffer_, request_trailers_, response_headers_,
// response_body_buffer_, response_trailers_ point at the stream's own.
type openMaps struct {
	reqHeaders, reqBody, reqTrailers    bool
	respHeaders, respBody, respTrailers bool
}

// around runs one stream callback as Envoy's Context::decodeHeaders, decodeData,
// decodeTrailers, encodeHeaders, encodeData and encodeTrailers do: the callback's map
// is set for it (and end_of_stream_, for headers and body: eos >= 0), and cleared when
// the callback continues.
//
// A local reply sent from a request callback that then continues finds the callback's
// map cleared in its response callbacks here. Envoy's filter manager prepares a reply
// sent during a decode callback and encodes it once that callback has returned
// (executeLocalReplyIfPrepared in FilterManager::decodeHeaders,
// source/common/http/filter_manager.cc: read from excerpts, not at b40935a). A filter
// manager that encoded it at once, inside the callback, would leave the map to the
// reply's callbacks: Envoy more lenient than hostsim there, never stricter.
func (s *stream) around(open *bool, eos int, call func() (uint64, error)) (uint64, error) {
	*open = true
	if eos >= 0 {
		s.endOfStream = eos == 1
	}
	action, err := call()
	if uint32(action) == actionContinue {
		*open = false
	}
	return action, err
}

// closeRequestMaps is Context::continueStream's clearing, for either direction:
// request_headers_, request_body_buffer_ and request_trailers_ go.
func (s *stream) closeRequestMaps() {
	s.maps.reqHeaders, s.maps.reqBody, s.maps.reqTrailers = false, false, false
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Do runs one HTTP stream through the filter, as Envoy's HTTP connection
// manager does: proxy_on_context_create, request headers, body and trailers
// (each may pause the stream until the filter resumes it, typically after
// an HTTP callout), the upstream (skipped when the filter answered
// locally), response headers, body and trailers, then proxy_on_done,
// proxy_on_log and proxy_on_delete. upstream receives the request as the
// filter left it.
func (h *Host) Do(ctx context.Context, req *Request, upstream http.Handler) (*Response, error) {
	if !h.startStream() {
		return nil, ErrClosed
	}
	defer h.streams.Done()
	req = withRequestDefaults(req)
	v := h.pickVM()

	v.mu.Lock()
	s := &stream{id: v.nextID, req: req, wake: make(chan struct{}, 1), props: map[string][]byte{}}
	v.nextID++
	s.reqHeaders = requestPairs(req)
	s.reqBody = append([]byte(nil), req.Body...)
	s.reqTrailers = append([]Pair(nil), req.Trailer...)
	v.streams[s.id] = s
	v.withContext(s.id)
	_, err := v.call(v.fns.contextCreate, "proxy_on_context_create", uint64(s.id), rootContextID)
	v.mu.Unlock()
	if err != nil {
		return nil, err
	}
	resp, err := h.runStream(ctx, v, s, upstream)
	// Envoy finishes every stream it created, whatever happened to it, so
	// the SDK's per-context state is freed in proxy_on_delete.
	if ferr := v.finish(s); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	resp.VM = v.index
	return resp, nil
}

func (h *Host) runStream(ctx context.Context, v *vm, s *stream, upstream http.Handler) (*Response, error) {
	hasBody, hasTrailers := len(s.reqBody) > 0, len(s.reqTrailers) > 0

	// The request path. A local reply or a reset ends it early.
	phases := []struct {
		name string
		run  func() (uint64, error)
		skip bool
	}{
		{"request headers", func() (uint64, error) {
			eos := !hasBody && !hasTrailers
			return s.around(&s.maps.reqHeaders, int(b2u(eos)), func() (uint64, error) {
				return v.call(v.fns.requestHeaders, "proxy_on_request_headers", uint64(s.id), uint64(len(s.reqHeaders)), b2u(eos))
			})
		}, false},
		{"request body", func() (uint64, error) {
			return s.around(&s.maps.reqBody, int(b2u(!hasTrailers)), func() (uint64, error) {
				return v.call(v.fns.requestBody, "proxy_on_request_body", uint64(s.id), uint64(len(s.reqBody)), b2u(!hasTrailers))
			})
		}, !hasBody},
		{"request trailers", func() (uint64, error) {
			return s.around(&s.maps.reqTrailers, -1, func() (uint64, error) {
				return v.call(v.fns.requestTrailers, "proxy_on_request_trailers", uint64(s.id), uint64(len(s.reqTrailers)))
			})
		}, !hasTrailers},
	}
	// A filter that stops iteration on the request headers gets the body and
	// trailers only where Envoy's wasm filter sets allow_on_headers_stop_iteration
	// (it may be waiting for them: to read a form post, say); otherwise cpp-host
	// turns its StopIteration into StopAllIterationAndWatermark and Envoy buffers
	// the body without calling the filter until it resumes (see stopsAll). The
	// request goes on to the upstream only once the filter continues, by
	// proxy_continue_stream or by returning Continue from a later callback.
	paused := ""
	for i, ph := range phases {
		if ph.skip {
			continue
		}
		action, halted, err := h.callPhase(v, s, streamRequest, ph.run, paused != "")
		if err != nil {
			return nil, err
		}
		if halted {
			paused = ""
			break
		}
		if uint32(action) == actionContinue {
			paused = ""
			continue
		}
		paused = ph.name
		if i == 0 && h.stopsAll(action) {
			stop, err := h.waitResume(ctx, v, s, streamRequest, ph.name+stopAllNote, nil)
			if err != nil {
				return nil, err
			}
			paused = ""
			if stop {
				break
			}
		}
	}
	if paused != "" {
		if _, err := h.waitResume(ctx, v, s, streamRequest, paused, nil); err != nil {
			return nil, err
		}
	}

	v.mu.Lock()
	local, reset := s.local, s.reset
	v.mu.Unlock()
	if reset {
		return &Response{Reset: true}, nil
	}
	if local == nil {
		up := h.callUpstream(ctx, v, s, upstream)
		v.mu.Lock()
		s.respHeaders, s.respBody, s.respTrailers = up.headers, up.body, up.trailers
		s.haveResponse = true
		v.mu.Unlock()
	} else {
		// Envoy sends a local reply through the encoder filters too, so the
		// filter sees its own reply in its response callbacks.
		v.mu.Lock()
		s.respHeaders = append([]Pair{{":status", strconv.Itoa(local.Status)}}, local.Header...)
		s.respBody = local.Body
		s.haveResponse = true
		v.mu.Unlock()
	}
	return h.runResponse(ctx, v, s, local)
}

func (h *Host) runResponse(ctx context.Context, v *vm, s *stream, local *Response) (*Response, error) {
	v.mu.Lock()
	hasBody, hasTrailers := len(s.respBody) > 0, len(s.respTrailers) > 0
	n := len(s.respHeaders)
	v.mu.Unlock()
	phases := []struct {
		name string
		run  func() (uint64, error)
		skip bool
	}{
		{"response headers", func() (uint64, error) {
			eos := !hasBody && !hasTrailers
			return s.around(&s.maps.respHeaders, int(b2u(eos)), func() (uint64, error) {
				return v.call(v.fns.responseHeaders, "proxy_on_response_headers", uint64(s.id), uint64(n), b2u(eos))
			})
		}, false},
		{"response body", func() (uint64, error) {
			return s.around(&s.maps.respBody, int(b2u(!hasTrailers)), func() (uint64, error) {
				return v.call(v.fns.responseBody, "proxy_on_response_body", uint64(s.id), uint64(len(s.respBody)), b2u(!hasTrailers))
			})
		}, !hasBody},
		{"response trailers", func() (uint64, error) {
			return s.around(&s.maps.respTrailers, -1, func() (uint64, error) {
				return v.call(v.fns.responseTrailers, "proxy_on_response_trailers", uint64(s.id), uint64(len(s.respTrailers)))
			})
		}, !hasTrailers},
	}
	// A local reply sent while the response is being encoded replaces it,
	// and is not encoded through the filter a second time. StopIteration from
	// the response headers stops everything (the body waits) unless
	// allow_on_headers_stop_iteration is set, as for the request.
	before := local
	paused := ""
	for i, ph := range phases {
		if ph.skip {
			continue
		}
		v.mu.Lock()
		localBefore := s.local
		v.mu.Unlock()
		action, halted, err := h.callPhase(v, s, streamResponse, ph.run, paused != "")
		if err != nil {
			return nil, err
		}
		if halted {
			paused = ""
			break
		}
		if uint32(action) == actionContinue {
			paused = ""
			continue
		}
		if i == 0 && !h.stopsAll(action) {
			paused = ph.name // the body is still delivered
			continue
		}
		name := ph.name
		if i == 0 {
			name += stopAllNote
		}
		stop, err := h.waitResume(ctx, v, s, streamResponse, name, localBefore)
		if err != nil {
			return nil, err
		}
		paused = ""
		if stop {
			break
		}
	}
	if paused != "" {
		if _, err := h.waitResume(ctx, v, s, streamResponse, paused, before); err != nil {
			return nil, err
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s.reset {
		return &Response{Reset: true}, nil
	}
	if s.local != nil && s.local != before {
		return s.local, nil
	}
	resp := &Response{Body: s.respBody, Trailer: s.respTrailers}
	for _, p := range s.respHeaders {
		if p.Name == ":status" {
			resp.Status, _ = strconv.Atoi(p.Value)
			continue
		}
		resp.Header = append(resp.Header, p)
	}
	if local != nil {
		resp.LocalReply, resp.Details = true, local.Details
	}
	return resp, nil
}

// stopsAll reports whether a headers callback's result stops the whole
// stream, body included, as cpp-host's
// ContextBase::convertVmCallResultToFilterHeadersStatus (src/context.cc@09e5f8d,
// the same at beb8a4ec) decides: StopIteration (1) becomes
// StopAllIterationAndWatermark unless the plugin's
// allow_on_headers_stop_iteration is set (envoyproxy/envoy#40213); every
// other non-Continue result stops everything too (hostsim reads 2,
// ContinueAndEndStream, as a stop as well: the SDK never returns it).
func (h *Host) stopsAll(action uint64) bool {
	return !(uint32(action) == actionPause && h.opts.AllowOnHeadersStopIteration)
}

// stopAllNote explains a stream stuck in its headers callback.
const stopAllNote = " (StopIteration from a headers callback: Envoy buffers the body without calling the filter until it resumes, unless the wasm filter sets allow_on_headers_stop_iteration)"

// callPhase runs one stream callback. halted is true when the filter answered
// locally or reset the stream during it. stillPaused keeps a resume that a
// previous callback is waiting for (the callback does not reset it).
func (h *Host) callPhase(v *vm, s *stream, dir streamType, run func() (uint64, error), stillPaused bool) (action uint64, halted bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !stillPaused {
		s.continued[dir] = false
	}
	localBefore := s.local
	v.withContext(s.id)
	action, err = run()
	return action, s.reset || s.local != localBefore, err
}

// waitResume waits until the filter resumes a paused stream (stop false), or
// ends it with a local reply or a reset (stop true), or the stream timeout
// passes. localBefore is the local reply known before the callback that
// paused ran (nil on the request path, where none can precede it): one sent
// since, even before this wait began (by a callout's answer, say), ends it.
func (h *Host) waitResume(ctx context.Context, v *vm, s *stream, dir streamType, name string, localBefore *Response) (stop bool, err error) {
	timer := time.NewTimer(h.opts.StreamTimeout)
	defer timer.Stop()
	for {
		v.mu.Lock()
		resumed, halted, broken := s.continued[dir], s.reset || s.local != localBefore, v.broken
		v.mu.Unlock()
		switch {
		case broken != nil:
			return true, broken
		case halted:
			return true, nil
		case resumed:
			return false, nil
		}
		select {
		case <-s.wake:
		case <-timer.C:
			return true, fmt.Errorf("hostsim: VM %d: the filter paused the stream in %s and did not resume it within %s: %w", v.index, name, h.opts.StreamTimeout, ErrStreamTimeout)
		case <-ctx.Done():
			return true, ctx.Err()
		case <-h.closed:
			return true, ErrClosed
		}
	}
}

// finish ends the stream as Envoy does: the access log first
// (proxy_on_log, from Context::log), then the filter's destruction
// (Context::onDestroy: proxy_on_done, then proxy_on_delete), in Envoy's
// source/extensions/common/wasm/context.cc; the connection manager logs
// before it destroys the filters (source/common/http/conn_manager_impl.cc,
// doDeferredStreamDestroy: filter_manager_.log(), then destroyFilters()).
func (v *vm) finish(s *stream) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer delete(v.streams, s.id)
	if v.host.isClosed() {
		return ErrClosed // the VM is going away with all its contexts
	}
	v.withContext(s.id)
	s.logging = true // Context::log: access_log_phase_ for onLog
	_, err := v.call(v.fns.log, "proxy_on_log", uint64(s.id))
	s.logging = false
	if err != nil {
		return err
	}
	if _, err := v.call(v.fns.done, "proxy_on_done", uint64(s.id)); err != nil {
		return err
	}
	_, err = v.call(v.fns.delete, "proxy_on_delete", uint64(s.id))
	return err
}

type upstreamResult struct {
	headers, trailers []Pair
	body              []byte
}

// callUpstream sends the request, as the filter left it, to the upstream
// handler. With no upstream, Envoy's answer to a route without a cluster is
// given: 404.
func (h *Host) callUpstream(ctx context.Context, v *vm, s *stream, upstream http.Handler) upstreamResult {
	v.mu.Lock()
	headers := append([]Pair(nil), s.reqHeaders...)
	body := append([]byte(nil), s.reqBody...)
	trailers := append([]Pair(nil), s.reqTrailers...)
	v.mu.Unlock()
	if upstream == nil {
		return upstreamResult{headers: []Pair{{":status", "404"}}}
	}
	hr, err := httpRequestFromPairs(ctx, headers, body)
	if err != nil {
		// Envoy would refuse such a request before it reached a cluster.
		return upstreamResult{headers: []Pair{{":status", "400"}}, body: []byte(err.Error())}
	}
	// Envoy forwards the request trailers, as the filters left them, to the upstream
	// (HTTP/2 trailers, or an HTTP/1.1 chunked body's trailer section).
	if len(trailers) > 0 {
		hr.Trailer = http.Header{}
		for _, p := range trailers {
			hr.Trailer.Add(p.Name, p.Value)
		}
	}
	rec := httptest.NewRecorder()
	upstream.ServeHTTP(rec, hr)
	res := rec.Result()
	out := upstreamResult{headers: []Pair{{":status", strconv.Itoa(res.StatusCode)}}, body: rec.Body.Bytes()}
	out.headers = append(out.headers, headerPairs(res.Header)...)
	out.trailers = headerPairs(res.Trailer)
	return out
}

func withRequestDefaults(r *Request) *Request {
	c := *r
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.Authority == "" {
		c.Authority = "localhost"
	}
	if c.Scheme == "" {
		c.Scheme = "http"
	}
	if c.Protocol == "" {
		c.Protocol = "HTTP/1.1"
	}
	if c.SourceAddress == "" {
		c.SourceAddress = "127.0.0.1:50000"
	}
	if c.DestinationAddress == "" {
		c.DestinationAddress = "127.0.0.1:10000"
	}
	return &c
}

// requestPairs builds the request header map Envoy hands a filter: the
// pseudo-headers first, then the regular headers lower-cased, in order,
// plus the x-request-id Envoy generates when the client sent none.
func requestPairs(r *Request) []Pair {
	ps := []Pair{{":authority", r.Authority}, {":path", r.Path}, {":method", r.Method}, {":scheme", r.Scheme}}
	hasID := false
	for _, p := range r.Header {
		name := strings.ToLower(p.Name)
		if name == "x-request-id" {
			hasID = true
		}
		ps = append(ps, Pair{name, p.Value})
	}
	if !hasID {
		var id [16]byte
		rand.Read(id[:])
		ps = append(ps, Pair{"x-request-id", hex.EncodeToString(id[:])})
	}
	return ps
}

func httpRequestFromPairs(ctx context.Context, ps []Pair, body []byte) (*http.Request, error) {
	get := func(name string) string {
		for _, p := range ps {
			if p.Name == name {
				return p.Value
			}
		}
		return ""
	}
	r, err := http.NewRequestWithContext(ctx, get(":method"), get(":scheme")+"://"+get(":authority")+get(":path"), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hostsim: the request headers do not form a request: %w", err)
	}
	r.RequestURI = get(":path")
	for _, p := range ps {
		if !strings.HasPrefix(p.Name, ":") {
			r.Header.Add(p.Name, p.Value)
		}
	}
	return r, nil
}

// headerPairs turns a Go header map into lower-cased pairs, names sorted so
// the result is deterministic; the values of one name keep their order.
func headerPairs(h http.Header) []Pair {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	var ps []Pair
	for _, n := range names {
		for _, val := range h[n] {
			ps = append(ps, Pair{strings.ToLower(n), val})
		}
	}
	return ps
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
