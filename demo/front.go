package demo

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
)

// Front is the fleet's load balancer in the demo: a reverse proxy on the port the browser
// uses that sends each request to the next replica in turn (round robin), so the browser
// sees one origin whichever replica answers. The Host header goes through unchanged: every
// replica serves Exeunt's issuer, as behind a real load balancer. A replica that does not
// answer gets 502 for that request; the front does not retry elsewhere (a sign-out must not
// be sent twice).
type Front struct {
	mu       sync.RWMutex
	backends []string // host:port of each replica's listener
	next     atomic.Uint64
	proxy    *httputil.ReverseProxy
}

// NewFront balances over backends (host:port each).
func NewFront(backends ...string) *Front {
	f := &Front{backends: append([]string(nil), backends...)}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: f.pick()})
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32},
	}
	return f
}

// SetBackend replaces the i-th replica's address (after it restarted on another port).
func (f *Front) SetBackend(i int, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backends[i] = addr
}

func (f *Front) pick() string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.backends[int(f.next.Add(1)-1)%len(f.backends)]
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.proxy.ServeHTTP(w, r) }
