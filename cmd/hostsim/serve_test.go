package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRunsUntilStopped: `hostsim serve -c` prints the listener's URL
// once it serves, serves the filter, and exits 0 when stopped (main stops
// it on SIGINT or SIGTERM).
func TestServeRunsUntilStopped(t *testing.T) {
	wasm, err := filepath.Abs("../../build/exeunt.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v: build the modules first with `make wasm`", err)
	}
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(cfg, []byte(strings.ReplaceAll(minimalYAML, "WASM", wasm)), 0o644)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- serveCommand(ctx, []string{"-c", cfg, "--vms", "1", "--cache-dir", ""}, outW, &stderr)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	var url string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "listener main: "); ok {
			url = rest
			break
		}
	}
	if url == "" {
		t.Fatalf("no listener URL printed; stderr:\n%s", stderr.String())
	}
	go io.Copy(io.Discard, outR)
	res, err := http.Get(url + "exeunt/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("health: %d", res.StatusCode)
	}
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit status %d after a stop, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeUsageAndStartErrors(t *testing.T) {
	var out, errs strings.Builder
	if code := serveCommand(context.Background(), nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "give the envoy.yaml to serve with -c") {
		t.Errorf("no -c: exit %d, stderr %q", code, errs.String())
	}
	errs.Reset()
	cfg := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(cfg, []byte(strings.ReplaceAll(minimalYAML, "WASM", "missing.wasm")), 0o644)
	if code := serveCommand(context.Background(), []string{"-c", cfg, "--cache-dir", ""}, &out, &errs); code != 1 || !strings.Contains(errs.String(), `the module "missing.wasm" is not there`) {
		t.Errorf("missing module: exit %d, stderr %q", code, errs.String())
	}
}

const minimalYAML = `
static_resources:
  listeners:
  - name: main
    address:
      socket_address: {address: 127.0.0.1, port_value: 0}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: exeunt
                root_id: exeunt
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: {local: {filename: WASM}}
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: '{"health_path": "/exeunt/healthz"}'
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: app
    connect_timeout: 1s
`
