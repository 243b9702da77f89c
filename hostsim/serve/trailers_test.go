package serve

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Envoy's HTTP/1 codec drops a chunked request's trailers unless the connection manager's
// http_protocol_options.enable_trailers is set (envoyconfig.HCMOptions.EnableTrailers):
// hostsim serve handed them to the filter either way.
func TestHTTP1RequestTrailersReachTheFilterOnlyWithEnableTrailers(t *testing.T) {
	const raw = "POST /form HTTP/1.1\r\nHost: exeunt.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"4\r\ndata\r\n0\r\nX-Exeunt-Sub: mallory\r\nX-Checksum: kept\r\n\r\n"
	for _, enabled := range []bool{false, true} {
		// The request as Go's HTTP/1 server parses it for the listener, body read (which
		// fills in its trailers).
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(r.Body)
		if err != nil || string(body) != "data" || r.Trailer.Get("X-Checksum") != "kept" {
			t.Fatalf("setup: body %q, %v, trailers %v", body, err, r.Trailer)
		}
		l := &listener{hcm: envoyconfig.HCMOptions{EnableTrailers: enabled}}
		req := l.downstreamRequest(r, body)
		got := map[string]string{}
		for _, p := range req.Trailer {
			got[strings.ToLower(p.Name)] = p.Value
		}
		if enabled && (got["x-exeunt-sub"] != "mallory" || got["x-checksum"] != "kept") {
			t.Errorf("enable_trailers: true: the filter gets the trailers %v, want both", req.Trailer)
		}
		if !enabled && len(req.Trailer) != 0 {
			t.Errorf("enable_trailers unset: the filter gets the trailers %v, which Envoy's HTTP/1 codec drops", req.Trailer)
		}
	}
}

// The option is read from envoy.yaml, and simulated (it was reported as not simulated).
func TestEnableTrailersIsRead(t *testing.T) {
	c := config{app: "127.0.0.1:1", hcm: "          http_protocol_options: {enable_trailers: true}\n"}
	cfg, err := envoyconfig.Load([]byte(c.yaml()))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Listeners) != 1 || !cfg.Listeners[0].HCM.EnableTrailers {
		t.Fatalf("enable_trailers: true not read: %+v", cfg.Listeners)
	}
	if err := cfg.CheckServable(); err != nil {
		t.Fatalf("enable_trailers reported as not simulated: %v", err)
	}
}

// TestServeForwardsRequestTrailersAsEnvoy: a chunked request's trailers, taken under the
// connection manager's enable_trailers and passed through the filter, reach the upstream only
// when the cluster's HTTP/1 enable_trailers is set too (Envoy's upstream codec drops them
// otherwise), chunked, with the body. hostsim serve dropped them after the filter either way
// (and reported the cluster's protocol options as not simulated).
func TestServeForwardsRequestTrailersAsEnvoy(t *testing.T) {
	const raw = "POST /page HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		"4\r\ndata\r\n0\r\nX-Checksum: kept\r\n\r\n"
	for _, clusterTrailers := range []bool{false, true} {
		app := upstream(t, "app")
		options := ""
		if clusterTrailers {
			options = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http_protocol_options: {enable_trailers: true}
`
		}
		c := config{wasm: wasmPath(t, "fixture.wasm"), app: deadAddr(t),
			hcm: "          http_protocol_options: {enable_trailers: true}\n",
			routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: trailing}
`,
			clusters: staticCluster("trailing", "STATIC", app.addr()) + options,
		}
		s, log := start(t, c, Options{})
		if strings.Contains(log.String(), "not supported by hostsim") || strings.Contains(log.String(), "not simulated") {
			t.Fatalf("a setting is reported as not simulated:\n%s", log)
		}
		res := rawExchange(t, "http://"+s.ListenerAddr("main"), raw)
		if res.status != 200 {
			t.Fatalf("cluster enable_trailers %v: %d %q", clusterTrailers, res.status, res.body)
		}
		r, body := app.last(t)
		got := r.Trailer.Get("X-Checksum")
		if body != "data" || clusterTrailers && got != "kept" || !clusterTrailers && len(r.Trailer) != 0 {
			t.Errorf("cluster enable_trailers %v: the upstream got body %q and trailers %v", clusterTrailers, body, r.Trailer)
		}
	}
}

// TestServeForwardsResponseTrailersAsEnvoy: an upstream response's trailers reach the client
// only when the cluster's HTTP/1 enable_trailers (the upstream codec keeps them) and the
// connection manager's (the downstream codec sends them) are both set; hostsim serve passed
// them with neither.
func TestServeForwardsResponseTrailersAsEnvoy(t *testing.T) {
	// Past Go's 2 KiB buffer, so that its server sends the body chunked whatever hostsim says.
	bigBody := strings.Repeat("data", 1500)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		io.WriteString(w, bigBody)
		w.Header().Set("X-Checksum", "kept")
	}))
	defer app.Close()
	const options = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http_protocol_options: {enable_trailers: true}
`
	for _, tc := range []struct{ hcm, cluster bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		c := config{app: deadAddr(t),
			routeConfig: `            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: trailing}
`,
			clusters: staticCluster("trailing", "STATIC", strings.TrimPrefix(app.URL, "http://")),
		}
		if tc.hcm {
			c.hcm = "          http_protocol_options: {enable_trailers: true}\n"
		}
		if tc.cluster {
			c.clusters += options
		}
		s, _ := start(t, c, Options{})
		res, err := client.Get("http://" + s.ListenerAddr("main") + "/page")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got := res.Trailer.Get("X-Checksum")
		if want := tc.hcm && tc.cluster; res.StatusCode != 200 || string(body) != bigBody || want && got != "kept" || !want && got != "" {
			t.Errorf("enable_trailers: connection manager %v, cluster %v: %d, %d bytes, trailer %q", tc.hcm, tc.cluster, res.StatusCode, len(body), got)
		}
	}
}
