package serve

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeHeaderLimits: past max_request_headers_kb (Envoy's default 60) or max_headers_count
// (default 100) the request is answered 431 before any filter runs.
func TestServeHeaderLimits(t *testing.T) {
	app := upstream(t, "app")
	for _, tc := range []struct {
		name   string
		hcm    string
		kb     int
		header func(h http.Header)
		status int
	}{
		{"default 60 KB: under", "", 60, func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 59*1024)) }, 200},
		{"default 60 KB: over", "", 60, func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 60*1024)) }, 431},
		{"max_request_headers_kb: 2", "          max_request_headers_kb: 2\n", 2, func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 2*1024)) }, 431},
		{"max_request_headers_kb: 2, under", "          max_request_headers_kb: 2\n", 2, func(h http.Header) { h.Set("X-Big", strings.Repeat("a", 1900)) }, 200},
		{"default 100 headers", "", 60, func(h http.Header) {
			for i := range 100 {
				h.Set(fmt.Sprintf("X-H%d", i), "v")
			}
		}, 431},
		{"headers_with_underscores_action: REJECT_REQUEST", "          common_http_protocol_options: {headers_with_underscores_action: REJECT_REQUEST}\n", 60,
			func(h http.Header) { h["x_exeunt_sub"] = []string{"forged"} }, 400},
		{"headers_with_underscores_action: DROP_HEADER", "          common_http_protocol_options: {headers_with_underscores_action: DROP_HEADER}\n", 60,
			func(h http.Header) { h["x_exeunt_sub"] = []string{"forged"} }, 200},
		{"headers_with_underscores_action: ALLOW (default)", "", 60,
			func(h http.Header) { h["x_exeunt_sub"] = []string{"forged"} }, 200},
		{"max_headers_count: 200", "          common_http_protocol_options: {max_headers_count: 200}\n", 60, func(h http.Header) {
			for i := range 150 {
				h.Set(fmt.Sprintf("X-H%d", i), "v")
			}
		}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), hcm: tc.hcm}, Options{})
			req, _ := http.NewRequest("GET", "http://"+s.ListenerAddr("main")+"/page", nil)
			tc.header(req.Header)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("%d %q, want %d", res.StatusCode, body, tc.status)
			}
			if seen, _ := app.last(t); strings.Contains(tc.name, "DROP_HEADER") && seen.Header.Get("x_exeunt_sub") != "" {
				t.Errorf("DROP_HEADER: the upstream saw x_exeunt_sub")
			}
			if tc.status == 431 {
				if string(body) != "Request Header Fields Too Large" || res.Header.Get("X-Seen-Status") != "" {
					t.Errorf("431 body %q, filter saw it %q; want Envoy's codec reply, before the filter", body, res.Header.Get("X-Seen-Status"))
				}
			}
		})
	}
}

// TestServeTimeouts: request_timeout while the filter holds the request (408 "request
// timeout"), stream_idle_timeout while the upstream is silent (408 "stream timeout"), a route's
// idle_timeout in its place.
func TestServeTimeouts(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	routes := func(idle string) string {
		return `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app, timeout: 0s` + idle + `}
`
	}
	for _, tc := range []struct {
		name, hcm, route, path string
		body                   string
	}{
		{"request_timeout", "          request_timeout: 0.3s\n", routes(""), "/pause-forever", "request timeout"},
		{"stream_idle_timeout", "          stream_idle_timeout: 0.3s\n", routes(""), "/page?sleep=5s", "stream timeout"},
		{"route idle_timeout", "          stream_idle_timeout: 30s\n", routes(", idle_timeout: 0.3s"), "/page?sleep=5s", "stream timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, config{wasm: fixture, app: app.addr(), hcm: tc.hcm, routeConfig: tc.route}, Options{})
			began := time.Now()
			res := get(t, "http://"+s.ListenerAddr("main")+tc.path)
			if res.status != 408 || res.body != tc.body {
				t.Errorf("%d %q, want 408 %q", res.status, res.body, tc.body)
			}
			if took := time.Since(began); took > 4*time.Second {
				t.Errorf("took %v: the timeout did not end the stream", took)
			}
		})
	}
	// Within the timeouts, nothing changes.
	s, _ := start(t, config{wasm: fixture, app: app.addr(), hcm: "          request_timeout: 5s\n          stream_idle_timeout: 5s\n"}, Options{})
	if res := get(t, "http://"+s.ListenerAddr("main")+"/page?sleep=10ms"); res.status != 200 {
		t.Errorf("%d %q, want 200", res.status, res.body)
	}
}

