package serve

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartRefusesClearly: every way Start can fail is an error that says
// what and where, returned promptly, never a hang, and nothing stays bound.
func TestStartRefusesClearly(t *testing.T) {
	fixture := wasmPath(t, "fixture.wasm")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	good := config{wasm: fixture, app: "127.0.0.1:8081"}.yaml()
	const pHTTP = "static_resources.listeners[0](main).filter_chains[0].filters[0](envoy.filters.network.http_connection_manager).typed_config"

	tests := []struct {
		name string
		yaml string // written as envoy.yaml; "" for no file at all
		opts Options
		want []string
	}{
		{"missing .wasm",
			strings.Replace(good, fixture, "build/nope.wasm", 1), Options{BaseDir: "/tmp/somewhere"},
			[]string{pHTTP + ".http_filters[0](envoy.filters.http.wasm).typed_config.config.vm_config.code.local.filename",
				`"build/nope.wasm" is not there`, "/tmp/somewhere/build/nope.wasm"}},
		{"port in use",
			strings.Replace(good, "port_value: 0}", "port_value: "+portOf(taken.Addr().String())+"}", 1), Options{},
			[]string{"static_resources.listeners[0](main).address: " + taken.Addr().String() + " is already in use"}},
		{"admin port in use",
			"admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: " + portOf(taken.Addr().String()) + "}\n" + good, Options{},
			[]string{"admin.address: " + taken.Addr().String() + " is already in use"}},
		{"a field Envoy does not know",
			strings.Replace(good, "connect_timeout: 1s", "connect_timeout: 1s\n    conect_timeout: 2s", 1), Options{},
			[]string{"is not a configuration Envoy would accept", `static_resources.clusters[0](app): unknown field "conect_timeout"`, `did you mean "connect_timeout"?`}},
		{"a value Envoy refuses",
			strings.Replace(good, "connect_timeout: 1s", "connect_timeout: -1s", 1), Options{},
			[]string{"static_resources.clusters[0](app).connect_timeout"}},
		{"a route to no cluster",
			strings.Replace(good, "route: {cluster: app}", "route: {cluster: ghost}", 1), Options{},
			[]string{`routes[0].route.cluster: no cluster named "ghost"`}},
		{"another HTTP filter, strict",
			strings.Replace(good, "          - name: envoy.filters.http.router", "          - name: envoy.filters.http.cors\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors\n          - name: envoy.filters.http.router", 1), Options{Strict: true},
			[]string{"uses what hostsim does not simulate", pHTTP + ".http_filters[1](envoy.filters.http.cors): HTTP filter type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors is not supported by hostsim"}},
		{"a regex route, strict",
			strings.Replace(good, `match: {prefix: "/"}`, `match: {safe_regex: {regex: "/.*"}}`, 1), Options{Strict: true},
			[]string{"match.safe_regex: route match kind safe_regex is not supported by hostsim (prefix, path and path_separated_prefix are)"}},
		{"a plugin that refuses its configuration",
			strings.Replace(good, "value: ''", "value: 'fail=yes'", 1), Options{},
			[]string{`the wasm plugin "fixture"`, "did not start", "fixture: refusing to start because fail=yes"}},
		{"not a wasm module",
			strings.Replace(good, fixture, "envoy.yaml", 1), Options{},
			[]string{"did not start", "compiling the module"}},
		{"TLS listener without its key file",
			strings.Replace(good, "    filter_chains:\n    - filters:", "    filter_chains:\n    - transport_socket:\n        name: envoy.transport_sockets.tls\n        typed_config:\n          \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext\n          common_tls_context:\n            tls_certificates:\n            - certificate_chain: {filename: cert.pem}\n              private_key: {filename: key.pem}\n      filters:", 1), Options{},
			[]string{"static_resources.listeners[0](main).filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificates[0].certificate_chain", "cert.pem: no such file"}},
		{"REQ_WITHOUT_QUERY without its formatter",
			strings.Replace(good, "          route_config:", "          access_log:\n          - name: envoy.access_loggers.stdout\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog\n              log_format: {text_format: \"%REQ_WITHOUT_QUERY(:PATH)%\\n\"}\n          route_config:", 1), Options{},
			[]string{"Not supported field in StreamInfo: REQ_WITHOUT_QUERY"}},
		{"an empty per-route filter configuration",
			strings.Replace(good, "                route: {cluster: app}", "                route: {cluster: app}\n                typed_per_filter_config:\n                  envoy.filters.http.wasm:\n                    \"@type\": type.googleapis.com/envoy.config.route.v3.FilterConfig\n", 1), Options{},
			[]string{"Empty route/virtual host per filter configuration for envoy.filters.http.wasm filter"}},
		{"no configuration file", "", Options{},
			[]string{"no such file or directory"}},
		{"a bad log level", good, Options{LogLevel: "loud"},
			[]string{`unknown log level "loud"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			dir := t.TempDir()
			opts.ConfigPath = filepath.Join(dir, "envoy.yaml")
			if tt.yaml != "" {
				if err := os.WriteFile(opts.ConfigPath, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if opts.BaseDir == "" {
				opts.BaseDir = dir
			}
			opts.VMs = 1
			log := &syncBuffer{}
			opts.Log = log
			began := time.Now()
			s, err := Start(context.Background(), opts)
			if err == nil {
				s.Close()
				t.Fatal("Start accepted it")
			}
			if took := time.Since(began); took > 20*time.Second {
				t.Errorf("Start took %v to fail", took)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
		})
	}
	// Nothing of the failed starts holds a port: the address of the port
	// test is still only the test's.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	} else {
		ln.Close()
	}
}

// TestAFailedStartReleasesItsPorts: a start that fails after binding (the
// plugin refuses) frees the listener's address at once.
func TestAFailedStartReleasesItsPorts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	yaml := strings.Replace(config{wasm: wasmPath(t, "fixture.wasm"), pluginConfig: "fail=yes", app: "127.0.0.1:8081"}.yaml(),
		"port_value: 0}", "port_value: "+portOf(addr)+"}", 1)
	_, err = Start(context.Background(), Options{ConfigPath: writeConfig(t, yaml), VMs: 1, Log: &syncBuffer{}})
	if err == nil {
		t.Fatal("Start accepted a plugin that refuses to start")
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the failed start kept %s: %v", addr, err)
	}
	ln.Close()
}
