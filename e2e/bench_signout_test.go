package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
	"github.com/exeunt/exeunt/hostsim"
)

// Sign-out benchmarks, run by `make bench`: the time to answer a logout request when
// the session visited 1 or 100 back-channel clients (the answer must not wait for the
// deliveries, so the two should be close), and the time until all 100 clients have
// their logout token.

// logoutBench is a filter with n back-channel clients, all served by one counting
// listener, and the means to mint signed-in sessions without a provider round trip.
type logoutBench struct {
	e         *signinEnv
	n         int
	delivered atomic.Int64
	sealer    *oidc.Sealer
	started   int64 // the Unix second the host was ready in (afterSecond)
}

func newLogoutBench(b *testing.B, n int) *logoutBench { return newLogoutBenchOpts(b, n, nil) }

func newLogoutBenchOpts(b *testing.B, n int, opt func(*hostsim.Options)) *logoutBench {
	lb := &logoutBench{n: n}
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lb.delivered.Add(1)
		w.WriteHeader(200)
	}))
	b.Cleanup(listener.Close)
	clients := make([]any, n)
	for i := range clients {
		clients[i] = map[string]any{"client_id": fmt.Sprintf("c%03d", i), "hosts": []string{"exeunt.test"},
			"path_prefixes":          []string{fmt.Sprintf("/c%03d/", i)},
			"backchannel_logout_uri": fmt.Sprintf("http://c%03d.internal/logout", i), "backchannel_cluster": "apps"}
	}
	lb.e = newEnv(b, envOptions{clients: clients,
		clusters: map[string]hostsim.Cluster{"apps": {Address: listener.Listener.Addr().String()}},
		host: func(o *hostsim.Options) {
			o.LogLevel = hostsim.LogWarn
			if opt != nil {
				opt(o)
			}
		}})
	lb.sealer, _ = oidc.NewSealer([]oidc.SealingKey{lb.e.sealing})
	lb.started = time.Now().Unix() // the host's VMs started in this second or before
	return lb
}

// session mints a session cookie that visited every client, sends one request to
// client c000 and returns the assertion c000 received as the hint: the id_token_hint
// an app sends back. hostsim hands streams to its VMs in turn; with sameVM the hint was
// signed by the VM the logout request will meet (as when the browser's connection
// stays on one Envoy worker), else by the other one. vm is the VM the logout will meet.
func (lb *logoutBench) session(b *testing.B, sameVM bool) (cookie, hint string, vm int) {
	now := afterSecond(lb.started) // the local store refuses sessions of its first second
	sid := oidc.RandomID(24)
	clients := make([]string, lb.n)
	for i := range clients {
		clients[i] = fmt.Sprintf("c%03d", i)
	}
	payload, _ := json.Marshal(map[string]any{"sid": sid, "sub": "alice", "idp": "oidc", "iss": lb.e.peer.Issuer,
		"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "seen": now.Unix(), "clients": clients})
	sealed, err := lb.sealer.Seal("session", payload, now, now.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	cookie = "__Host-exeunt=" + sealed
	page := func() *hostsim.Response {
		resp, err := lb.e.host.Do(context.Background(), &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test",
			Path: "/c000/page", Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookie}}}, lb.e.apps)
		if err != nil || resp.Status != 200 {
			b.Fatalf("signed-in request: %v %+v", err, resp)
		}
		return resp
	}
	vm = page().VM
	hint = lb.e.apps.seenBy("c000").Get("x-exeunt-assertion")
	if sameVM {
		page() // on the other VM: the logout comes back to the one that signed the hint
	} else {
		vm = -1
	}
	return cookie, hint, vm
}

// logout sends the end session request and returns how long the answer took. vm, when
// not -1, is the VM it must meet.
func (lb *logoutBench) logout(b *testing.B, cookie, hint string, vm int) time.Duration {
	req := &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test",
		Path:   "/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode(),
		Header: []hostsim.Pair{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: cookie}}}
	start := time.Now()
	resp, err := lb.e.host.Do(context.Background(), req, lb.e.apps)
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if resp.Status != 302 {
		b.Fatalf("logout answered %d: %s", resp.Status, resp.Body)
	}
	if vm >= 0 && resp.VM != vm {
		b.Fatalf("the logout met VM %d, not VM %d that signed the hint", resp.VM, vm)
	}
	return took
}

// waitDelivered waits until the listener has received want tokens in all.
func (lb *logoutBench) waitDelivered(b *testing.B, want int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for lb.delivered.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d logout tokens delivered", lb.delivered.Load(), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkLogoutAnswer measures the logout answer with 1 and with 100 back-channel
// clients, alternating request by request in one run, and reports their ratio. The
// hint is the assertion the app received, signed by the VM the logout meets; a third
// figure, 1 client with the hint signed by the other VM, is the answer when it is not
// (its signature is then verified). Deliveries are let finish between iterations,
// outside the timing, so that each answer meets an idle VM.
func BenchmarkLogoutAnswer(b *testing.B) {
	// The guest's share of the 1-client answer: its proxy_on_request_headers, where the
	// filter decides and answers (host functions it calls included).
	var timing atomic.Bool
	var guest atomic.Int64
	one := newLogoutBenchOpts(b, 1, func(o *hostsim.Options) {
		o.OnGuestReturn = func(_ int, fn string, took time.Duration) {
			if timing.Load() && fn == "proxy_on_request_headers" {
				guest.Add(took.Nanoseconds())
			}
		}
	})
	hundred, otherVM := newLogoutBench(b, 100), newLogoutBench(b, 1)
	runs := []struct {
		lb     *logoutBench
		sameVM bool
		took   time.Duration
	}{{lb: one, sameVM: true}, {lb: hundred, sameVM: true}, {lb: otherVM}}
	for _, r := range runs { // warm up: provider metadata, keys, caches
		c, h, vm := r.lb.session(b, r.sameVM)
		r.lb.logout(b, c, h, vm)
		r.lb.waitDelivered(b, int64(r.lb.n))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range runs {
			r := &runs[j]
			b.StopTimer()
			c, h, vm := r.lb.session(b, r.sameVM)
			before := r.lb.delivered.Load()
			b.StartTimer()
			timing.Store(r.lb == one)
			r.took += r.lb.logout(b, c, h, vm)
			timing.Store(false)
			b.StopTimer()
			r.lb.waitDelivered(b, before+int64(r.lb.n))
			b.StartTimer()
		}
	}
	t1, t100, tOther := runs[0].took, runs[1].took, runs[2].took
	b.ReportMetric(float64(t1.Microseconds())/float64(b.N), "1client-µs/answer")
	b.ReportMetric(float64(guest.Load())/1e3/float64(b.N), "1client-guest-µs/answer")
	b.ReportMetric(float64(t100.Microseconds())/float64(b.N), "100clients-µs/answer")
	b.ReportMetric(float64(tOther.Microseconds())/float64(b.N), "1client-otherVM-µs/answer")
	b.ReportMetric(float64(t100)/float64(t1), "ratio")
}

// BenchmarkLogoutDelivery measures the time from the logout request until all 100
// clients have received their logout token.
func BenchmarkLogoutDelivery(b *testing.B) {
	lb := newLogoutBench(b, 100)
	c, h, vm := lb.session(b, true)
	lb.logout(b, c, h, vm)
	lb.waitDelivered(b, 100)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, h, vm := lb.session(b, true)
		before := lb.delivered.Load()
		b.StartTimer()
		start := time.Now()
		lb.logout(b, c, h, vm)
		lb.waitDelivered(b, before+100)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/100-delivered")
}
