package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// etcdCounter passes a cluster's calls on to etcd, counting them: follows of the
// revocations (ranges by min_mod_revision) apart from the rest.
type etcdCounter struct {
	proxy          *httputil.ReverseProxy
	follows, other atomic.Int64
}

func newEtcdCounter(tb testing.TB, etcdURL string) *etcdCounter {
	u, err := url.Parse(etcdURL)
	if err != nil {
		tb.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{Proxy: nil}
	return &etcdCounter{proxy: p}
}

func (c *etcdCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if bytes.Contains(body, []byte(`"min_mod_revision"`)) {
		c.follows.Add(1)
	} else {
		c.other.Add(1)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.proxy.ServeHTTP(w, r)
}

// BenchmarkEtcdRequestsPerVM is what one idle VM (Envoy worker) asks of etcd with the
// store on etcd at the default follow_period (250ms), through build/exeunt.wasm in
// hostsim with 2 VMs: follows of the revocations, and the rest (the back-channel queue
// checked on each tick), per VM per second, over a 3 s window per iteration.
func BenchmarkEtcdRequestsPerVM(b *testing.B) {
	const vms = 2
	etcd := etcdpeer.Start(b, etcdpeer.Config{})
	counter := newEtcdCounter(b, etcd.URL)
	newEnv(b, envOptions{
		config:   map[string]any{"store": map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd"}}},
		clusters: map[string]hostsim.Cluster{"etcd": {Handler: counter}},
		host:     func(o *hostsim.Options) { o.VMs = vms },
	})
	time.Sleep(time.Second) // past the start's calls
	var follows, other int64
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f0, o0, t0 := counter.follows.Load(), counter.other.Load(), time.Now()
		time.Sleep(3 * time.Second)
		follows += counter.follows.Load() - f0
		other += counter.other.Load() - o0
		took += time.Since(t0)
	}
	b.StopTimer()
	perVMs := func(n int64) float64 { return float64(n) / vms / took.Seconds() }
	b.ReportMetric(perVMs(follows), "follows/VM/s")
	b.ReportMetric(perVMs(other), "other/VM/s")
	b.ReportMetric(perVMs(follows+other), "etcd-req/VM/s")
}
