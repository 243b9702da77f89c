package serve

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The guests are built by `make wasm` (make test runs it first). A missing
// module is a failure with the command to run, never a skip.
func wasmPath(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "build", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v: build the guests first with `make wasm`", err)
	}
	return p
}

// config is an envoy.yaml for tests: one listener on a free port, the wasm
// filter (unless wasm is ""), the router, one route to cluster "app".
type config struct {
	wasm, pluginConfig string
	failOpen           bool
	admin              bool
	// routeConfig replaces the default virtual host (all domains, prefix /
	// to app); clusters are added to app's.
	routeConfig, clusters string
	app                   string // app's endpoint "host:port"
	accessLog             bool
	// hcm adds connection manager settings (indented by 10 spaces); chain adds filter
	// chain settings such as a transport_socket (indented by 6 spaces, before filters).
	hcm, chain string
}

func (c config) yaml() string {
	var b strings.Builder
	if c.admin {
		b.WriteString("admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 0}\n")
	}
	b.WriteString(`static_resources:
  listeners:
  - name: main
    address:
      socket_address: {address: 127.0.0.1, port_value: 0}
    filter_chains:
    - ` + chainFirst(c.chain) + `filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
` + c.hcm)
	if c.accessLog {
		b.WriteString(`          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
`)
	}
	rc := c.routeConfig
	if rc == "" {
		rc = `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
`
	}
	b.WriteString("          route_config:\n" + rc)
	b.WriteString("          http_filters:\n")
	if c.wasm != "" {
		b.WriteString(`          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: ` + strings.TrimSuffix(filepath.Base(c.wasm), ".wasm") + `
                root_id: test_root
                vm_config:
                  vm_id: test_vm
                  runtime: envoy.wasm.runtime.v8
                  code: {local: {filename: ` + c.wasm + `}}
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: '` + c.pluginConfig + `'
`)
		if c.failOpen {
			b.WriteString("                fail_open: true\n")
		}
	}
	b.WriteString(`          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: app
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: app
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: ` + socketAddress(c.app) + `
`)
	b.WriteString(c.clusters)
	return b.String()
}

// chainFirst puts filter chain settings (lines indented by 6 spaces) before
// "filters:" in a list item that starts with "    - ".
func chainFirst(chain string) string {
	if chain == "" {
		return ""
	}
	return strings.TrimPrefix(chain, "      ") + "      "
}

// socketAddress writes "host:port" as an envoy.yaml socket_address.
func socketAddress(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		panic(err)
	}
	return "{address: " + host + ", port_value: " + port + "}"
}

// staticCluster is a cluster entry for config.clusters.
func staticCluster(name, typ, hostport string) string {
	return `  - name: ` + name + `
    type: ` + typ + `
    connect_timeout: 1s
    load_assignment:
      cluster_name: ` + name + `
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: ` + socketAddress(hostport) + `
`
}

// writeConfig writes yaml as envoy.yaml in a fresh directory.
func writeConfig(t testing.TB, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start serves c with opts (one VM unless opts says otherwise) and closes
// the server when the test ends. The log is in the returned buffer, and in
// the test's output when it fails.
func start(t testing.TB, c config, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	opts.ConfigPath = writeConfig(t, c.yaml())
	if opts.VMs == 0 {
		opts.VMs = 1
	}
	opts.Log = log
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", log)
		}
	})
	return s, log
}

// upstream is an app behind the proxy that answers with what it received.
func upstream(t testing.TB, name string) *httptestServer {
	t.Helper()
	u := &httptestServer{name: name}
	u.start(t)
	return u
}

type httptestServer struct {
	name string
	ln   net.Listener
	srv  *http.Server
	mu   sync.Mutex
	seen []*http.Request
	body []string
}

func (u *httptestServer) start(t testing.TB) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.ln = ln
	u.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, r)
		u.body = append(u.body, string(body))
		u.mu.Unlock()
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("X-Upstream", u.name)
		w.Header().Set("X-Upstream-Secret", "hidden") // the fixture removes it
		io.WriteString(w, u.name+" "+r.Method+" "+r.RequestURI)
	})}
	go u.srv.Serve(ln)
	t.Cleanup(func() { u.srv.Close() })
}

func (u *httptestServer) addr() string { return u.ln.Addr().String() }

// last returns the last request the upstream received and its body.
func (u *httptestServer) last(t testing.TB) (*http.Request, string) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatalf("upstream %s received nothing", u.name)
	}
	return u.seen[len(u.seen)-1], u.body[len(u.body)-1]
}

func (u *httptestServer) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// deadAddr is an address nothing listens on.
func deadAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

var client = &http.Client{
	Timeout:       20 * time.Second,
	Transport:     &http.Transport{Proxy: nil, DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type result struct {
	status int
	header http.Header
	body   string
}

// get sends a request to a listener; host, when set, is the Host header.
func send(t testing.TB, method, url, host, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{res.StatusCode, res.Header, string(b)}
}

func get(t testing.TB, url string) result { return send(t, "GET", url, "", "") }
