package serve

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// cluster sends requests to one envoy.yaml cluster: the router's proxied
// requests and the filters' HTTP callouts alike, as in Envoy. It is an
// http.RoundTripper that picks an endpoint per request, round-robin (Envoy's
// default load balancing), and connects within the cluster's
// connect_timeout. Host names (STRICT_DNS, LOGICAL_DNS) are resolved when a
// connection is made, so a name that starts resolving later works without
// a restart, as with Envoy's periodic re-resolution.
type cluster struct {
	name      string
	scheme    string // "https" with an UpstreamTlsContext
	endpoints []string
	next      atomic.Uint32
	transport *http.Transport
	stats     *clusterStats
	// enableTrailers is the cluster's HTTP/1 enable_trailers (envoyconfig.Cluster).
	enableTrailers bool
}

func newCluster(c envoyconfig.Cluster, st *stats, field, baseDir string, log *logger) (*cluster, error) {
	dial := (&net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	cl := &cluster{
		name:           c.Name,
		scheme:         "http",
		endpoints:      c.Endpoints,
		stats:          st.cluster(c.Name),
		enableTrailers: c.EnableTrailers,
		transport: &http.Transport{
			// Envoy connects to the endpoint itself: no proxy from the
			// environment.
			Proxy:               nil,
			DialContext:         dial,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     time.Hour, // Envoy's default idle_timeout for upstream connections
			// Bodies pass as they come: no Accept-Encoding added, nothing
			// decompressed behind the filter's back.
			DisableCompression: true,
		},
	}
	if c.TLS != nil {
		// The transport's requests stay "http" to it: TLS is the dialer's, so that the SNI
		// and the verification are Envoy's, not net/http's.
		debugf := func(msg string) { log.line(hostsim.LogDebug, mainThread, "connection", msg) }
		d, err := upstreamDialer(field+".transport_socket.typed_config.common_tls_context", c.TLS, baseDir, dial, debugf)
		if err != nil {
			return nil, err
		}
		cl.scheme = "https"
		cl.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d(ctx, network, addr)
		}
	}
	return cl, nil
}

// RoundTrip sends r to the next endpoint, keeping r's Host header (the
// :authority), as Envoy does unless told to rewrite it. The cluster's stats
// count every request, proxied or a callout, as Envoy's do.
func (c *cluster) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.roundTrip(r)
	if err != nil {
		c.stats.failure(hostsim.ClassifyUpstreamError(err, r.Context().Err() == context.DeadlineExceeded))
		return nil, err
	}
	c.stats.response(res.StatusCode)
	return res, nil
}

func (c *cluster) roundTrip(r *http.Request) (*http.Response, error) {
	if len(c.endpoints) == 0 {
		return nil, hostsim.ErrNoHealthyUpstream
	}
	ep := c.endpoints[int(c.next.Add(1)-1)%len(c.endpoints)]
	out := r.Clone(r.Context())
	if out.Host == "" {
		out.Host = r.URL.Host
	}
	out.URL.Scheme, out.URL.Host = "http", ep
	// The request line carries :path exactly as the connection manager and the filters left
	// it, not as net/url would re-escape it.
	if raw := r.RequestURI; strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		p, q, hasQuery := strings.Cut(raw, "?")
		out.URL.Opaque, out.URL.RawQuery, out.URL.ForceQuery = p, q, hasQuery && q == ""
	}
	out.RequestURI = ""
	if info := streamInfoFrom(r.Context()); info != nil {
		info.setUpstreamHost(ep)
	}
	return c.transport.RoundTrip(out)
}

func (c *cluster) close() { c.transport.CloseIdleConnections() }
