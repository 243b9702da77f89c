package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// indexHold is a proxy in front of etcd's gateway that holds back the transactions that
// put a session index link (a key with "/by-psid/" in it: a sign-in recording its new
// session) while armed, and sends each on to etcd, answer and all, when released: a
// sign-in whose index write is slow, for as long as the test needs. Everything else
// passes straight through.
type indexHold struct {
	t      testing.TB
	addr   string
	target string
	client *http.Client

	mu       sync.Mutex
	armed    bool
	held     int
	released chan struct{}
}

func newIndexHold(t testing.TB, target string) *indexHold {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &indexHold{t: t, addr: ln.Addr().String(), target: target, released: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 20 * time.Second}}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { h.release(); srv.Close() })
	return h
}

// arm starts holding index writes.
func (h *indexHold) arm() {
	h.mu.Lock()
	h.armed, h.released = true, make(chan struct{})
	h.mu.Unlock()
}

// count is how many index writes are held now.
func (h *indexHold) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held
}

// release sends the held writes on and stops holding.
func (h *indexHold) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.armed {
		h.armed = false
		close(h.released)
	}
}

// putsIndexLink says whether an etcd transaction body puts a key with "/by-psid/" in it.
func putsIndexLink(body []byte) bool {
	var txn struct {
		Success []struct {
			Put *struct {
				Key string `json:"key"`
			} `json:"request_put"`
		} `json:"success"`
	}
	if json.Unmarshal(body, &txn) != nil {
		return false
	}
	for _, op := range txn.Success {
		if op.Put == nil {
			continue
		}
		if k, err := base64.StdEncoding.DecodeString(op.Put.Key); err == nil && strings.Contains(string(k), "/by-psid/") {
			return true
		}
	}
	return false
}

func (h *indexHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	if h.armed && r.URL.Path == "/v3/kv/txn" && putsIndexLink(body) {
		h.held++
		released := h.released
		h.mu.Unlock()
		<-released
		h.mu.Lock()
		h.held--
	}
	h.mu.Unlock()
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+h.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := h.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
