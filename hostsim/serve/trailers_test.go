package serve

import (
	"bufio"
	"io"
	"net/http"
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
