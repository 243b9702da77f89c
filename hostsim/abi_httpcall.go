package hostsim

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// callResponse is the HTTP callout result the guest reads during
// proxy_on_http_call_response (header map 6, trailer map 7, buffer 4).
type callResponse struct {
	headers, trailers []Pair
	body              []byte
}

var calloutTokens atomic.Uint32

// proxy_http_call(upstream_ptr, upstream_size, headers_ptr, headers_size,
// body_ptr, body_size, trailers_ptr, trailers_size, timeout_ms,
// return_token_ptr) -> status
//
// Starts an HTTP request to a cluster and returns at once with a token. The
// answer arrives later through proxy_on_http_call_response(root context,
// token, header count, body size, trailer count) on the calling VM. As in
// Envoy: an unknown cluster or headers without :method, :path and
// :authority are BadArgument; an unreachable cluster is answered with
// Envoy's 503 local reply and a timeout with its 504 (see doCallout).
func hostHTTPCall(ctx context.Context, v *vm, p []uint64) Status {
	cluster, ok1 := v.readString(uint32(p[0]), uint32(p[1]))
	rawHeaders, ok2 := v.read(uint32(p[2]), uint32(p[3]))
	body, ok3 := v.read(uint32(p[4]), uint32(p[5]))
	rawTrailers, ok4 := v.read(uint32(p[6]), uint32(p[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return StatusInvalidMemoryAccess
	}
	target, known := v.host.opts.Clusters[cluster]
	if !known {
		v.host.log(v, LogDebug, "hostsim: http call to unknown cluster "+strconv.Quote(cluster))
		return StatusBadArgument
	}
	headers, err := DecodePairs(rawHeaders)
	if err != nil {
		return StatusBadArgument
	}
	if _, err := DecodePairs(rawTrailers); err != nil {
		return StatusBadArgument
	}
	req, err := calloutRequest(headers, body)
	if err != nil {
		return StatusBadArgument
	}
	token := calloutTokens.Add(1)
	if st := v.writeU32(uint32(p[9]), token); st != StatusOK {
		return st
	}
	timeout := time.Duration(uint32(p[8])) * time.Millisecond
	h := v.host
	if h.isClosed() {
		// Close is waiting for asynchronous work to end: start none.
		return StatusInternalFailure
	}
	h.async.Add(1)
	go func() {
		defer h.async.Done()
		resp := doCallout(req, target, timeout)
		select {
		case <-h.closed:
			return
		default:
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.callResp = resp
		v.withContext(rootContextID)
		v.call(v.fns.httpCallResponse, "proxy_on_http_call_response", rootContextID, uint64(token),
			uint64(len(resp.headers)), uint64(len(resp.body)), uint64(len(resp.trailers)))
		v.callResp = nil
	}()
	return StatusOK
}

func calloutRequest(headers []Pair, body []byte) (*http.Request, error) {
	var method, path, authority, scheme string
	for _, p := range headers {
		switch strings.ToLower(p.Name) {
		case ":method":
			method = p.Value
		case ":path":
			path = p.Value
		case ":authority":
			authority = p.Value
		case ":scheme":
			scheme = p.Value
		}
	}
	if method == "" || path == "" || authority == "" {
		return nil, errMissingPseudo
	}
	if scheme == "" {
		scheme = "http"
	}
	req, err := http.NewRequest(method, scheme+"://"+authority+path, bytes.NewReader(append([]byte(nil), body...)))
	if err != nil {
		return nil, err
	}
	req.RequestURI = path
	for _, p := range headers {
		if !strings.HasPrefix(p.Name, ":") {
			req.Header.Add(p.Name, p.Value)
		}
	}
	return req, nil
}

type calloutError string

func (e calloutError) Error() string { return string(e) }

const errMissingPseudo = calloutError("hostsim: http call headers need :method, :path and :authority")

// doCallout performs the request against the cluster within the timeout,
// and answers as Envoy's async client does: a response when the upstream
// gave one; otherwise the router's local reply (503 when the cluster could
// not be reached, 504 when the timeout ended first), which the filter
// receives as the callout's response. Only a failure after the response
// headers (a reset mid-body) gives the empty response of Envoy's onFailure.
func doCallout(req *http.Request, c Cluster, timeout time.Duration) *callResponse {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req = req.WithContext(ctx)
	if c.Handler != nil {
		done := make(chan *http.Response, 1)
		var buf *httptest.ResponseRecorder
		go func() {
			rec := httptest.NewRecorder()
			c.Handler.ServeHTTP(rec, req)
			buf = rec
			done <- rec.Result()
		}()
		select {
		case res := <-done:
			return responseOf(res, buf.Body.Bytes())
		case <-ctx.Done():
			return failureResponse(UpstreamTimeout)
		}
	}
	// A real cluster: plain HTTP to the address, keeping the :authority as
	// the Host header, as Envoy does.
	req.URL.Host = c.Address
	req.URL.Scheme = "http"
	req.RequestURI = ""
	rt := c.Transport
	if rt == nil {
		rt = calloutTransport
	}
	// A RoundTripper never follows redirects: the filter sees the 30x, as
	// in Envoy.
	res, err := rt.RoundTrip(req)
	if err != nil {
		return failureResponse(ClassifyUpstreamError(err, ctx.Err() == context.DeadlineExceeded))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		// Envoy resets a stream whose response had begun (a timeout
		// included): the callout fails with no response at all.
		return &callResponse{}
	}
	return responseOf(res, body)
}

// calloutTransport is the default way to a cluster's Address: no proxy from
// the environment (Envoy connects to the endpoint itself), Envoy's default
// connect_timeout.
var calloutTransport http.RoundTripper = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 16,
	// Envoy passes bodies as they come: no Accept-Encoding added, nothing
	// decompressed behind the filter's back.
	DisableCompression: true,
	IdleConnTimeout:    90 * time.Second,
}

func failureResponse(f UpstreamFailure) *callResponse {
	return &callResponse{headers: append([]Pair{{":status", strconv.Itoa(f.Status)}}, f.Header()...), body: []byte(f.Body)}
}

func responseOf(res *http.Response, body []byte) *callResponse {
	headers := append([]Pair{{":status", strconv.Itoa(res.StatusCode)}}, headerPairs(res.Header)...)
	return &callResponse{headers: headers, body: body, trailers: headerPairs(res.Trailer)}
}
