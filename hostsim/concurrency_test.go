package hostsim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDoIsSafeUnderConcurrentStreams runs many streams at once over several
// VMs, as `hostsim serve` does with a listener's connections: local
// replies, header changes, bodies, callouts that pause and resume the
// stream, shared data and metrics, all interleaved. Run under -race (the
// CI does), it is what shows that a Host may be shared by goroutines.
func TestDoIsSafeUnderConcurrentStreams(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }))
	defer backend.Close()
	h := newFixture(t, Options{VMs: 4, Clusters: map[string]Cluster{
		"real":    {Address: strings.TrimPrefix(backend.URL, "http://")},
		"handler": {Handler: echoUpstream},
	}})

	type check func(*Response) error
	status := func(want int) check {
		return func(r *Response) error {
			if r.Status != want {
				return fmt.Errorf("status %d, want %d (body %q)", r.Status, want, r.Body)
			}
			return nil
		}
	}
	kinds := []struct {
		req  Request
		want check
	}{
		{Request{Path: "/local"}, status(418)},
		{Request{Path: "/headers", Header: []Pair{{"x-multi", "a"}, {"x-removed", "r"}}}, func(r *Response) error {
			if !strings.Contains(string(r.Body), `"X-Added":["one","two"]`) {
				return fmt.Errorf("upstream did not see the added headers: %s", r.Body)
			}
			return nil
		}},
		{Request{Method: "POST", Path: "/body", Body: []byte("abc")}, func(r *Response) error {
			if !strings.Contains(string(r.Body), `"Body":"prepended+ABC+appended"`) {
				return fmt.Errorf("upstream did not see the changed body: %s", r.Body)
			}
			return nil
		}},
		{Request{Path: "/httpcall-continue?cluster=real"}, func(r *Response) error {
			if !strings.Contains(string(r.Body), `"X-Call-Status":["202"]`) {
				return fmt.Errorf("the callout result did not reach the upstream: %s", r.Body)
			}
			return nil
		}},
		{Request{Path: "/httpcall?cluster=handler"}, status(200)},
		{Request{Path: "/shared?key=k&value=v"}, status(200)},
		{Request{Path: "/metrics"}, status(200)},
	}

	const workers, perWorker = 16, 14
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				k := kinds[(w+i)%len(kinds)]
				req := k.req
				resp, err := h.Do(context.Background(), &req, echoUpstream)
				if err == nil {
					err = k.want(resp)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", req.Path, err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	h.WaitIdle()
	m, ok := h.Metric("fixture.requests")
	if !ok || m.Value != workers*perWorker {
		t.Errorf("fixture.requests = %+v, want %d: every VM's increments land in one metric", m, workers*perWorker)
	}
}

// TestCloseWhileStreamsRun: Close during streams (one paused by the
// filter, others coming and going) ends them with ErrClosed and returns,
// without freeing the runtime under a running guest call.
func TestCloseWhileStreamsRun(t *testing.T) {
	h, err := New(context.Background(), wasmFile(t, "fixture.wasm"), Options{VMs: 2})
	if err != nil {
		t.Fatal(err)
	}
	paused := make(chan error, 1)
	go func() {
		_, err := h.Do(context.Background(), &Request{Path: "/pause-forever"}, echoUpstream)
		paused <- err
	}()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := h.Do(context.Background(), &Request{Path: "/headers"}, echoUpstream); err != nil && err != ErrClosed {
					t.Errorf("a stream during Close: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	close(stop)
	wg.Wait()
	if err := <-paused; err != ErrClosed {
		t.Errorf("the paused stream ended with %v, want ErrClosed", err)
	}
	if _, err := h.Do(context.Background(), &Request{}, echoUpstream); err != ErrClosed {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
}
