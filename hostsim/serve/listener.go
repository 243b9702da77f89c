package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// maxRequestBody bounds a request body, which is buffered whole for the
// filter; Envoy answers a buffering filter's overflow with 413 too.
const maxRequestBody = 64 << 20

// listener serves one envoy.yaml listener: its connection manager's filter
// chain, then its router.
type listener struct {
	srv  *Server
	name string
	ln   net.Listener
	http *http.Server
	// filters are the wasm filters in the chain's order; filterNames their `name` in
	// http_filters (what typed_per_filter_config is keyed by) and filterDisabled their own
	// `disabled`.
	filters         []*plugin
	filterNames     []string
	filterDisabled  []bool
	router          *router
	stats           *httpStats
	accessLog       bool
	accessLogFormat string
	hcm             envoyconfig.HCMOptions
	tls             bool
}

// ServeHTTP runs one downstream request through the chain, as Envoy's
// connection manager does (ConnectionManagerImpl::ActiveStream::decodeHeaders,
// source/common/http/conn_manager_impl.cc, v1.33.0): header limits, path
// normalisation, the request headers' mutation (x-forwarded-*), the route,
// the filter chain created for that route, then the router; with the
// request and stream idle timeouts running.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &streamInfo{}
	ctx, cancel := context.WithCancelCause(withStreamInfo(r.Context(), info))
	defer cancel(nil)
	t := l.startTimers(w, start, cancel)
	info.onUpstream, info.onResponse = t.requestSent, t.responseStarted
	defer t.stop()

	req := l.downstreamRequest(r, nil)
	chunkedLength := l.chunkedLength(r)
	reply := func(resp *hostsim.Response) {
		l.stats.response(resp.Status)
		if l.accessLog {
			l.srv.log.raw(l.accessLogLine(start, req, resp, info))
		}
		writeDownstream(w, r.Method, resp, l.hcm.EnableTrailers)
	}
	refusal := l.requestMethod(r)
	if refusal == nil {
		refusal = l.requestTarget(r)
	}
	if refusal != nil {
		// A codec error, found in the request line before the headers (the method, then the
		// target): Envoy closes the connection after its reply.
		w.Header().Set("Connection", "close")
		reply(refusal)
		return
	}
	if resp := l.headerLimits(r); resp != nil {
		// A codec error: Envoy closes the connection after its reply.
		w.Header().Set("Connection", "close")
		reply(resp)
		return
	}
	if resp := chunkedLength(); resp != nil {
		w.Header().Set("Connection", "close")
		reply(resp)
		return
	}
	scheme, refused := l.codecScheme(r)
	if refused != nil {
		w.Header().Set("Connection", "close")
		reply(refused)
		return
	}
	if resp := l.protocolVersion(r); resp != nil {
		w.Header().Set("Connection", "close")
		reply(resp)
		return
	}
	if !http10KeepAlive(r) {
		w.Header().Set("Connection", "close")
	}
	req.Authority = r.Host         // default_host_for_http_10 may have set it
	req.Header = pairsOf(r.Header) // without what headers_with_underscores_action dropped
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		t.bodyReadFailed()
		if t.fired() != nil {
			reply(t.response())
			return
		}
		panic(http.ErrAbortHandler) // the client went away mid-body
	}
	t.requestReceived()
	req.Body = body
	req.Trailer = l.codecTrailers(r) // Go's server fills r.Trailer in once the body is read
	if len(body) > maxRequestBody {
		reply(localReply(http.StatusRequestEntityTooLarge, "Payload Too Large"))
		return
	}
	// Only relative paths reach the application layer: Envoy answers anything
	// else ("OPTIONS *", say) with a local 404 (AbsolutePath).
	if !strings.HasPrefix(req.Path, "/") {
		reply(&hostsim.Response{Status: http.StatusNotFound})
		return
	}
	// Path normalisation comes before everything that reads the path; its
	// replies are sent before the filter chain exists.
	path, action := normalizeRequestPath(req.Path, l.hcm)
	switch {
	case action == pathReject,
		action == pathRedirect && strings.HasPrefix(pairValue(req.Header, "content-type"), "application/grpc"):
		l.stats.failedPathNormalization.Add(1)
		// Envoy's HttpConnectionManagerImplTest.PathWithEscapedSlashesRejected expects the
		// connection closed after this 400.
		w.Header().Set("Connection", "close")
		reply(&hostsim.Response{Status: http.StatusBadRequest})
		return
	case action == pathRedirect:
		l.stats.redirectedWithNormalizedPath.Add(1)
		reply(&hostsim.Response{Status: http.StatusTemporaryRedirect, Header: []hostsim.Pair{{Name: "location", Value: path}}})
		return
	}
	req.Path = path
	fwd := mutateRequestHeaders(req.Header, l.hcm, r.RemoteAddr, req.DestinationAddress, l.tls)
	req.Header, req.SourceAddress = fwd.header, fwd.remote
	if req.Scheme = scheme; scheme == "" {
		req.Scheme = forwardedScheme(req.Header, l.tls)
	}
	route, vh := l.router.routes.lookup(req.Authority, req.Path)
	if route != nil {
		req.RouteName, req.ClusterName = route.Name, route.Cluster
		if route.IdleTimeout != nil {
			t.setIdle(*route.IdleTimeout)
		}
	}
	enabled := make([]bool, len(l.filters))
	for i := range l.filters {
		enabled[i] = !l.router.routes.filterDisabled(route, vh, l.filterNames[i], l.filterDisabled[i])
	}

	resp, err := l.run(ctx, req, enabled, 0)
	t.stop() // a response is here: a timer that fires from now on changes nothing
	if cause := t.fired(); cause != nil {
		// The request or stream idle timeout fired before a response began.
		resp, err = t.response(), nil
	}
	if err != nil {
		// The client went away, or the server is closing.
		panic(http.ErrAbortHandler)
	}
	if resp.Reset {
		l.stats.response(resp.Status)
		if l.accessLog {
			l.srv.log.raw(l.accessLogLine(start, req, resp, info))
		}
		// The filter closed the stream: the client sees the connection
		// reset, not a response.
		panic(http.ErrAbortHandler)
	}
	reply(resp)
}

