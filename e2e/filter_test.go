package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// These tests run what ships: build/exeunt.wasm inside hostsim.

func envoyPluginConfig(t testing.TB) []byte {
	t.Helper()
	return shippedWasmFilter(t).Configuration
}

// shippedWasmFilter is the wasm filter of the shipped envoy.yaml.
func shippedWasmFilter(t testing.TB) *envoyconfig.WasmPlugin {
	t.Helper()
	cfg, err := envoyconfig.LoadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cfg.Listeners {
		for _, f := range l.HTTPFilters {
			if f.Wasm != nil {
				return f.Wasm
			}
		}
	}
	t.Fatal("envoy.yaml has no wasm filter")
	return nil
}

func TestTheFilterAnswersItsHealthPathAndPassesDeclaredPublicPathsThrough(t *testing.T) {
	h := startHost(t, "exeunt.wasm", hostsim.Options{VMs: 2, PluginConfig: envoyPluginConfig(t)})
	var upstreamSaw []string
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamSaw = append(upstreamSaw, r.Method+" "+r.RequestURI)
		w.Header().Set("Set-Cookie", "app=1")
		w.WriteHeader(200)
		w.Write([]byte("from the app"))
	})
	ctx := context.Background()
	for i := 0; i < 2; i++ { // once on each VM
		resp, err := h.Do(ctx, &hostsim.Request{Path: "/exeunt/healthz"}, upstream)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || !resp.LocalReply || string(resp.Body) != `{"status":"ok"}` ||
			resp.HeaderValue("content-type") != "application/json" || resp.HeaderValue("cache-control") != "no-store" {
			t.Fatalf("health on VM %d: %+v", resp.VM, resp)
		}
	}
	// envoy.yaml declares /public/app1/ public for App One: it passes untouched, signed out.
	resp, err := h.Do(ctx, &hostsim.Request{Method: "POST", Path: "/public/app1/page?x=1", Authority: "localhost:10000", Body: []byte("form")}, upstream)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != "from the app" || resp.HeaderValue("set-cookie") != "app=1" || resp.LocalReply {
		t.Fatalf("pass-through: %+v", resp)
	}
	// A path no rule covers is refused by the filter itself, and never reaches the app.
	resp, err = h.Do(ctx, &hostsim.Request{Method: "POST", Path: "/app/page?x=1", Authority: "localhost:10000", Body: []byte("form")}, upstream)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 404 || !resp.LocalReply {
		t.Fatalf("a path nobody owns: %d (local reply %v)", resp.Status, resp.LocalReply)
	}
	if strings.Join(upstreamSaw, ";") != "POST /public/app1/page?x=1" {
		t.Fatalf("the upstream saw %q; the health checks must not reach it", upstreamSaw)
	}
}

func TestABadConfigurationFailsPluginStartWithACriticalLog(t *testing.T) {
	_, err := hostsim.New(context.Background(), wasmFile(t, "exeunt.wasm"), hostsim.Options{PluginConfig: []byte(`{"health_path": "healthz"}`)})
	var se *hostsim.StartError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want the plugin to refuse to start", err)
	}
	if len(se.Logs) == 0 || !strings.HasPrefix(se.Logs[0], "critical: ") || !strings.Contains(se.Logs[0], `field "health_path": must start with "/"`) {
		t.Fatalf("the critical log does not name the problem: %q", se.Logs)
	}
}