// TestServeForwardedHeaders: x-forwarded-for, x-forwarded-proto, x-envoy-* and the client
// address the filter sees, for use_remote_address and xff_num_trusted_hops, as
// ConnectionManagerUtility::mutateRequestHeaders sets them.
func TestServeForwardedHeaders(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	type want struct{ xff, proto, external, internal, source string }
	for _, tc := range []struct {
		name, hcm string
		xff, xfp  string // what the client sends
		want      want
	}{
		{"defaults: XFF kept, proto added", "", "203.0.113.7", "",
			want{"203.0.113.7", "http", "", "", "203.0.113.7:0"}},
		{"defaults: the client's proto kept", "", "", "https",
			want{"", "https", "", "", "127.0.0.1:"}},
		{"use_remote_address: appended, proto overwritten, edge", "          use_remote_address: true\n", "203.0.113.7", "https",
			want{"203.0.113.7, 127.0.0.1", "http", "127.0.0.1", "", "127.0.0.1:"}},
		{"use_remote_address, no XFF: internal", "          use_remote_address: true\n", "", "",
			want{"127.0.0.1", "http", "", "true", "127.0.0.1:"}},
		{"use_remote_address, one trusted hop", "          use_remote_address: true\n          xff_num_trusted_hops: 1\n", "198.51.100.1, 203.0.113.7", "https",
			want{"198.51.100.1, 203.0.113.7, 127.0.0.1", "https", "203.0.113.7", "", "203.0.113.7:0"}},
		{"skip_xff_append", "          use_remote_address: true\n          skip_xff_append: true\n", "203.0.113.7", "",
			want{"203.0.113.7", "http", "127.0.0.1", "", "127.0.0.1:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, config{wasm: fixture, app: app.addr(), hcm: tc.hcm}, Options{})
			base := "http://" + s.ListenerAddr("main")
			do := func(path string) *http.Response {
				req, _ := http.NewRequest("GET", base+path, nil)
				if tc.xff != "" {
					req.Header.Set("X-Forwarded-For", tc.xff)
				}
				if tc.xfp != "" {
					req.Header.Set("X-Forwarded-Proto", tc.xfp)
				}
				req.Header.Set("X-Envoy-Retry-On", "5xx") // internal-only: removed unless internal
				req.Header.Set("X-Request-Id", "client-chosen")
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			res := do("/page")
			res.Body.Close()
			seen, _ := app.last(t)
			got := want{seen.Header.Get("X-Forwarded-For"), seen.Header.Get("X-Forwarded-Proto"),
				seen.Header.Get("X-Envoy-External-Address"), seen.Header.Get("X-Envoy-Internal"), ""}
			// An edge request's id is Envoy's, whatever the client sent.
			edge := strings.Contains(tc.hcm, "use_remote_address") && tc.want.internal == ""
			if rid := seen.Header.Get("X-Request-Id"); (rid == "client-chosen") == edge || rid == "" {
				t.Errorf("x-request-id %q (edge request: %v)", rid, edge)
			}
			if retry := seen.Header.Get("X-Envoy-Retry-On"); (retry != "") != (tc.want.internal == "true") {
				t.Errorf("x-envoy-retry-on %q reached the upstream (internal request: %q)", retry, tc.want.internal)
			}
			res = do("/properties?names=source.address")
			var props map[string]any
			json.NewDecoder(res.Body).Decode(&props)
			res.Body.Close()
			got.source, _ = props["source.address"].(string)
			if !strings.HasPrefix(got.source, tc.want.source) || got.source == "127.0.0.1:0" {
				t.Errorf("source.address %q, want %q...", got.source, tc.want.source)
			}
			got.source = tc.want.source
			if got != tc.want {
				t.Errorf("upstream saw %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestServeTLSListener: a DownstreamTlsContext with the certificate files the yaml names:
// hostsim serves https with them, and the filter and the upstream see https.
func TestServeTLSListener(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "test")
	certFile, keyFile, _ := ca.issue(t, dir, "listener", "localhost", "127.0.0.1")
	app := upstream(t, "app")
	chain := `      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            alpn_protocols: ["h2", "http/1.1"]
            tls_certificates:
            - certificate_chain: {filename: ` + certFile + `}
              private_key: {filename: ` + keyFile + `}
`
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), chain: chain}, Options{})
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}}}
	base := "https://" + s.ListenerAddr("main")
	res, err := c.Get(base + "/page")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.NegotiatedProtocol != "http/1.1" {
		t.Fatalf("%d over %+v, want 200 over TLS with http/1.1", res.StatusCode, res.TLS)
	}
	seen, _ := app.last(t)
	if got := seen.Header.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("x-forwarded-proto %q, want https", got)
	}
	res, err = c.Get(base + "/properties?names=request.scheme")
	if err != nil {
		t.Fatal(err)
	}
	var props map[string]any
	json.NewDecoder(res.Body).Decode(&props)
	res.Body.Close()
	if props["request.scheme"] != "https" {
		t.Errorf("the filter saw request.scheme %v, want https", props["request.scheme"])
	}
	// Plain HTTP to a TLS listener reaches neither the filter nor the upstream (Envoy closes
	// the connection; Go's server first answers a bare 400).
	before := app.count()
	if res, err := client.Get("http://" + s.ListenerAddr("main") + "/page"); err == nil {
		res.Body.Close()
		if res.StatusCode != 400 || res.Header.Get("X-Seen-Status") != "" {
			t.Errorf("plain HTTP on a TLS listener: %d", res.StatusCode)
		}
	}
	if app.count() != before {
		t.Error("plain HTTP on a TLS listener reached the upstream")
	}
}

