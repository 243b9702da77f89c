package hostsim

import (
	"context"
	"errors"
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
		calls = append(calls, fn)
		mu.Unlock()
	}})
	wantStart := []string{"_initialize", "proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure"}
	if !reflect.DeepEqual(calls, wantStart) {
		t.Fatalf("start sequence = %v, want %v", calls, wantStart)
	}
	mu.Lock()
	calls = nil
	mu.Unlock()
	do(t, h, &Request{Method: "POST", Path: "/body", Body: []byte("x"), Trailer: []Pair{{"x-t", "1"}}})
	want := []string{"proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
		"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers", "proxy_on_done", "proxy_on_log", "proxy_on_delete"}
	var got []string
	for _, c := range calls {
		if c != "proxy_on_memory_allocate" {
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
	for i := 0; i < 6; i++ {
		seen[do(t, h, &Request{Path: "/shared?key=k&value=v"}).VM] = true
	}
	if len(seen) != 3 {
		t.Fatalf("streams ran on VMs %v, want all 3", seen)
	}
	// Each request writes once with the CAS it read; the first one read
	// nothing (CAS 0 = unconditional) so its second, "stale" write went
	// through too: 7 writes from 3 VMs, none lost.
	if _, cas, _ := h.SharedData("k"); cas != 7 {
		t.Fatalf("cas = %d after 7 writes from 3 VMs, want 7", cas)
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
