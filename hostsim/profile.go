package hostsim

import (
	"fmt"
	"sort"
	"strings"
)

// An EnvoyProfile is what one generation of proxy-wasm-cpp-host (the Wasm host
// inside Envoy) offers a module and forbids it. hostsim follows the profile
// named by Options.Envoy; every rule is read from cpp-host's source at the
// commit given, and the table in docs/hostsim-and-envoy.md lists them with the
// tests that cover them.
type EnvoyProfile struct {
	// Envoy is the Envoy release line the profile models, e.g. "1.39".
	Envoy string
	// Releases says which Envoy releases carry this cpp-host, in words.
	Releases string
	// CppHost is the proxy-wasm-cpp-host commit Envoy pins
	// (bazel/repository_locations.bzl, proxy_wasm_cpp_host).
	CppHost string

	// WASI lists the WASI preview 1 functions the host registers under both
	// wasi_snapshot_preview1 and wasi_unstable (include/proxy-wasm/exports.h,
	// FOR_ALL_WASI_FUNCTIONS; src/wasm.cc, WasmBase::registerCallbacks). A
	// module importing anything else fails to load.
	WASI []string
	// DuringInitialize lists the host functions ("module.name") a module may
	// call while _initialize (and main) run (src/wasm.cc, WasmBase::startVm);
	// any other call traps the VM with "restricted_callback".
	DuringInitialize []string
	// DuringAllocate lists those it may call while proxy_on_memory_allocate
	// runs for the host (include/proxy-wasm/wasm.h, WasmBase::allocMemory).
	DuringAllocate []string
	// PollOneoffENOSYS is true on hosts whose poll_oneoff answers ENOSYS (52);
	// later hosts write nevents = 0 and answer success at once. Neither ever
	// waits (src/exports.cc, wasi_unstable_poll_oneoff).
	PollOneoffENOSYS bool
	// CallsMainVoid is true when the host calls an exported __main_void after
	// _initialize when the module has no main (src/wasm.cc, WasmBase::startVm,
	// cpp-host #500).
	CallsMainVoid bool
}

// The cpp-host commits the profiles are read from.
const (
	// cppHost139 is 09e5f8d (2026-06-22), which envoyproxy/envoy#45756 pinned
	// in place of beb8a4ec: it carries cpp-host #533 (every WASI function the
	// Go runtime imports, and poll_oneoff allowed during allocation).
	cppHost139 = "09e5f8d6658fdb77f3d5859b27141e79514e371c"
	// cppHost138 is beb8a4ec (2026-01-15), the cpp-host of Envoy 1.38.
	cppHost138 = "beb8a4ece9eede4ab21d89d723359607600296d4"
)

// wasiBefore533 is FOR_ALL_WASI_FUNCTIONS before cpp-host #533 (beb8a4ec).
var wasiBefore533 = []string{
	"fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
	"environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get",
	"random_get", "sched_yield", "poll_oneoff", "proc_exit", "path_open",
	"fd_prestat_get", "fd_prestat_dir_name",
}

// wasiSince533 is what cpp-host #533 (94091cd) added to FOR_ALL_WASI_FUNCTIONS.
var wasiSince533 = []string{
	"fd_fdstat_set_rights", "clock_res_get", "fd_advise", "fd_allocate", "fd_datasync",
	"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_pwrite", "fd_readdir",
	"fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_set_times",
	"path_link", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
	"path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown",
	"path_filestat_get", "fd_filestat_get",
}

// both spells each WASI function under the two module names cpp-host
// registers it with.
func both(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "wasi_unstable."+n, "wasi_snapshot_preview1."+n)
	}
	return out
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var profiles = []EnvoyProfile{
	{
		Envoy:    "1.39",
		Releases: "Envoy 1.39 and later (envoyproxy/envoy#45756 moved cpp-host from beb8a4ec to 09e5f8d after 1.38.0 of 2026-04-23, before 1.39.0 of 2026-07-14)",
		CppHost:  cppHost139,
		WASI:     concat(wasiBefore533, wasiSince533),
		// src/wasm.cc@09e5f8d, WasmBase::startVm.
		DuringInitialize: concat([]string{"env.emscripten_notify_memory_growth", "env.proxy_log"},
			both("fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
				"clock_time_get", "clock_res_get", "random_get", "poll_oneoff", "fd_fdstat_get",
				"fd_fdstat_set_flags",
				"fd_advise", "fd_allocate", "fd_datasync", "fd_fdstat_set_rights", "fd_filestat_get",
				"fd_filestat_set_size", "fd_filestat_set_times", "fd_pread", "fd_prestat_dir_name",
				"fd_prestat_get", "fd_pwrite", "fd_readdir", "fd_renumber", "fd_sync", "fd_tell",
				"path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link",
				"path_readlink", "path_remove_directory", "path_rename", "path_symlink",
				"path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown")),
		// include/proxy-wasm/wasm.h@09e5f8d, WasmBase::allocMemory: "go runtime gc sleep".
		DuringAllocate: concat([]string{"env.proxy_log"}, both("fd_write", "clock_time_get", "poll_oneoff")),
		CallsMainVoid:  true,
	},
	{
		Envoy:    "1.38",
		Releases: "Envoy 1.38 (cpp-host beb8a4ec; envoyproxy/envoy#44534 of 2026-04-20 proposed moving off it, #45756 of 2026-06-22 did)",
		CppHost:  cppHost138,
		WASI:     wasiBefore533,
		// src/wasm.cc@beb8a4ec, WasmBase::startVm.
		DuringInitialize: concat([]string{"env.emscripten_notify_memory_growth", "env.proxy_log"},
			both("fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
				"fd_prestat_get", "fd_prestat_dir_name", "clock_time_get", "random_get",
				"fd_fdstat_get", "fd_fdstat_set_flags")),
		// include/proxy-wasm/wasm.h@beb8a4ec, WasmBase::allocMemory.
		DuringAllocate:   concat([]string{"env.proxy_log"}, both("fd_write", "clock_time_get")),
		PollOneoffENOSYS: true,
	},
}

