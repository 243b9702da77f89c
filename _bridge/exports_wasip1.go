//go:build wasip1 && go1.24

// This file is not part of the exeunt module. scripts/build-wasm.sh adds it to the
// package github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal with
// `go build -overlay`: the SDK marks its guest callbacks with TinyGo's //export, which
// the standard toolchain ignores, so nothing would be exported. See _bridge/README.md.

package internal

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Every ABI value below is an i32 on the wire; Go's bool results and int sizes are
// converted here so that the SDK's callbacks keep their own signatures.

//go:wasmexport proxy_abi_version_0_2_0
func exportABIVersion() { proxyABIVersion() }

//go:wasmexport proxy_on_memory_allocate
func exportOnMemoryAllocate(size uint32) unsafe.Pointer { return pinForHost(size) }

//go:wasmexport proxy_on_vm_start
func exportOnVMStart(rootContextID, vmConfigurationSize uint32) uint32 {
	enter()
	defer leave()
	return fromBool(bool(proxyOnVMStart(rootContextID, int(vmConfigurationSize))))
}

//go:wasmexport proxy_on_configure
func exportOnConfigure(rootContextID, pluginConfigurationSize uint32) uint32 {
	enter()
	defer leave()
	return fromBool(bool(proxyOnConfigure(rootContextID, int(pluginConfigurationSize))))
}

//go:wasmexport proxy_on_context_create
func exportOnContextCreate(contextID, parentContextID uint32) {
	enter()
	defer leave()
	proxyOnContextCreate(contextID, parentContextID)
}

//go:wasmexport proxy_on_request_headers
func exportOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnRequestHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_request_body
func exportOnRequestBody(contextID, bodySize, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnRequestBody(contextID, int(bodySize), endOfStream != 0))
}

//go:wasmexport proxy_on_request_trailers
func exportOnRequestTrailers(contextID, numTrailers uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnRequestTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_response_headers
func exportOnResponseHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnResponseHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_response_body
func exportOnResponseBody(contextID, bodySize, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnResponseBody(contextID, int(bodySize), endOfStream != 0))
}

//go:wasmexport proxy_on_response_trailers
func exportOnResponseTrailers(contextID, numTrailers uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnResponseTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_http_call_response
func exportOnHttpCallResponse(rootContextID, calloutID, numHeaders, bodySize, numTrailers uint32) {
	enter()
	defer leave()
	proxyOnHttpCallResponse(rootContextID, calloutID, int(numHeaders), int(bodySize), int(numTrailers))
}

//go:wasmexport proxy_on_new_connection
func exportOnNewConnection(contextID uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnNewConnection(contextID))
}

//go:wasmexport proxy_on_downstream_data
func exportOnDownstreamData(contextID, dataSize, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnDownstreamData(contextID, int(dataSize), endOfStream != 0))
}

//go:wasmexport proxy_on_downstream_connection_close
func exportOnDownstreamConnectionClose(contextID, peerType uint32) {
	enter()
	defer leave()
	proxyOnDownstreamConnectionClose(contextID, types.PeerType(peerType))
}

//go:wasmexport proxy_on_upstream_data
func exportOnUpstreamData(contextID, dataSize, endOfStream uint32) uint32 {
	enter()
	defer leave()
	return uint32(proxyOnUpstreamData(contextID, int(dataSize), endOfStream != 0))
}

//go:wasmexport proxy_on_upstream_connection_close
func exportOnUpstreamConnectionClose(contextID, peerType uint32) {
	enter()
	defer leave()
	proxyOnUpstreamConnectionClose(contextID, types.PeerType(peerType))
}

//go:wasmexport proxy_on_tick
func exportOnTick(rootContextID uint32) {
	enter()
	defer leave()
	proxyOnTick(rootContextID)
}

//go:wasmexport proxy_on_queue_ready
func exportOnQueueReady(rootContextID, queueID uint32) {
	enter()
	defer leave()
	proxyOnQueueReady(rootContextID, queueID)
}

//go:wasmexport proxy_on_done
func exportOnDone(contextID uint32) uint32 {
	enter()
	defer leave()
	return fromBool(proxyOnDone(contextID))
}

//go:wasmexport proxy_on_log
func exportOnLog(contextID uint32) {
	enter()
	defer leave()
	proxyOnLog(contextID)
}

//go:wasmexport proxy_on_delete
func exportOnDelete(contextID uint32) {
	enter()
	defer leave()
	proxyOnDelete(contextID)
}

// depth counts the callbacks in progress: a host may call back into the module while a
// host call of ours is in progress (proxy_on_memory_allocate always, others in theory).
var depth int

// callbacksSinceYield counts outermost callbacks since the last yield.
var callbacksSinceYield int

// yieldEvery is how many outermost callbacks may pass between two yields to the Go
// scheduler. A Go reactor never runs its other goroutines once an export returns, and the
// garbage collector's mark workers are goroutines: if nothing ever yields, a collection
// that has started may never finish, and the heap grows until the module runs out of
// memory (seen with wazero: 16 MiB allocated per callback exhausted 4 GiB). A yield costs
// under a microsecond, so it is spread over several callbacks.
const yieldEvery = 16

func enter() { depth++ }

func leave() {
	depth--
	if depth != 0 {
		return // only yield from the outermost callback, never from inside a host call
	}
	callbacksSinceYield++
	if callbacksSinceYield >= yieldEvery {
		callbacksSinceYield = 0
		runtime.Gosched()
	}
}

func fromBool(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// pinned holds every buffer handed to the host by proxy_on_memory_allocate. Once the
// host has written a buffer's 32-bit address into an out-parameter, nothing the Go
// garbage collector can see refers to it any more, so without this list it could be
// freed (and reused) before the bridge reads it. The host allocates only while it is
// inside one of our host calls, and host calls never nest, so the list holds one or
// two entries and is emptied as soon as that call's result is taken.
var pinned [][]byte

func pinForHost(size uint32) unsafe.Pointer {
	// A zero-size request still gets a real, distinct address: &buf[0] of an empty
	// slice would panic, and nil would read as "nothing returned".
	buf := make([]byte, max(size, 1))
	pinned = append(pinned, buf)
	return unsafe.Pointer(&buf[0])
}

// takeHostAllocation turns an address and size the host wrote into out-parameters into
// a Go pointer derived from the pinned buffer itself (never from a bare integer, so the
// garbage collector keeps tracking it), then unpins everything: from here on the SDK's
// slice over that pointer is what keeps the buffer alive.
func takeHostAllocation(addr, size uint32) (*byte, int) {
	defer unpinAll()
	if addr == 0 {
		return nil, 0
	}
	for _, buf := range pinned {
		start := uint32(uintptr(unsafe.Pointer(&buf[0])))
		if addr < start || addr-start >= uint32(len(buf)) {
			continue
		}
		off := addr - start
		// A host must not claim more bytes than it allocated; clamp rather than let
		// the SDK read whatever lies beyond.
		return &buf[off], int(min(size, uint32(len(buf))-off))
	}
	panic(fmt.Sprintf("proxy-wasm bridge: the host returned address %#x, which proxy_on_memory_allocate did not hand out; "+
		"a host must allocate returned data with proxy_on_memory_allocate", addr))
}

func unpinAll() {
	clear(pinned)
	pinned = pinned[:0]
}
