package hostsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The fixture guest and the filter are built by `make wasm` (make test runs
// it first). A missing module is a failure with the command to run, never a
// skip: a suite that silently skips its guest tests proves nothing.
var (
	wasmMu    sync.Mutex
	wasmFiles = map[string][]byte{}
)

func wasmFile(t testing.TB, name string) []byte {
	t.Helper()
	wasmMu.Lock()
	defer wasmMu.Unlock()
	if b, ok := wasmFiles[name]; ok {
		return b
	}
	path := filepath.Join("..", "build", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: build the guests first with `make wasm`", err)
	}
	wasmFiles[name] = b
	return b
}

// newFixture starts the fixture guest with opts; an unimplemented host call
// fails the test unless the test expects it.
func newFixture(t testing.TB, opts Options) *Host {
	t.Helper()
	if opts.OnUnimplemented == nil {
		opts.OnUnimplemented = func(name string) { t.Errorf("the guest called %s, which hostsim does not implement", name) }
	}
	h, err := New(context.Background(), wasmFile(t, "fixture.wasm"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// do runs req through h with the echo upstream.
func do(t testing.TB, h *Host, req *Request) *Response {
	t.Helper()
	return doWith(t, h, req, echoUpstream)
}

func doWith(t testing.TB, h *Host, req *Request, upstream http.Handler) *Response {
	t.Helper()
	resp, err := h.Do(context.Background(), req, upstream)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// echoUpstream answers with what it received: method, URI, host, headers
// (each name's values in order), body; it also sets a cookie, a header the
// fixture removes, and a trailer.
var echoUpstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Trailer", "X-Upstream-Trailer")
	w.Header().Add("Set-Cookie", "upstream=1")
	w.Header().Set("X-Upstream-Secret", "hidden")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(echo{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(body), Trailer: r.Trailer})
	w.Header().Set("X-Upstream-Trailer", "t")
})

type echo struct {
	Method, URI, Host string
	Header            http.Header
	Body              string
	Trailer           http.Header // the request's trailers, as the upstream got them
}

func decodeEcho(t testing.TB, resp *Response) echo {
	t.Helper()
	var e echo
	if err := json.Unmarshal(resp.Body, &e); err != nil {
		t.Fatalf("upstream echo %q: %v", resp.Body, err)
	}
	return e
}

func decodeJSON(t testing.TB, resp *Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp.Body, &m); err != nil {
		t.Fatalf("response body %q is not JSON: %v", resp.Body, err)
	}
	return m
}
