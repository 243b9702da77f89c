package hostsim

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// hostFunc is one host function of the "env" module. sig lists its
// parameters: 'i' for i32, 'I' for i64; every function returns an i32
// status.
type hostFunc struct {
	name string
	sig  string
	fn   func(ctx context.Context, v *vm, params []uint64) Status
}

// hostFuncs is the whole ABI 0.2.x surface this host offers, one line per
// function; the implementations live in abi_<area>.go.
var hostFuncs = []hostFunc{
	// Logging (abi_log.go).
	{"proxy_log", "iii", hostLog},
	{"proxy_get_log_level", "i", hostGetLogLevel},
	// Clock and timers (abi_clock.go, abi_timers.go).
	{"proxy_get_current_time_nanoseconds", "i", hostGetCurrentTime},
	{"proxy_set_tick_period_milliseconds", "i", hostSetTickPeriod},
	// Properties (abi_properties.go).
	{"proxy_get_property", "iiii", hostGetProperty},
	{"proxy_set_property", "iiii", hostSetProperty},
	// Header maps (abi_headers.go).
	{"proxy_get_header_map_pairs", "iii", hostGetHeaderMapPairs},
	{"proxy_set_header_map_pairs", "iii", hostSetHeaderMapPairs},
	{"proxy_get_header_map_size", "ii", hostGetHeaderMapSize},
	{"proxy_get_header_map_value", "iiiii", hostGetHeaderMapValue},
	{"proxy_add_header_map_value", "iiiii", hostAddHeaderMapValue},
	{"proxy_replace_header_map_value", "iiiii", hostReplaceHeaderMapValue},
	{"proxy_remove_header_map_value", "iii", hostRemoveHeaderMapValue},
	// Buffers (abi_buffers.go).
	{"proxy_get_buffer_bytes", "iiiii", hostGetBufferBytes},
	{"proxy_set_buffer_bytes", "iiiii", hostSetBufferBytes},
	{"proxy_get_buffer_status", "iii", hostGetBufferStatus},
	// Stream control and contexts (abi_stream.go).
	{"proxy_send_local_response", "iiiiiiii", hostSendLocalResponse},
	{"proxy_continue_stream", "i", hostContinueStream},
	{"proxy_close_stream", "i", hostCloseStream},
	{"proxy_set_effective_context", "i", hostSetEffectiveContext},
	{"proxy_done", "", hostDone},
	// HTTP callouts (abi_httpcall.go).
	{"proxy_http_call", "iiiiiiiiii", hostHTTPCall},
	// Shared data and queues (abi_shared_data.go, abi_queues.go).
	{"proxy_get_shared_data", "iiiii", hostGetSharedData},
	{"proxy_set_shared_data", "iiiii", hostSetSharedData},
	{"proxy_register_shared_queue", "iii", hostRegisterSharedQueue},
	{"proxy_resolve_shared_queue", "iiiii", hostResolveSharedQueue},
	{"proxy_enqueue_shared_queue", "iii", hostEnqueueSharedQueue},
	{"proxy_dequeue_shared_queue", "iii", hostDequeueSharedQueue},
	// Metrics (abi_metrics.go).
	{"proxy_define_metric", "iiii", hostDefineMetric},
	{"proxy_increment_metric", "iI", hostIncrementMetric},
	{"proxy_record_metric", "iI", hostRecordMetric},
	{"proxy_get_metric", "ii", hostGetMetric},
	// Not implemented: answered with StatusUnimplemented and reported
	// (abi_unimplemented.go).
	{"proxy_call_foreign_function", "iiiiii", hostCallForeignFunction},
	{"proxy_get_status", "iii", unimplemented("proxy_get_status")},
	{"proxy_grpc_call", "iiiiiiiiiiii", unimplemented("proxy_grpc_call")},
	{"proxy_grpc_stream", "iiiiiiiii", unimplemented("proxy_grpc_stream")},
	{"proxy_grpc_send", "iiii", unimplemented("proxy_grpc_send")},
	{"proxy_grpc_cancel", "i", unimplemented("proxy_grpc_cancel")},
	{"proxy_grpc_close", "i", unimplemented("proxy_grpc_close")},
}

// emscriptenFuncs are the two "env" functions cpp-host registers besides the
// Proxy-Wasm ABI (src/wasm.cc, WasmBase::registerCallbacks; src/exports.cc).
var emscriptenFuncs = []struct {
	name, sig, results string
	fn                 func(stack []uint64)
}{
	{"pthread_equal", "ii", "i", func(s []uint64) { s[0] = b2u(uint32(s[0]) == uint32(s[1])) }},
	{"emscripten_notify_memory_growth", "i", "", func([]uint64) {}},
}

// instantiateEnv registers hostFuncs as the "env" module the guest imports.
func (h *Host) instantiateEnv(ctx context.Context) error {
	b := h.runtime.NewHostModuleBuilder("env")
	for _, f := range hostFuncs {
		f := f
		params := make([]api.ValueType, len(f.sig))
		for i, c := range f.sig {
			params[i] = api.ValueTypeI32
			if c == 'I' {
				params[i] = api.ValueTypeI64
			}
		}
		full := "env." + f.name
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
				v := vmFrom(ctx)
				v.checkAllowed(full)
				st := f.fn(ctx, v, stack[:len(f.sig)])
				stack[0] = uint64(st)
			}), params, []api.ValueType{api.ValueTypeI32}).
			WithName(f.name).
			Export(f.name)
	}
	for _, f := range emscriptenFuncs {
		f, full := f, "env."+f.name
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
				vmFrom(ctx).checkAllowed(full)
				f.fn(stack)
			}), valueTypes(f.sig), valueTypes(f.results)).
			WithName(f.name).
			Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("hostsim: instantiating the env host module: %w", err)
	}
	return nil
}
