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
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// maxRequestBody bounds a request body, which is buffered whole for the
// filter; Envoy answers a buffering filter's overflow with 413 too.
const maxRequestBody = 64 << 20

// listener serves one envoy.yaml listener: its connection manager's filter
// chain, then its router.
type listener struct {
	srv       *Server
	name      string
	ln        net.Listener
	http      *http.Server
	filters   []*plugin // the wasm filters, in the chain's order
	router    *router
	stats     *httpStats
	accessLog bool
}

// ServeHTTP runs one downstream request through the chain, as Envoy's
// connection manager does.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &streamInfo{}
	ctx := withStreamInfo(r.Context(), info)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		panic(http.ErrAbortHandler) // the client went away mid-body
	}
	var resp *hostsim.Response
	req := l.downstreamRequest(r, body)
	if len(body) > maxRequestBody {
		resp = &hostsim.Response{Status: http.StatusRequestEntityTooLarge, Body: []byte("Payload Too Large"),
			Header: []hostsim.Pair{{Name: "content-type", Value: "text/plain"}}}
	} else if resp, err = l.run(ctx, req, 0); err != nil {
		// The client went away, or the server is closing.
		panic(http.ErrAbortHandler)
	}
	l.stats.response(resp.Status)
	if l.accessLog {
		l.srv.log.raw(accessLogLine(start, req, resp, info))
	}
	if resp.Reset {
		// The filter closed the stream: the client sees the connection
		// reset, not a response.
		panic(http.ErrAbortHandler)
	}
	writeDownstream(w, r.Method, resp)
}

// downstreamRequest is the request as Envoy's connection manager hands it
// to the first filter: the pseudo-headers, the client's headers without
// the hop-by-hop ones, plus x-forwarded-proto and x-request-id when the
// client sent none; the whole body and the trailers; the connection's
// addresses; the route the request would take (properties route_name and
// cluster_name).
func (l *listener) downstreamRequest(r *http.Request, body []byte) *hostsim.Request {
	header := pairsOf(r.Header)
	if !hasPair(header, "x-forwarded-proto") {
		header = append(header, hostsim.Pair{Name: "x-forwarded-proto", Value: "http"})
	}
	if !hasPair(header, "x-request-id") {
		header = append(header, hostsim.Pair{Name: "x-request-id", Value: newRequestID()})
	}
	req := &hostsim.Request{
		Method: r.Method, Path: r.RequestURI, Authority: r.Host, Scheme: "http",
		Header: header, Body: body, Trailer: pairsOf(r.Trailer),
		Protocol: r.Proto, SourceAddress: r.RemoteAddr,
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		req.DestinationAddress = a.String()
	}
	if rt := l.router.routes.route(r.Host, r.RequestURI); rt != nil {
		req.RouteName, req.ClusterName = rt.Name, rt.Cluster
	}
	return req
}

// run passes req through the filters from the i-th on, then the router.
// Each wasm filter's upstream is the rest of the chain.
func (l *listener) run(ctx context.Context, req *hostsim.Request, i int) (*hostsim.Response, error) {
	if i == len(l.filters) {
		return serveWith(ctx, l.router, req)
	}
	p := l.filters[i]
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i+1 == len(l.filters) {
			l.router.ServeHTTP(w, r)
			return
		}
		resp, err := l.run(r.Context(), nextRequest(req, r), i+1)
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
		return &hostsim.Response{Status: http.StatusRequestTimeout, Body: []byte("stream timeout"),
			Header: []hostsim.Pair{{Name: "content-type", Value: "text/plain"}}}, nil
	}
	// The plugin's VM failed (a trap, a panic): Envoy answers 503 for a
	// fail-closed plugin, and skips a fail-open one.
	p.reportFailure(l.srv.log, err)
	if p.failOpen {
		return l.run(ctx, req, i+1)
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
	next.Header, next.Body = pairsOf(r.Header), body
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
func writeDownstream(w http.ResponseWriter, method string, resp *hostsim.Response) {
	h := w.Header()
	for _, p := range resp.Header {
		if isHopByHop(p.Name, p.Value) || p.Name == "content-length" && method != http.MethodHead {
			continue
		}
		h.Add(p.Name, p.Value)
	}
	h.Set("Server", "envoy")
	if len(resp.Trailer) == 0 && method != http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
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
