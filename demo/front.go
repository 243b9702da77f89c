package demo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReadyPath is Exeunt's ready_path when its configuration sets none.
const DefaultReadyPath = "/exeunt/readyz"

// ProbeUserAgent is the User-Agent of the front's readiness probes: the demo leaves their
// successful answers out of its log (isProbeOK), as an Envoy access log can leave out
// health-check requests (not_health_check_filter).
const ProbeUserAgent = "exeunt-demo-front-health-check"

// FrontCheck is the front's active health check of the replicas: what docs/fleet.md ("Health
// and readiness checks") tells operators to configure on their load balancer. Every
// Interval each replica's readiness path is asked on a new connection (Envoy's
// reuse_connection: false, so the probes spread over the replica's workers); a replica is
// in rotation while it answers 200. The zero value probes with the interval, timeout and
// thresholds of fleet.md's Envoy health check.
type FrontCheck struct {
	// Path is the readiness path probed (Exeunt's ready_path); default DefaultReadyPath.
	Path string
	// Host is the probes' Host header (the issuer's host, which every replica serves);
	// default the replica's address.
	Host string
	// Interval between two probes of a replica (default 2s), and Timeout of one probe
	// (default 1s; a probe that times out has failed).
	Interval, Timeout time.Duration
	// HealthyThreshold is how many probes in a row must answer 200 before a replica out of
	// rotation is put back (default 2), and UnhealthyThreshold how many in a row must fail
	// before a replica in rotation is taken out (default 2). A replica starts out of rotation,
	// and its very first probe, if it answers 200, puts it in at once: Envoy's
	// healthy_threshold does the same ("during startup, only a single successful health
	// check is required to mark a host healthy", api/envoy/config/core/v3/health_check.proto).
	HealthyThreshold, UnhealthyThreshold int
	// Log receives a line each time a replica enters or leaves the rotation. Nil: none.
	Log io.Writer
}

func (c FrontCheck) withDefaults() FrontCheck {
	if c.Path == "" {
		c.Path = DefaultReadyPath
	}
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	if c.HealthyThreshold <= 0 {
		c.HealthyThreshold = 2
	}
	if c.UnhealthyThreshold <= 0 {
		c.UnhealthyThreshold = 2
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// Front is the fleet's load balancer in the demo: a reverse proxy on the port the browser
// uses that sends each request to the next ready replica in turn (round robin), so the
// browser sees one origin whichever replica answers. The Host header goes through
// unchanged: every replica serves Exeunt's issuer, as behind a real load balancer.
//
// Like the load balancer docs/fleet.md describes, it probes each replica's readiness path
// ([FrontCheck]) and sends requests only to replicas that answered it 200: a replica that
// refuses signed-in requests (before its first load of the revocations from etcd, or once
// its copy is older than stale_after) is out of rotation. When no replica is ready it
// answers 503 itself, with a short plain page that says so. (Envoy differs there: below its
// healthy_panic_threshold, 50% by default, it balances over every host whatever its health,
// and the replicas answer their own 503 to signed-in requests; with the threshold at 0 it
// answers 503 "no healthy upstream", as this front does.) A ready replica that does not
// answer gets 502 for that request; the front does not retry elsewhere (a sign-out must not
// be sent twice).
type Front struct {
	check    FrontCheck
	mu       sync.Mutex
	backends []*backend
	next     atomic.Uint64
	proxy    *httputil.ReverseProxy
	probes   *http.Client
	done     chan struct{}
	stopped  sync.WaitGroup
	once     sync.Once
}

// backend is one replica and its health-check state.
type backend struct {
	index      int
	addr       string // host:port of its listener
	ready      bool   // in rotation
	checked    bool   // a probe of addr has finished
	oks, fails int    // probes in a row that answered 200 / that failed
	kick       chan struct{}
}

type pickedKey struct{}

// NewFront balances over backends (host:port each) and starts probing them; Close stops
// the probes. Every replica is out of rotation until its first probe answers 200.
func NewFront(check FrontCheck, backends ...string) *Front {
	f := &Front{check: check.withDefaults(), done: make(chan struct{})}
	// A new connection per probe: keep-alives off (Envoy's reuse_connection: false).
	f.probes = &http.Client{
		Timeout:       f.check.Timeout,
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: r.In.Context().Value(pickedKey{}).(string)})
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			plainPage(w, http.StatusBadGateway, fmt.Sprintf(
				"502 Bad Gateway: the replica at %s did not answer (%v).\n", r.Context().Value(pickedKey{}), err))
		},
	}
	for i, addr := range backends {
		b := &backend{index: i, addr: addr, kick: make(chan struct{}, 1)}
		f.backends = append(f.backends, b)
		f.stopped.Add(1)
		go f.probeLoop(b)
	}
	return f
}

