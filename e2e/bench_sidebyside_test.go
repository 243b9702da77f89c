package e2e

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// Two builds of the filter measured side by side in one process, request by request,
// reported as medians: on the shared 2-core machine single runs of one module vary by
// 2x and more with the load, and a median of interleaved requests follows a change of a
// few per cent where the means of separate runs do not (BENCHMARKS.md, "Issue 15: the
// signed-in path and the sign-out"). EXEUNT_SIDE_A and EXEUNT_SIDE_B name the two
// modules (files), e.g. main's build and a branch's:
//
//	go test -c -o /tmp/e2e.test ./e2e/ && cd e2e
//	EXEUNT_SIDE_A=/tmp/main.wasm EXEUNT_SIDE_B=/tmp/branch.wasm \
//	  /tmp/e2e.test -test.run '^$' -test.bench SideBySideEndSession -test.benchtime 200x
//
// Run each comparison in both orders (A and B swapped): the side set up second can be
// favoured by a few per cent (caches); the geometric mean of B/A and 1/(B/A swapped)
// cancels that.

// sideBySideModules reads the two modules, or skips the benchmark, saying why: it
// compares builds the caller names and has nothing to measure without them.
func sideBySideModules(b *testing.B) (a, c []byte) {
	pa, pb := os.Getenv("EXEUNT_SIDE_A"), os.Getenv("EXEUNT_SIDE_B")
	if pa == "" || pb == "" {
		b.Skip("set EXEUNT_SIDE_A and EXEUNT_SIDE_B to the two exeunt.wasm files to compare")
	}
	a, err := os.ReadFile(pa)
	if err != nil {
		b.Fatal(err)
	}
	if c, err = os.ReadFile(pb); err != nil {
		b.Fatal(err)
	}
	return a, c
}

// withModule makes the next environments load mod as exeunt.wasm.
func withModule(mod []byte) {
	wasmMu.Lock()
	wasmCache["exeunt.wasm"] = mod
	wasmMu.Unlock()
}

func medianOf(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2].Nanoseconds())
}

// BenchmarkSideBySideSignedIn is BenchmarkSignedInRequest's request through the two
// builds and the floor module (cmd/headersonly), in turn, each build's order with the
// other alternating; it reports each one's median and over-floor, and B/A.
func BenchmarkSideBySideSignedIn(b *testing.B) {
	ma, mb := sideBySideModules(b)
	ctx := context.Background()
	type side struct {
		e   *signinEnv
		req *hostsim.Request
		t   []time.Duration
	}
	mk := func(mod []byte) *side {
		withModule(mod)
		e := newEnv(b, envOptions{})
		e.signIn("https://exeunt.test/app1/")
		e.get("https://exeunt.test/app1/")
		return &side{e: e, req: &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/app1/page",
			Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: "__Host-exeunt=" + e.jar["__Host-exeunt"]}}}}
	}
	A, B := mk(ma), mk(mb)
	run := func(h *hostsim.Host, s *side) time.Duration {
		start := time.Now()
		resp, err := h.Do(ctx, s.req, s.e.apps)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Status != 200 {
			b.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		return time.Since(start)
	}
	run(A.e.host, A)
	var identity [][2]string
	for name, values := range A.e.apps.seenBy("app1") {
		if name = strings.ToLower(name); strings.HasPrefix(name, "x-exeunt-") {
			identity = append(identity, [2]string{name, values[0]})
		}
	}
	cfg, err := json.Marshal(identity)
	if err != nil {
		b.Fatal(err)
	}
	floor := startHost(b, "headersonly.wasm", hostsim.Options{VMs: 2, PluginConfig: cfg})
	var tFloor []time.Duration
	for i := 0; i < 300; i++ { // warm every VM and its caches
		run(A.e.host, A)
		run(B.e.host, B)
		run(floor, A)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, second := A, B
		if i%2 == 1 {
			first, second = B, A
		}
		first.t = append(first.t, run(first.e.host, first))
		tFloor = append(tFloor, run(floor, A))
		second.t = append(second.t, run(second.e.host, second))
	}
	b.StopTimer()
	fm, am, bm := medianOf(tFloor), medianOf(A.t), medianOf(B.t)
	b.ReportMetric(am, "A-median-ns")
	b.ReportMetric(bm, "B-median-ns")
	b.ReportMetric(fm, "floor-median-ns")
	b.ReportMetric(am/fm, "A-over-floor")
	b.ReportMetric(bm/fm, "B-over-floor")
	b.ReportMetric(bm/am, "B/A")
}

// BenchmarkSideBySideEndSession is BenchmarkLogoutAnswer's 1-client answer (hint signed
// by the answering VM) through the two builds: each answer right after its own
// session's setup, as there, the builds' order alternating; it reports each one's median
// and B/A.
func BenchmarkSideBySideEndSession(b *testing.B) {
	ma, mb := sideBySideModules(b)
	withModule(ma)
	A := newLogoutBench(b, 1)
	withModule(mb)
	B := newLogoutBench(b, 1)
	var ta, tb []time.Duration
	one := func(lb *logoutBench, t *[]time.Duration) {
		b.StopTimer()
		c, h, vm := lb.session(b, true)
		before := lb.delivered.Load()
		b.StartTimer()
		*t = append(*t, lb.logout(b, c, h, vm))
		b.StopTimer()
		lb.waitDelivered(b, before+1)
		b.StartTimer()
	}
	var warm []time.Duration
	one(A, &warm) // provider metadata, keys, caches
	one(B, &warm)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			one(A, &ta)
			one(B, &tb)
		} else {
			one(B, &tb)
			one(A, &ta)
		}
	}
	b.ReportMetric(medianOf(ta)/1e3, "A-median-µs")
	b.ReportMetric(medianOf(tb)/1e3, "B-median-µs")
	b.ReportMetric(medianOf(tb)/medianOf(ta), "B/A")
}