// localReply is a plain-text local reply, as Envoy's sendLocalReply makes it.
func localReply(status int, body string) *hostsim.Response {
	return &hostsim.Response{Status: status, Body: []byte(body),
		Header: []hostsim.Pair{{Name: "content-type", Value: "text/plain"}}}
}

// downstreamRequest is the request as Envoy's HTTP/1 codec hands it to the
// connection manager: the pseudo-headers, the client's headers without the
// hop-by-hop ones, the trailers and the connection's addresses.
func (l *listener) downstreamRequest(r *http.Request, body []byte) *hostsim.Request {
	scheme := "http"
	if l.tls {
		scheme = "https"
	}
	path := r.RequestURI
	if !strings.HasPrefix(path, "/") && r.URL.IsAbs() {
		// An absolute URI in the request line: Envoy's HTTP/1 codec keeps its path and query
		// as :path (and its host as :authority, as Go does for r.Host).
		path = r.URL.EscapedPath()
		if r.URL.ForceQuery || r.URL.RawQuery != "" {
			path += "?" + r.URL.RawQuery
		}
	}
	req := &hostsim.Request{
		Method: r.Method, Path: path, Authority: r.Host, Scheme: scheme,
		Header: pairsOf(r.Header), Body: body,
		Protocol: codecProtocol(r), SourceAddress: r.RemoteAddr,
	}
	req.Trailer = l.codecTrailers(r)
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		req.DestinationAddress = a.String()
	}
	return req
}

// codecTrailers are the request's trailers as Envoy's codec hands them to the filters: an HTTP/1
// codec drops them unless enable_trailers is set (envoyconfig.HCMOptions.EnableTrailers cites
// the source). They are known once the body has been read.
func (l *listener) codecTrailers(r *http.Request) []hostsim.Pair {
	if r.ProtoMajor != 1 || l.hcm.EnableTrailers {
		return pairsOf(r.Trailer)
	}
	return nil
}

// run passes req through the enabled filters from the i-th on, then the
// router. Each wasm filter's upstream is the rest of the chain.
func (l *listener) run(ctx context.Context, req *hostsim.Request, enabled []bool, i int) (*hostsim.Response, error) {
	for i < len(l.filters) && !enabled[i] {
		i++ // not created for this route (typed_per_filter_config disabled)
	}
	if i == len(l.filters) {
		return serveWith(ctx, l.router, req)
	}
	p := l.filters[i]
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := l.run(r.Context(), nextRequest(req, r), enabled, i+1)
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		writeRecorded(w, resp)
	})
	resp, err := p.host.Do(ctx, req, rest)
	switch {
	case err == nil:
		return resp, nil
	case ctx.Err() != nil, errors.Is(err, hostsim.ErrClosed):
		return nil, err
	case errors.Is(err, hostsim.ErrStreamTimeout):
		// Envoy's stream idle timeout: 408 before any response.
		l.srv.log.line(hostsim.LogWarn, mainThread, "http", "listener "+l.name+": "+err.Error())
		return localReply(http.StatusRequestTimeout, "stream timeout"), nil
	}
	// The plugin's VM failed (a trap, a panic): Envoy answers 503 for a
	// fail-closed plugin, and skips a fail-open one.
	p.reportFailure(l.srv.log, err)
	if p.failOpen {
		return l.run(ctx, req, enabled, i+1)
	}
	return &hostsim.Response{Status: http.StatusServiceUnavailable}, nil
}