// SetBackend replaces the i-th replica's address (after it restarted on another port). The
// new address is out of rotation until a probe of it answers 200; it is probed at once.
func (f *Front) SetBackend(i int, addr string) {
	f.mu.Lock()
	b := f.backends[i]
	if b.addr != addr {
		*b = backend{index: b.index, addr: addr, kick: b.kick}
	}
	f.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Ready says which replicas are in rotation now, in the order they were given.
func (f *Front) Ready() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]bool, len(f.backends))
	for i, b := range f.backends {
		out[i] = b.ready
	}
	return out
}

// Close stops the probes (not the requests in flight: the server that serves the front
// shuts those down).
func (f *Front) Close() {
	f.once.Do(func() { close(f.done) })
	f.stopped.Wait()
}

// pick is the next ready replica in turn, or "" when none is.
func (f *Front) pick() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.backends)
	if n == 0 {
		return ""
	}
	start := int(f.next.Add(1)-1) % n
	for k := 0; k < n; k++ {
		if b := f.backends[(start+k)%n]; b.ready {
			return b.addr
		}
	}
	return ""
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := f.pick()
	if addr == "" {
		w.Header().Set("Retry-After", "1")
		plainPage(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"503 Service Unavailable: no replica of Exeunt is ready.\n\n"+
				"The demo's front sends requests only to replicas whose readiness check (%s) answers 200, "+
				"and none does now: each is still loading the sign-outs from etcd, or cannot reach etcd. "+
				"The demo's log says which. Try again in a moment.\n", f.check.Path))
		return
	}
	f.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pickedKey{}, addr)))
}

// plainPage answers a short text page the front writes itself, never cached.
func plainPage(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, text)
}

// probeLoop probes b every Interval (at once when kicked) until Close.
func (f *Front) probeLoop(b *backend) {
	defer f.stopped.Done()
	for {
		f.mu.Lock()
		addr := b.addr
		f.mu.Unlock()
		why := f.probe(addr)
		f.mu.Lock()
		if b.addr == addr { // not replaced while the probe ran
			f.record(b, why)
		}
		f.mu.Unlock()
		select {
		case <-f.done:
			return
		case <-b.kick:
		case <-time.After(f.check.Interval):
		}
	}
}

// probe asks addr's readiness path on a new connection: "" when it answered 200, else
// what it answered instead.
func (f *Front) probe(addr string) string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-f.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return askReady(ctx, f.probes, addr, f.check)
}

// askReady asks addr's readiness path (check.Path, with check.Host) once: "" when it
// answered 200, else what it answered instead.
func askReady(ctx context.Context, client *http.Client, addr string, check FrontCheck) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+check.Path, nil)
	if err != nil {
		return err.Error()
	}
	if check.Host != "" {
		req.Host = check.Host
	}
	req.Header.Set("User-Agent", ProbeUserAgent)
	resp, err := client.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s", resp.Status, body))
}

// record counts a probe's result (why: "" for 200) and moves b in or out of rotation.
// Called with f.mu held.
func (f *Front) record(b *backend, why string) {
	first := !b.checked
	b.checked = true
	if why == "" {
		b.fails = 0
		if !b.ready {
			b.oks++
			if first || b.oks >= f.check.HealthyThreshold {
				b.ready, b.oks = true, 0
				fmt.Fprintf(f.check.Log, "front: replica %d (%s) is ready: in rotation\n", b.index+1, b.addr)
			}
		}
		return
	}
	b.oks = 0
	if b.ready {
		b.fails++
		if b.fails >= f.check.UnhealthyThreshold {
			b.ready, b.fails = false, 0
			fmt.Fprintf(f.check.Log, "front: replica %d (%s) is not ready, out of rotation: %s answered %s\n", b.index+1, b.addr, f.check.Path, why)
		}
	} else if first {
		fmt.Fprintf(f.check.Log, "front: replica %d (%s) is not ready yet: %s answered %s\n", b.index+1, b.addr, f.check.Path, why)
	}
}