// tlsUpstream is an HTTPS app that records the SNI of each handshake and of each request's
// connection.
type tlsUpstream struct {
	addr string
	mu   sync.Mutex
	sni  []string
}

func newTLSUpstream(t *testing.T, cert tls.Certificate) *tlsUpstream {
	u := &tlsUpstream{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.addr = ln.Addr().String()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		u.mu.Lock()
		u.sni = append(u.sni, h.ServerName) // a handshake that may fail verification
		u.mu.Unlock()
		return nil, nil
	}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.sni = append(u.sni, r.TLS.ServerName) // the connection this request came on
		u.mu.Unlock()
		io.WriteString(w, "tls app "+r.RequestURI)
	}), ErrorLog: stdlog.New(io.Discard, "", 0)}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return u
}

func (u *tlsUpstream) lastSNI() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.sni) == 0 {
		return "(no handshake)"
	}
	return u.sni[len(u.sni)-1]
}

// TestServeUpstreamTLS: a cluster with an UpstreamTlsContext: the sni is sent, the certificate
// is verified against trusted_ca (not against the name), subject alt name matchers apply, and a
// failed verification is Envoy's 503.
func TestServeUpstreamTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "upstream")
	other := newTestCA(t, dir, "other")
	_, _, cert := ca.issue(t, dir, "idp", "idp.example")
	up := newTLSUpstream(t, cert)
	cluster := func(name, tlsContext string) string {
		return staticCluster(name, "STATIC", up.addr) + `    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
` + tlsContext
	}
	routes := `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
`
	clusters := ""
	for _, c := range []struct{ name, ctx string }{
		{"verified", "        sni: idp.example\n        common_tls_context:\n          validation_context:\n            trusted_ca: {filename: " + ca.file + "}\n"},
		{"wrongca", "        sni: idp.example\n        common_tls_context:\n          validation_context:\n            trusted_ca: {filename: " + other.file + "}\n"},
		{"sanok", "        sni: other.name\n        common_tls_context:\n          validation_context:\n            trusted_ca: {filename: " + ca.file + "}\n            match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: idp.example}}]\n"},
		{"sanbad", "        sni: idp.example\n        common_tls_context:\n          validation_context:\n            trusted_ca: {filename: " + ca.file + "}\n            match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: evil.example}}]\n"},
		{"unverified", "        sni: anything.example\n"},
	} {
		routes += "              - match: {prefix: \"/" + c.name + "/\"}\n                route: {cluster: " + c.name + "}\n"
		clusters += cluster(c.name, c.ctx)
	}
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(), routeConfig: routes, clusters: clusters}, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		path   string
		status int
		sni    string
	}{
		{"/verified/x", 200, "idp.example"},
		{"/wrongca/x", 503, "idp.example"},
		{"/sanok/x", 200, "other.name"}, // the name is not checked: the SAN matcher is
		{"/sanbad/x", 503, "idp.example"},
		{"/unverified/x", 200, "anything.example"}, // no trusted_ca: Envoy verifies nothing
	} {
		res := get(t, base+tt.path)
		if res.status != tt.status || tt.status == 200 && res.body != "tls app "+tt.path {
			t.Errorf("%s: %d %q, want %d", tt.path, res.status, res.body, tt.status)
		}
		if sni := up.lastSNI(); sni != tt.sni {
			t.Errorf("%s: SNI %q, want %q", tt.path, sni, tt.sni)
		}
	}
	// The filter's HTTP callouts to a TLS cluster (a provider's token endpoint, say) go the
	// same way: TLS with the cluster's SNI, verified.
	res := get(t, base+"/httpcall?cluster=verified")
	var call struct{ Body string }
	if err := json.Unmarshal([]byte(res.body), &call); err != nil || call.Body != "tls app /echo?x=1" {
		t.Errorf("callout to the TLS cluster: %d %q", res.status, res.body)
	}
	if sni := up.lastSNI(); sni != "idp.example" {
		t.Errorf("callout SNI %q, want idp.example", sni)
	}
	res = get(t, base+"/httpcall?cluster=wrongca")
	if err := json.Unmarshal([]byte(res.body), &call); err != nil || strings.Contains(call.Body, "tls app") {
		t.Errorf("callout to a cluster whose certificate fails verification: %d %q", res.status, res.body)
	}
}

// TestServeAccessLogWithoutQuery: the shipped format's %REQ_WITHOUT_QUERY% and hostsim's
// default format leave queries (and the tokens in them) out of the access log.
func TestServeAccessLogWithoutQuery(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	custom := `          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format:
                text_format_source:
                  inline_string: "%REQ(:METHOD)% %REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER%\n"
                formatters:
                - name: envoy.formatter.req_without_query
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery
`
	for _, tc := range []struct {
		name string
		c    config
		want string
	}{
		{"custom format", config{wasm: fixture, app: app.addr(), hcm: custom}, "GET /page 200 app\n"},
		{"default format", config{wasm: fixture, app: app.addr(), accessLog: true}, `"GET /page HTTP/1.1" 200`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, log := start(t, tc.c, Options{})
			get(t, "http://"+s.ListenerAddr("main")+"/page?id_token_hint=secret-token&code=abc")
			out := log.String()
			if !strings.Contains(out, tc.want) || strings.Contains(out, "secret-token") {
				t.Errorf("access log:\n%s\nwant %q and no query", out, tc.want)
			}
		})
	}
}
