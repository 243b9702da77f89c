package hostsim

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStartHandsBothConfigurationsToTheGuest(t *testing.T) {
	h := newFixture(t, Options{VMConfig: []byte("vm-cfg"), PluginConfig: []byte("mode=test")})
	want := `fixture started: vm_config="vm-cfg" plugin_config="mode=test"`
	for _, e := range h.Logs() {
		if e.Message == want && e.Level == LogInfo {
			return
		}
	}
	t.Fatalf("no log %q; logs: %+v", want, h.Logs())
}

func TestAPluginThatRefusesToStartIsAnErrorQuotingItsLog(t *testing.T) {
	_, err := New(context.Background(), wasmFile(t, "fixture.wasm"), Options{PluginConfig: []byte("fail=yes")})
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StartError", err)
	}
	if !strings.Contains(err.Error(), "proxy_on_configure") || !strings.Contains(err.Error(), "critical: fixture: refusing to start because fail=yes") {
		t.Fatalf("error does not say what failed and why: %v", err)
	}
}

func TestStreamCallbacksRunInEnvoysOrder(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	h := newFixture(t, Options{OnGuestCall: func(vm int, fn string, args []uint64) {
		mu.Lock()
		calls = append(calls, fmt.Sprint(vm, " ", fn))
		mu.Unlock()
	}})
	// cpp-host first runs a throwaway canary VM (-1) through vm_start and
	// configure (src/wasm.cc, WasmHandleBase::canary), then the real one; the
	// canary gets no proxy_on_done or proxy_on_delete.
	wantStart := []string{"-1 _initialize", "-1 proxy_on_context_create", "-1 proxy_on_vm_start", "-1 proxy_on_configure",
		"0 _initialize", "0 proxy_on_context_create", "0 proxy_on_vm_start", "0 proxy_on_configure"}
	if !reflect.DeepEqual(calls, wantStart) {
		t.Fatalf("start sequence = %v, want %v", calls, wantStart)
	}
	mu.Lock()
	calls = nil
	mu.Unlock()
	do(t, h, &Request{Method: "POST", Path: "/body", Body: []byte("x"), Trailer: []Pair{{"x-t", "1"}}})
	// The end is Envoy's: the access log (Context::log: proxy_on_log), then the
	// filter's destruction (Context::onDestroy: proxy_on_done, proxy_on_delete).
	want := []string{"proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
		"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers", "proxy_on_log", "proxy_on_done", "proxy_on_delete"}
	var got []string
	for _, c := range calls {
		if c = strings.TrimPrefix(c, "0 "); c != "proxy_on_memory_allocate" {
			got = append(got, c)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stream callbacks = %v\nwant %v", got, want)
	}
}

func TestStreamsSpreadOverVMsThatShareData(t *testing.T) {
	h := newFixture(t, Options{VMs: 3})
	seen := map[int]bool{}
	writes := 0
	for i := 0; i < 6; i++ {
		resp := do(t, h, &Request{Path: "/shared?key=k&value=v"})
		seen[resp.VM] = true
		m := decodeJSON(t, resp)
		for _, e := range []string{"set_error", "stale_error"} {
			if m[e] == "" {
				writes++
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("streams ran on VMs %v, want all 3", seen)
	}
	// Each request writes once with the CAS it read; the first one read
	// nothing (CAS 0 = unconditional) so its second, "stale" write went
	// through too: 7 writes from 3 VMs, each VM seeing the others' CAS.
	if writes != 7 {
		t.Fatalf("%d writes went through, want 7", writes)
	}
}

func TestAGuestPanicIsAnErrorWithItsOutputAndTheHostLivesOn(t *testing.T) {
	h := newFixture(t, Options{VMs: 2})
	_, err := h.Do(context.Background(), &Request{Path: "/panic"}, echoUpstream)
	var ge *GuestError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GuestError", err)
	}
	if !strings.Contains(ge.Output, "fixture panic on purpose") || ge.Function != "proxy_on_request_headers" {
		t.Fatalf("guest error lacks the panic message or the callback: %+v", ge)
	}
	// The broken VM refuses further work; the other one still serves.
	var okVM, failed bool
	for i := 0; i < 2; i++ {
		resp, err := h.Do(context.Background(), &Request{Path: "/shared?key=a&value=b"}, echoUpstream)
		if err != nil {
			failed = errors.As(err, &ge)
		} else {
			okVM = resp.Status == 200
		}
	}
	if !okVM || !failed {
		t.Fatalf("want one VM broken and one serving: ok=%v failed=%v", okVM, failed)
	}
}

func TestAStreamPausedForeverTimesOut(t *testing.T) {
	h := newFixture(t, Options{StreamTimeout: 50 * time.Millisecond})
	_, err := h.Do(context.Background(), &Request{Path: "/pause-forever"}, echoUpstream)
	if err == nil || !strings.Contains(err.Error(), "did not resume it") {
		t.Fatalf("err = %v, want a timeout naming the pause", err)
	}
}

func TestGuestCallbacksCanBeTimed(t *testing.T) {
	var mu sync.Mutex
	took := map[string]time.Duration{}
	h := newFixture(t, Options{OnGuestReturn: func(vm int, fn string, d time.Duration) {
		mu.Lock()
		took[fn] += d
		mu.Unlock()
	}})
	do(t, h, &Request{Path: "/log"})
	mu.Lock()
	defer mu.Unlock()
	for _, fn := range []string{"proxy_on_configure", "proxy_on_request_headers", "proxy_on_delete"} {
		if took[fn] <= 0 {
			t.Errorf("%s was not timed: %v", fn, took)
		}
	}
}

// A stream paused in its request headers is answered from the root context's tick: the
// guest makes the stream's context effective, then sends its local response. A stream
// that has ended cannot be made effective (BadArgument, as in Envoy), so an answer meant
// for it reaches nobody.
func TestAPausedStreamIsAnsweredFromATick(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	h := newFixture(t, Options{Clock: clock, PluginConfig: []byte("tick=100")})
	type result struct {
		resp *Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := h.Do(context.Background(), &Request{Path: "/answer-on-tick"}, echoUpstream)
		got <- result{resp, err}
	}()
	select {
	case r := <-got:
		t.Fatalf("answered before any tick: %+v, %v", r.resp, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	clock.Advance(100 * time.Millisecond)
	r := <-got
	if r.err != nil || r.resp.Status != 200 || !r.resp.LocalReply || string(r.resp.Body) != "answered from a tick" {
		t.Fatalf("the paused stream after a tick: %+v, %v", r.resp, r.err)
	}

	// A stream that ended (its client went away) before the tick.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Do(ctx, &Request{Path: "/answer-on-tick"}, echoUpstream)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the abandoned stream: %v", err)
	}
	clock.Advance(100 * time.Millisecond)
	if v, _, _ := h.SharedData("effective-errors"); string(v) != "error status returned by host: bad argument," {
		t.Fatalf("making an ended stream's context effective: %q, want BadArgument", v)
	}
}
