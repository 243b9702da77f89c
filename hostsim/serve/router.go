package serve

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// router is Envoy's router filter, the end of every chain: it picks the
// route for the request as the filters left it (a filter that changes the
// path or Host changes the route, as Envoy's wasm filter clears the route
// cache when it edits headers) and proxies to the route's cluster.
type router struct {
	routes   *routeTable
	clusters map[string]*cluster
	stats    *httpStats
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := streamInfoFrom(r.Context())
	route, vh := rt.routes.lookup(r.Host, r.RequestURI)
	if route == nil {
		// Envoy's answer: 404 with no body (response flag NR).
		rt.stats.noRoute.Add(1)
		info.setFlag("NR")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if route.Redirect != nil || route.DirectResponse != nil {
		rt.routes.answerDirect(w, r, route, vh)
		return
	}
	c := rt.clusters[route.Cluster] // Load made sure it exists

	ctx := r.Context()
	if route.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, route.Timeout)
		defer cancel()
	}
	out := r.Clone(ctx)
	for name, vs := range out.Header {
		for _, v := range vs {
			if isHopByHop(name, v) {
				out.Header.Del(name)
			}
		}
	}
	for _, name := range rt.routes.headersToRemove(route, vh) {
		out.Header.Del(name)
	}
	if route.Timeout > 0 {
		out.Header.Set("x-envoy-expected-rq-timeout-ms", strconv.FormatInt(route.Timeout.Milliseconds(), 10))
	}
	upstreamTrailers(out, c.enableTrailers)

	sent := time.Now()
	info.upstreamSent()
	res, err := c.RoundTrip(out)
	if err != nil {
		rt.fail(w, info, hostsim.ClassifyUpstreamError(err, ctx.Err() == context.DeadlineExceeded))
		return
	}
	defer res.Body.Close()
	info.responseBegan()
	serviceTime := time.Since(sent)
	body, err := io.ReadAll(res.Body)
	if err != nil {
		// Envoy would reset the stream; hostsim buffers the response, so it
		// can still answer as for a failure before the headers.
		rt.fail(w, info, hostsim.ClassifyUpstreamError(err, ctx.Err() == context.DeadlineExceeded))
		return
	}
	h := w.Header()
	for name, vs := range res.Header {
		for _, v := range vs {
			if !isHopByHop(name, v) {
				h.Add(name, v)
			}
		}
	}
	for _, name := range rt.routes.responseHeadersToRemove(route, vh) {
		h.Del(name)
	}
	h.Set("x-envoy-upstream-service-time", strconv.FormatInt(serviceTime.Milliseconds(), 10))
	w.WriteHeader(res.StatusCode)
	w.Write(body)
	if !c.enableTrailers {
		// The upstream HTTP/1 codec drops a response's trailers unless the cluster's
		// enable_trailers is set (BalsaParser::validateAndProcessHeadersOrTrailersImpl,
		// balsa_parser.cc at ee2107ff: `if (trailers && !enable_trailers_) continue;`, its
		// enable_trailers_ being the client connection's, the cluster's, setting).
		return
	}
	for name, vs := range res.Trailer {
		for _, v := range vs {
			h.Add(http.TrailerPrefix+name, v)
		}
	}
}

// upstreamTrailers decides whether the request's trailers, as the filters left them, reach the
// upstream. Envoy's upstream HTTP/1 codec sends them only when the cluster's HTTP/1
// enable_trailers is set, and only with a chunked body, which it uses when the request has no
// content-length (StreamEncoderImpl::encodeTrailersBase and encodeHeadersBase,
// source/common/http/http1/codec_impl.cc, in the stored copies of recent Envoy the search index
// holds: `if (!connection_.enableTrailers()) { return endEncode(); }`, then `if
// (chunk_encoding_)`; the client connection's settings are the cluster's Http1ProtocolOptions).
// A chunked downstream request has no content-length (Go's server, like Envoy's codec, drops
// it), so its trailers go on, chunked, when the cluster allows them; otherwise they are
// dropped and the body goes as it is.
func upstreamTrailers(out *http.Request, enabled bool) {
	if len(out.Trailer) == 0 || !enabled || out.Header.Get("Content-Length") != "" {
		out.Trailer = nil
		return
	}
	out.ContentLength = -1 // Go's client then sends the body chunked, with the trailers
	out.TransferEncoding = []string{"chunked"}
}

// fail answers with Envoy's local reply for an upstream that gave no
// response, which the filters then see as the response.
func (rt *router) fail(w http.ResponseWriter, info *streamInfo, f hostsim.UpstreamFailure) {
	info.setFlag(f.Flag)
	for _, p := range f.Header() {
		w.Header().Set(p.Name, p.Value)
	}
	w.WriteHeader(f.Status)
	io.WriteString(w, f.Body)
}