// DefaultEnvoy is the Envoy release line hostsim models unless told
// otherwise: the minimum the README names, the oldest that runs Exeunt.
const DefaultEnvoy = "1.39"

// Profiles returns every profile hostsim knows, newest first.
func Profiles() []EnvoyProfile { return append([]EnvoyProfile(nil), profiles...) }

// Profile returns the profile of an Envoy release line ("1.39", or "" for
// DefaultEnvoy). A release given with its patch number ("1.39.2") selects
// its line.
func Profile(envoy string) (EnvoyProfile, error) {
	if envoy == "" {
		envoy = DefaultEnvoy
	}
	line := strings.TrimPrefix(envoy, "v")
	if parts := strings.Split(line, "."); len(parts) == 3 {
		line = parts[0] + "." + parts[1]
	}
	for _, p := range profiles {
		if p.Envoy == line {
			return p, nil
		}
	}
	var known []string
	for _, p := range profiles {
		known = append(known, p.Envoy)
	}
	return EnvoyProfile{}, fmt.Errorf("hostsim: no host profile for Envoy %q; profiles: %s (Envoy before 1.38 carries an older proxy-wasm-cpp-host, which lacks #533 as 1.38's does: see RATIONALE.md)", envoy, strings.Join(known, ", "))
}

// envFunctions are the "env" functions cpp-host registers for a module of
// the given ABI (src/wasm.cc, WasmBase::registerCallbacks: pthread_equal,
// emscripten_notify_memory_growth, FOR_ALL_HOST_FUNCTIONS, then per ABI
// continue_stream and close_stream, and get_log_level for 0.2.1 only).
func envFunctions(abi ABIVersion) map[string]bool {
	names := []string{"pthread_equal", "emscripten_notify_memory_growth",
		// include/proxy-wasm/exports.h, FOR_ALL_HOST_FUNCTIONS.
		"proxy_log", "proxy_get_status", "proxy_set_property", "proxy_get_property",
		"proxy_send_local_response", "proxy_get_shared_data", "proxy_set_shared_data",
		"proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_dequeue_shared_queue",
		"proxy_enqueue_shared_queue", "proxy_get_header_map_value", "proxy_add_header_map_value",
		"proxy_replace_header_map_value", "proxy_remove_header_map_value",
		"proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_get_header_map_size",
		"proxy_get_buffer_status", "proxy_get_buffer_bytes", "proxy_set_buffer_bytes",
		"proxy_http_call", "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_close",
		"proxy_grpc_cancel", "proxy_grpc_send", "proxy_set_tick_period_milliseconds",
		"proxy_get_current_time_nanoseconds", "proxy_define_metric", "proxy_increment_metric",
		"proxy_record_metric", "proxy_get_metric", "proxy_set_effective_context", "proxy_done",
		"proxy_call_foreign_function",
		"proxy_continue_stream", "proxy_close_stream",
	}
	if abi == ABI021 {
		names = append(names, "proxy_get_log_level")
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// provides reports whether the profile's host registers an import.
func (p EnvoyProfile) provides(abi ABIVersion, module, name string) bool {
	switch module {
	case "env":
		return envFunctions(abi)[name]
	case "wasi_snapshot_preview1", "wasi_unstable":
		for _, w := range p.WASI {
			if w == name {
				return true
			}
		}
	}
	return false
}

// MissingImports returns the function imports ("module.name", sorted, each
// once) that this profile's Envoy does not provide to a module of the given
// ABI: Envoy refuses to load such a module (src/v8/v8.cc, V8::link: "Failed
// to load Wasm module due to a missing import: ..."). Only the lists are
// compared, so a module that drops an import passes as soon as it is built.
func (p EnvoyProfile) MissingImports(abi ABIVersion, imports []string) []string {
	seen := map[string]bool{}
	var missing []string
	for _, imp := range imports {
		module, name, _ := strings.Cut(imp, ".")
		if seen[imp] || p.provides(abi, module, name) {
			continue
		}
		seen[imp] = true
		missing = append(missing, imp)
	}
	sort.Strings(missing)
	return missing
}

// set turns a list into a lookup table.
func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
