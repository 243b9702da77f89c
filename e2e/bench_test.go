package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// Benchmarks of what ships, run by `make bench`; BENCHMARKS.md keeps the
// figures. Ratios are measured within one run, request by request, so that
// a noisy shared machine slows both sides alike.

var okUpstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })

// BenchmarkPassThrough sends the same pass-through request alternately
// through the filter and through the do-nothing module (built the same way,
// with an HTTP context that continues every callback) and reports each one's
// time per request and their ratio: the cost of the filter's own work on top
// of the bare ABI round trip.
func BenchmarkPassThrough(b *testing.B) {
	filter := startHost(b, "exeunt.wasm", hostsim.Options{PluginConfig: []byte(`{"health_path": "/exeunt/healthz"}`)})
	noop := startHost(b, "noop.wasm", hostsim.Options{})
	req := &hostsim.Request{Path: "/app/page?x=1", Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: "a=b"}}}
	ctx := context.Background()
	run := func(h *hostsim.Host) time.Duration {
		start := time.Now()
		if _, err := h.Do(ctx, req, okUpstream); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for i := 0; i < 200; i++ { // warm both VMs before measuring
		run(filter)
		run(noop)
	}
	var tFilter, tNoop time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tNoop += run(noop)
		tFilter += run(filter)
	}
	b.ReportMetric(float64(tFilter.Nanoseconds())/float64(b.N), "filter-ns/req")
	b.ReportMetric(float64(tNoop.Nanoseconds())/float64(b.N), "noop-ns/req")
	b.ReportMetric(float64(tFilter)/float64(tNoop), "ratio")
}

// BenchmarkSignedInRequest is BenchmarkPassThrough for a signed-in browser's request
// to a client: session cookie opened, revocation checked, identity headers and the
// signed assertion passed to the app (the assertion is cached, so this is the common
// request, not the first one after sign-in). Besides the ratio it reports where the
// time goes: each module's own callbacks (guest-ns/req, host functions they call
// included; the rest is hostsim's work on the stream) and, of the filter's, its
// proxy_on_request_headers.
//
// A third module runs in the same loop: build/headersonly.wasm (cmd/headersonly) does
// the host work the filter cannot skip on this request and nothing else: it reads every
// request header and sets the identity headers the filter set (taken from what the app
// received). floor-ratio is its time over the do-nothing module's, the part of the
// filter's ratio that no work in Exeunt can remove; over-floor is the filter's time over
// its own: what deciding costs.
func BenchmarkSignedInRequest(b *testing.B) {
	var filterGuest, filterHeaders, noopGuest, floorGuest guestTime
	e := newEnv(b, envOptions{host: func(o *hostsim.Options) { o.OnGuestReturn = filterGuest.with(&filterHeaders) }})
	e.signIn("https://exeunt.test/app1/")
	e.get("https://exeunt.test/app1/") // records the client: the next requests are the steady state
	noop := startHost(b, "noop.wasm", hostsim.Options{VMs: 2, OnGuestReturn: noopGuest.with(nil)})
	ctx := context.Background()
	req := &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/app1/page",
		Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: "__Host-exeunt=" + e.jar["__Host-exeunt"]}}}
	run := func(h *hostsim.Host, want int) time.Duration {
		start := time.Now()
		resp, err := h.Do(ctx, req, e.apps)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Status != want {
			b.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		return time.Since(start)
	}
	run(e.host, 200)
	var identity [][2]string
	for name, values := range e.apps.seenBy("app1") {
		if name = strings.ToLower(name); strings.HasPrefix(name, "x-exeunt-") {
			identity = append(identity, [2]string{name, values[0]})
		}
	}
	// name, email, email_verified, sub, sid, idp and the assertion (email_verified joined
	// the six in b395bd2; the floor sets the same ones, so the comparison stays fair).
	if len(identity) != 7 {
		b.Fatalf("the app received %d identity headers, want 7: %v", len(identity), identity)
	}
	floorConfig, err := json.Marshal(identity)
	if err != nil {
		b.Fatal(err)
	}
	floor := startHost(b, "headersonly.wasm", hostsim.Options{VMs: 2, PluginConfig: floorConfig, OnGuestReturn: floorGuest.with(nil)})
	for i := 0; i < 200; i++ { // warm every VM and its caches
		run(e.host, 200)
		run(noop, 200)
		run(floor, 200)
	}
	var tFilter, tNoop, tFloor time.Duration
	all := []*guestTime{&filterGuest, &filterHeaders, &noopGuest, &floorGuest}
	for _, g := range all {
		g.ns.Store(0)
		g.on.Store(true)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tNoop += run(noop, 200)
		tFloor += run(floor, 200)
		tFilter += run(e.host, 200)
	}
	b.StopTimer()
	for _, g := range all {
		g.on.Store(false)
	}
	perReq := func(ns int64) float64 { return float64(ns) / float64(b.N) }
	b.ReportMetric(float64(tFilter.Nanoseconds())/float64(b.N), "filter-ns/req")
	b.ReportMetric(float64(tNoop.Nanoseconds())/float64(b.N), "noop-ns/req")
	b.ReportMetric(float64(tFloor.Nanoseconds())/float64(b.N), "floor-ns/req")
	b.ReportMetric(float64(tFilter)/float64(tNoop), "ratio")
	b.ReportMetric(float64(tFloor)/float64(tNoop), "floor-ratio")
	b.ReportMetric(float64(tFilter)/float64(tFloor), "over-floor")
	b.ReportMetric(perReq(filterGuest.ns.Load()), "filter-guest-ns/req")
	b.ReportMetric(perReq(filterHeaders.ns.Load()), "filter-reqheaders-ns/req")
	b.ReportMetric(perReq(noopGuest.ns.Load()), "noop-guest-ns/req")
	b.ReportMetric(perReq(floorGuest.ns.Load()), "floor-guest-ns/req")
}

