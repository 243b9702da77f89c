package hostsim

import (
	"io"
	"net/http"
	"time"
)

// Options configure a Host. The zero value runs one VM with the real clock,
// no clusters and info-level logging.
type Options struct {
	// VMs is how many VMs run the plugin, as Envoy runs one per worker
	// thread. Streams are spread over them round-robin. Default 1.
	VMs int

	// PluginName, RootID and VMID are what Envoy's configuration names
	// (the plugin_name, plugin_root_id and plugin_vm_id properties; VMID
	// also scopes shared data and queues). Defaults: "plugin", "", "".
	PluginName, RootID, VMID string

	// VMConfig and PluginConfig are handed to proxy_on_vm_start and
	// proxy_on_configure through their buffers.
	VMConfig, PluginConfig []byte

	// Clock is the time the guest sees (WASI clocks and
	// proxy_get_current_time_nanoseconds) and the time ticks follow. A
	// *ManualClock makes ticks fire only when it is advanced. Default: the
	// real clock, with ticks on real timers.
	Clock Clock

	// Clusters answer proxy_http_call by cluster name. A name that is not
	// here is answered as Envoy answers an unknown cluster: BadArgument.
	Clusters map[string]Cluster

	// LogLevel is the lowest level recorded (Envoy's default is info).
	LogLevel LogLevel
	// OnLog, when set, sees every recorded guest log entry as it happens.
	OnLog func(LogEntry)
	// MaxLogs bounds how many entries Logs keeps (the oldest go first), so
	// that a long-running host does not grow without end; 0 keeps them
	// all, as tests want.
	MaxLogs int

	// OnUnimplemented is called with the name of every host function the
	// guest calls that this host does not implement (the guest receives
	// StatusUnimplemented). Tests wire it to t.Errorf: a filter must never
	// depend on something the host only pretends to do.
	OnUnimplemented func(function string)

	// OnGuestCall, when set, sees every callback this host makes into a
	// guest, before it runs: which VM, which export, which arguments. Tests
	// use it to check the lifecycle order.
	OnGuestCall func(vm int, function string, args []uint64)
	// OnGuestReturn, when set, sees how long each such callback took, host
	// functions it called included: a profile of the guest by callback.
	OnGuestReturn func(vm int, function string, took time.Duration)

	// Stdout and Stderr receive the guest's WASI output (a Go panic message,
	// for one) besides the bounded copy kept for error reports.
	Stdout, Stderr io.Writer

	// CacheDir, when set, keeps compiled modules in this directory across
	// processes (wazero's compilation cache); hosts naming the same
	// directory share one cache. Default: the HOSTSIM_CACHE_DIR
	// environment variable, or a cache in memory shared by the process.
	CacheDir string

	// Envoy names the Envoy release line whose Wasm host this host follows
	// (see EnvoyProfile and Profiles): which WASI and env functions a module
	// may import, which host calls trap during _initialize and during
	// proxy_on_memory_allocate, what poll_oneoff answers. Default
	// DefaultEnvoy, the minimum Envoy the README names.
	Envoy string

	// AllowOnHeadersStopIteration is the wasm filter's
	// config.allow_on_headers_stop_iteration in envoy.yaml. False (Envoy's
	// default): a filter returning StopIteration (Pause) from its headers
	// callback stops the whole stream, and its body and trailers callbacks
	// are not called until it resumes (cpp-host's
	// convertVmCallResultToFilterHeadersStatus turns StopIteration into
	// StopAllIterationAndWatermark). True: the filter still gets the body.
	AllowOnHeadersStopIteration bool

	// StreamTimeout bounds how long a stream may stay paused by the filter
	// (Envoy's stream idle timeout plays this part). Default 30s.
	StreamTimeout time.Duration
}

// Cluster is the target of an HTTP callout: either an in-process handler (for
// tests) or a plain-HTTP address "host:port" (for real peers).
type Cluster struct {
	Handler http.Handler
	Address string
	// Transport, when set, carries the requests to Address instead of a
	// plain HTTP transport (no environment proxy, Envoy's 5s connect
	// timeout). `hostsim serve` gives each envoy.yaml cluster one that
	// spreads requests over the cluster's endpoints with its
	// connect_timeout, resolving DNS names at call time.
	Transport http.RoundTripper
}

func (o Options) withDefaults() Options {
	if o.VMs <= 0 {
		o.VMs = 1
	}
	if o.PluginName == "" {
		o.PluginName = "plugin"
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.LogLevel == 0 && o.OnLog == nil {
		o.LogLevel = LogInfo
	}
	if o.StreamTimeout <= 0 {
		o.StreamTimeout = 30 * time.Second
	}
	return o
}