// nextRequest is the request as a filter left it, for the next filter: the
// connection's details stay those of the downstream request.
func nextRequest(orig *hostsim.Request, r *http.Request) *hostsim.Request {
	body, _ := io.ReadAll(r.Body)
	next := *orig
	next.Method, next.Path, next.Authority = r.Method, r.RequestURI, r.Host
	if r.URL.Scheme != "" {
		next.Scheme = r.URL.Scheme
	}
	// The trailers as the filter left them (none when it removed them all).
	next.Header, next.Body, next.Trailer = pairsOf(r.Header), body, pairsOf(r.Trailer)
	return &next
}

// serveWith runs req through a plain handler (a listener without wasm
// filters goes straight to its router).
func serveWith(ctx context.Context, h http.Handler, req *hostsim.Request) (*hostsim.Response, error) {
	r, err := http.NewRequestWithContext(ctx, req.Method, req.Scheme+"://"+req.Authority+req.Path, bytes.NewReader(req.Body))
	if err != nil {
		return &hostsim.Response{Status: http.StatusBadRequest}, nil
	}
	r.RequestURI, r.Host = req.Path, req.Authority
	for _, p := range req.Header {
		r.Header.Add(p.Name, p.Value)
	}
	for _, p := range req.Trailer {
		if r.Trailer == nil {
			r.Trailer = http.Header{}
		}
		r.Trailer.Add(p.Name, p.Value)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	return &hostsim.Response{Status: res.StatusCode, Header: pairsOf(res.Header), Body: rec.Body.Bytes(), Trailer: pairsOf(res.Trailer)}, nil
}

// writeRecorded hands a response on to an in-process writer (the previous
// filter's upstream recorder), trailers included.
func writeRecorded(w http.ResponseWriter, resp *hostsim.Response) {
	for _, p := range resp.Header {
		w.Header().Add(p.Name, p.Value)
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
	for _, p := range resp.Trailer {
		w.Header().Add(http.TrailerPrefix+p.Name, p.Value)
	}
}

// writeDownstream sends the response to the client. Content-Length is the
// body's (a filter may have changed the body and not the header), except
// for HEAD, whose Content-Length describes the body a GET would get; with
// trailers the body is chunked. Envoy overwrites the server header.
//
// A HEAD's response with a body is a local reply (the upstream's answer to a HEAD has none):
// Envoy's Utility::sendLocalReply (source/common/http/utility.cc, in the stored copies of
// recent Envoy the search index holds, no commit named) sets content-length to the body's
// length, or removes it for an empty body, and then encodes a HEAD's reply as headers only;
// the HTTP/1 codec adds "content-length: 0" to no HEAD's reply (StreamEncoderImpl::
// encodeHeadersBase, source/common/http/http1/codec_impl.cc). Go's server set it only for a
// body under its 2 KiB buffer, so a longer local reply (one of the filter's pages) had none.
//
// The response's trailers reach the client only under the connection manager's
// enable_trailers: the HTTP/1 codec's StreamEncoderImpl::encodeTrailersBase
// (source/common/http/http1/codec_impl.cc) ends the body without them otherwise.
func writeDownstream(w http.ResponseWriter, method string, resp *hostsim.Response, enableTrailers bool) {
	if !enableTrailers && len(resp.Trailer) > 0 {
		withoutTrailers := *resp
		withoutTrailers.Trailer = nil
		resp = &withoutTrailers
	}
	head := method == http.MethodHead
	headLocal := head && (len(resp.Body) > 0 || resp.LocalReply)
	h := w.Header()
	for _, p := range resp.Header {
		if isHopByHop(p.Name, p.Value) || p.Name == "content-length" && (!head || headLocal) {
			continue
		}
		h.Add(p.Name, p.Value)
	}
	h.Set("Server", "envoy")
	if len(resp.Trailer) == 0 && !head || headLocal && len(resp.Body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	for _, p := range resp.Trailer {
		// Announced before the headers go, so that Go's server sends the body chunked (it
		// gave a short body a Content-Length, and then no trailers, when they were only added
		// after it).
		h.Add("Trailer", p.Name)
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(resp.Body)
	for _, p := range resp.Trailer {
		h.Add(http.TrailerPrefix+p.Name, p.Value)
	}
}