// guestTime adds up the time a module spends in its callbacks while on. Ticks and
// callout answers arrive on other goroutines, hence the atomics.
type guestTime struct {
	on atomic.Bool
	ns atomic.Int64
}

// with returns an Options.OnGuestReturn that counts every callback into g and, when
// headers is not nil, proxy_on_request_headers into headers as well.
func (g *guestTime) with(headers *guestTime) func(int, string, time.Duration) {
	return func(_ int, fn string, took time.Duration) {
		if !g.on.Load() {
			return
		}
		g.ns.Add(took.Nanoseconds())
		if headers != nil && fn == "proxy_on_request_headers" {
			headers.ns.Add(took.Nanoseconds())
		}
	}
}

// BenchmarkGuestMemory reports the filter VM's linear memory after 1,000,
// 100,000 and 1,000,000 pass-through requests. Memory that grows per
// request (contexts never deleted, say) keeps growing between the last two;
// the Go runtime's heap settling to its working size shows as growth that
// stops.
func BenchmarkGuestMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		h := startHost(b, "exeunt.wasm", hostsim.Options{PluginConfig: []byte(`{}`)})
		req := &hostsim.Request{Path: "/app/page"}
		ctx := context.Background()
		var after1k, after100k uint64
		for n := 1; n <= 1_000_000; n++ {
			if _, err := h.Do(ctx, req, okUpstream); err != nil {
				b.Fatal(err)
			}
			switch n {
			case 1000:
				after1k = h.MemoryBytes()[0]
			case 100_000:
				after100k = h.MemoryBytes()[0]
			}
		}
		after1M := h.MemoryBytes()[0]
		b.ReportMetric(float64(after1k)/(1<<20), "MiB-after-1k")
		b.ReportMetric(float64(after100k)/(1<<20), "MiB-after-100k")
		b.ReportMetric(float64(after1M)/(1<<20), "MiB-after-1M")
		h.Close()
	}
}
