package serve

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/exeunt/exeunt/hostsim"
)

// stats holds the few of Envoy's own statistics that hostsim keeps, under
// Envoy's names, beside which the admin endpoint lists the plugins' metrics.
type stats struct {
	mu       sync.Mutex
	counters map[string]*atomic.Int64
	gauges   map[string]*atomic.Int64
}

func newStats() *stats {
	return &stats{counters: map[string]*atomic.Int64{}, gauges: map[string]*atomic.Int64{}}
}

func (s *stats) counter(name string) *atomic.Int64 { return s.get(s.counters, name) }
func (s *stats) gauge(name string) *atomic.Int64   { return s.get(s.gauges, name) }

func (s *stats) get(m map[string]*atomic.Int64, name string) *atomic.Int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := m[name]
	if !ok {
		c = new(atomic.Int64)
		m[name] = c
	}
	return c
}

// httpStats are a connection manager's: http.<stat_prefix>.*.
type httpStats struct {
	rqTotal, noRoute *atomic.Int64
	// Envoy's connection manager counters for path normalisation
	// (http.<prefix>.downstream_rq_failed_path_normalization and
	// downstream_rq_redirected_with_normalized_path).
	failedPathNormalization, redirectedWithNormalizedPath *atomic.Int64
	rqByClass                                             [6]*atomic.Int64 // downstream_rq_1xx .. 5xx, at their first digit
}

func (s *stats) http(prefix string) *httpStats {
	p := "http." + prefix + "."
	h := &httpStats{rqTotal: s.counter(p + "downstream_rq_total"), noRoute: s.counter(p + "no_route"),
		failedPathNormalization:      s.counter(p + "downstream_rq_failed_path_normalization"),
		redirectedWithNormalizedPath: s.counter(p + "downstream_rq_redirected_with_normalized_path")}
	for c := 1; c <= 5; c++ {
		h.rqByClass[c] = s.counter(p + "downstream_rq_" + strconv.Itoa(c) + "xx")
	}
	return h
}

func (h *httpStats) response(status int) {
	h.rqTotal.Add(1)
	if c := status / 100; c >= 1 && c <= 5 {
		h.rqByClass[c].Add(1)
	}
}

// clusterStats are a cluster's: cluster.<name>.*.
type clusterStats struct {
	rqTotal, connectFail, timeout, noneHealthy *atomic.Int64
	rqByClass                                  [6]*atomic.Int64
}

func (s *stats) cluster(name string) *clusterStats {
	p := "cluster." + name + "."
	c := &clusterStats{
		rqTotal:     s.counter(p + "upstream_rq_total"),
		connectFail: s.counter(p + "upstream_cx_connect_fail"),
		timeout:     s.counter(p + "upstream_rq_timeout"),
		noneHealthy: s.counter(p + "upstream_cx_none_healthy"),
	}
	for k := 1; k <= 5; k++ {
		c.rqByClass[k] = s.counter(p + "upstream_rq_" + strconv.Itoa(k) + "xx")
	}
	return c
}

func (c *clusterStats) response(status int) {
	c.rqTotal.Add(1)
	if k := status / 100; k >= 1 && k <= 5 {
		c.rqByClass[k].Add(1)
	}
}

func (c *clusterStats) failure(f hostsim.UpstreamFailure) {
	switch f.Flag {
	case "UH":
		c.noneHealthy.Add(1)
	case "UF":
		c.connectFail.Add(1)
	case "UT":
		c.timeout.Add(1)
	}
}

// customPrefix is the namespace Envoy puts the metrics a wasm plugin defines
// in (Stats::CustomStatNamespaces): "wasmcustom.<name>" in /stats.
const customPrefix = "wasmcustom."

// statValue is one counter or gauge in a snapshot.
type statValue struct {
	name  string
	value int64
}

// histogram is one histogram in a snapshot, its samples sorted.
type histogram struct {
	name    string
	samples []uint64
}

// snapshot gathers Envoy's stats and every plugin's metrics, each sorted by
// name. A metric that several plugins define is one stat, as in Envoy's
// store: their values add up.
func (s *stats) snapshot(hosts []*hostsim.Host) ([]statValue, []histogram) {
	values := map[string]int64{}
	s.mu.Lock()
	for n, c := range s.counters {
		values[n] = c.Load()
	}
	for n, g := range s.gauges {
		values[n] = g.Load()
	}
	s.mu.Unlock()
	hists := map[string][]uint64{}
	for _, h := range hosts {
		for name, m := range h.Metrics() {
			name = customPrefix + name
			if m.Type == hostsim.MetricHistogram {
				hists[name] = append(hists[name], m.Samples...)
			} else {
				values[name] += m.Value
			}
		}
	}
	var vs []statValue
	for n, v := range values {
		vs = append(vs, statValue{n, v})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].name < vs[j].name })
	var hs []histogram
	for n, samples := range hists {
		sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
		hs = append(hs, histogram{n, samples})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].name < hs[j].name })
	return vs, hs
}

// supportedQuantiles are the ones Envoy's admin reports, in percent.
var supportedQuantiles = []float64{0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100}

// quantile interpolates linearly between the sorted samples; NaN for none.
func quantile(sorted []uint64, pct float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := pct / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return float64(sorted[lo])*(1-frac) + float64(sorted[hi])*frac
}
