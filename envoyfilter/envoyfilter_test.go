package envoyfilter

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// start runs a VM and plugin with the given plugin configuration (nil: none at all).
func start(t *testing.T, config []byte) (proxytest.HostEmulator, types.OnPluginStartStatus) {
	t.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext())
	if config != nil {
		opt = opt.WithPluginConfiguration(config)
	}
	host, reset := proxytest.NewHostEmulator(opt)
	t.Cleanup(reset)
	if host.StartVM() != types.OnVMStartStatusOK {
		t.Fatal("StartVM failed")
	}
	return host, host.StartPlugin()
}

func TestBadConfigurationFailsStart(t *testing.T) {
	for _, config := range []string{`{"health_path": "healthz"}`, `{"helth_path": "/h"}`, `[`} {
		t.Run(config, func(t *testing.T) {
			host, status := start(t, []byte(config))
			if status != types.OnPluginStartStatusFailed {
				t.Fatalf("OnPluginStart = %v, want failed", status)
			}
			logs := host.GetCriticalLogs()
			if len(logs) != 1 || !strings.HasPrefix(logs[0], "exeunt configuration: ") {
				t.Fatalf("critical logs = %q, want one message naming the problem", logs)
			}
		})
	}
}

func TestHealthPathAnswered(t *testing.T) {
	for _, tt := range []struct {
		name   string
		config []byte
		path   string
	}{
		{"no configuration", nil, "/exeunt/healthz"},
		{"empty object", []byte(`{}`), "/exeunt/healthz"},
		{"configured path", []byte(`{"health_path": "/ready"}`), "/ready?probe=lb"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host, status := start(t, tt.config)
			if status != types.OnPluginStartStatusOK {
				t.Fatalf("OnPluginStart = %v, critical logs %q", status, host.GetCriticalLogs())
			}
			id := host.InitializeHttpContext()
			action := host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", tt.path}, {":authority", "x"}}, true)
			if action != types.ActionPause {
				t.Fatalf("OnHttpRequestHeaders = %v, want pause after a local response", action)
			}
			got := host.GetSentLocalResponse(id)
			if got == nil {
				t.Fatal("no local response sent")
			}
			want := [][2]string{{"content-type", "application/json"}, {"cache-control", "no-store"}, {"x-content-type-options", "nosniff"}} // core.Respond adds nosniff to every own answer
			if got.StatusCode != 200 || string(got.Data) != `{"status":"ok"}` || !reflect.DeepEqual(got.Headers, want) {
				t.Fatalf("local response = %d %q %q, want 200 %q %q", got.StatusCode, got.Headers, got.Data, want, `{"status":"ok"}`)
			}
			if got.GRPCStatus != -1 {
				t.Fatalf("gRPC status = %d, want -1 (not a gRPC stream)", got.GRPCStatus)
			}
			host.CompleteHttpContext(id)
		})
	}
}

func TestOtherPathsPassThrough(t *testing.T) {
	host, status := start(t, nil)
	if status != types.OnPluginStartStatusOK {
		t.Fatalf("OnPluginStart = %v", status)
	}
	for _, path := range []string{"/", "/app/page?x=1", "/exeunt/healthz/more"} {
		id := host.InitializeHttpContext()
		headers := [][2]string{{":method", "GET"}, {":path", path}, {"cookie", "a=b"}}
		if action := host.CallOnRequestHeaders(id, headers, true); action != types.ActionContinue {
			t.Fatalf("%s: OnHttpRequestHeaders = %v, want continue", path, action)
		}
		if got := host.GetSentLocalResponse(id); got != nil {
			t.Fatalf("%s: sent local response %d, want none", path, got.StatusCode)
		}
		if got := host.GetCurrentRequestHeaders(id); !reflect.DeepEqual(got, headers) {
			t.Fatalf("%s: request headers changed to %q", path, got)
		}
		host.CompleteHttpContext(id)
	}
}
