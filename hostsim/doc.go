// Package hostsim is a Proxy-Wasm host built on wazero that behaves as Envoy
// does, so that the filter's real .wasm can be exercised in `go test` and
// served as a local HTTP proxy configured by envoy.yaml (package
// hostsim/serve, `hostsim serve -c envoy.yaml`).
//
// What it implements, and where:
//
//   - module.go: compiling a module (through a process-wide compilation cache)
//     and detecting its ABI version from its exports, as proxy-wasm-cpp-host
//     does: proxy_abi_version_0_2_0 and proxy_abi_version_0_2_1 are accepted,
//     anything else is refused with an error that says what was found.
//   - host.go, vm.go: a Host runs one plugin in one or more VMs (Envoy runs one
//     per worker thread); every VM is a separate module instance with its own
//     linear memory, while shared data, shared queues and metrics belong to
//     the Host and are seen by every VM.
//   - profile.go, wasi.go: the host profile of the Envoy release followed
//     (Options.Envoy; docs/hostsim-and-envoy.md): which WASI and env
//     functions a module may import (anything else is refused at load with
//     Envoy's message), the WASI functions as proxy-wasm-cpp-host implements
//     them, and the host calls that trap during _initialize and during
//     proxy_on_memory_allocate. host.go also runs cpp-host's throwaway canary
//     VM before the real ones.
//   - stream.go: one HTTP stream through the filter, with Envoy's callback
//     order (context create, request headers/body/trailers, the upstream,
//     response headers/body/trailers, log, done, delete) and Envoy's pause
//     and resume semantics (a StopIteration from a headers callback holds the
//     body unless Options.AllowOnHeadersStopIteration).
//   - abi_*.go: the host functions, one file per area of the ABI (logging,
//     properties, header maps, buffers, HTTP calls, shared data, queues,
//     timers, metrics, stream control, clock). A function that a guest
//     imports but this host does not implement answers the ABI's
//     Unimplemented status and is reported through Options.OnUnimplemented,
//     so a test fails instead of the guest silently carrying on.
//
// hostsim never imports the code it hosts (core, envoyfilter): it knows the
// guest only through the ABI, as Envoy does.
//
// Reference: https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1
package hostsim
