//go:build wasip1 && go1.24

// This file is not part of the exeunt module. scripts/build-wasm.sh adds it to the
// package github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal with
// `go build -overlay`, because the SDK (written for TinyGo) only declares its host
// calls for TinyGo, and otherwise routes them through the ProxyWasmHost interface that
// its emulator fills in (abi_hostcalls_mock.go, which the overlay leaves out of module
// builds). Here each one is a plain function calling the host. See _bridge/README.md.

package internal

import (
	"runtime"
	"unsafe"
)

// The Proxy-Wasm ABI 0.2.x host functions, as Envoy's proxy-wasm-cpp-host registers them
// in the "env" module. Addresses and sizes are i32 on the wire; Go's int and pointers are
// 64 bits wide on GOARCH=wasm, so the functions below convert.
//
// Pointer parameters are unsafe.Pointer rather than uint32: the compiler then keeps
// what they point at reachable and treats them as escaping (these functions have no
// body), so a local whose address the host receives lives on the heap and cannot move
// when the goroutine stack grows during a re-entrant proxy_on_memory_allocate.

//go:wasmimport env proxy_log
func hostLog(level uint32, msg unsafe.Pointer, msgSize uint32) uint32

//go:wasmimport env proxy_set_property
func hostSetProperty(path unsafe.Pointer, pathSize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_get_property
func hostGetProperty(path unsafe.Pointer, pathSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_send_local_response
func hostSendLocalResponse(statusCode uint32, details unsafe.Pointer, detailsSize uint32,
	body unsafe.Pointer, bodySize uint32, headers unsafe.Pointer, headersSize uint32, grpcStatus int32) uint32

//go:wasmimport env proxy_get_shared_data
func hostGetSharedData(key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer, retCas unsafe.Pointer) uint32

//go:wasmimport env proxy_set_shared_data
func hostSetSharedData(key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32, cas uint32) uint32

//go:wasmimport env proxy_register_shared_queue
func hostRegisterSharedQueue(name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_resolve_shared_queue
func hostResolveSharedQueue(vmID unsafe.Pointer, vmIDSize uint32, name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_dequeue_shared_queue
func hostDequeueSharedQueue(queueID uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_enqueue_shared_queue
func hostEnqueueSharedQueue(queueID uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func hostGetHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_add_header_map_value
func hostAddHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_replace_header_map_value
func hostReplaceHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func hostRemoveHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32) uint32

//go:wasmimport env proxy_get_header_map_pairs
func hostGetHeaderMapPairs(mapType uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_header_map_pairs
func hostSetHeaderMapPairs(mapType uint32, data unsafe.Pointer, size uint32) uint32

//go:wasmimport env proxy_continue_stream
func hostContinueStream(streamType uint32) uint32

//go:wasmimport env proxy_close_stream
func hostCloseStream(streamType uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func hostGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_buffer_bytes
func hostSetBufferBytes(bufferType uint32, start uint32, size uint32, data unsafe.Pointer, dataSize uint32) uint32

//go:wasmimport env proxy_http_call
func hostHttpCall(upstream unsafe.Pointer, upstreamSize uint32, headers unsafe.Pointer, headersSize uint32,
	body unsafe.Pointer, bodySize uint32, trailers unsafe.Pointer, trailersSize uint32, timeoutMillis uint32, retCalloutID unsafe.Pointer) uint32

//go:wasmimport env proxy_call_foreign_function
func hostCallForeignFunction(name unsafe.Pointer, nameSize uint32, param unsafe.Pointer, paramSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func hostSetTickPeriodMilliseconds(period uint32) uint32

//go:wasmimport env proxy_set_effective_context
func hostSetEffectiveContext(contextID uint32) uint32

//go:wasmimport env proxy_done
func hostDone() uint32

//go:wasmimport env proxy_define_metric
func hostDefineMetric(metricType uint32, name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_increment_metric
func hostIncrementMetric(metricID uint32, offset int64) uint32

//go:wasmimport env proxy_record_metric
func hostRecordMetric(metricID uint32, value uint64) uint32

//go:wasmimport env proxy_get_metric
func hostGetMetric(metricID uint32, retValue unsafe.Pointer) uint32

// Out-parameters. The host writes a call's results (an address and a size, a CAS, an
// id) into guest memory; they are received in this fixed, package-level scratch area
// and copied to the SDK's variables once the call has returned. Passing the SDK's own
// variables instead would make them escape to the heap, an allocation per variable per
// call, and allocations are expensive in a Wasm guest. One area is enough: host calls
// never nest (the only callback a host makes during one is proxy_on_memory_allocate,
// which makes no host call), and a package-level variable never moves.
var out struct {
	addr, size uint32 // returned data
	u32        uint32 // a CAS, a callout, queue or metric id
	u64        uint64 // a metric value
}

var (
	outAddr = unsafe.Pointer(&out.addr)
	outSize = unsafe.Pointer(&out.size)
	outU32  = unsafe.Pointer(&out.u32)
	outU64  = unsafe.Pointer(&out.u64)
)

// clearOut empties the scratch area before a call, so that what the host did not write
// reads as nothing rather than as a previous call's result.
func clearOut() { out.addr, out.size, out.u32, out.u64 = 0, 0, 0, 0 }

// returned hands the data the host returned to the SDK as its (**byte, *int) pair, and
// unpins the buffers the host allocated during the call.
func returned(data **byte, dataSize *int) {
	*data, *dataSize = takeHostAllocation(out.addr, out.size)
}

// setU32 stores the u32 result where the SDK wants it (which may be nowhere).
func setU32(dst *uint32) {
	if dst != nil {
		*dst = out.u32
	}
}

// p turns a pointer the SDK hands in (possibly nil) into an import argument.
func p[T any](v *T) unsafe.Pointer { return unsafe.Pointer(v) }

func ProxyLog(logLevel LogLevel, messageData *byte, messageSize int) Status {
	st := hostLog(uint32(logLevel), p(messageData), uint32(messageSize))
	runtime.KeepAlive(messageData)
	return Status(st)
}

func ProxySetProperty(pathData *byte, pathSize int, valueData *byte, valueSize int) Status {
	st := hostSetProperty(p(pathData), uint32(pathSize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(pathData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func ProxyGetProperty(pathData *byte, pathSize int, returnValueData **byte, returnValueSize *int) Status {
	clearOut()
	st := hostGetProperty(p(pathData), uint32(pathSize), outAddr, outSize)
	runtime.KeepAlive(pathData)
	returned(returnValueData, returnValueSize)
	return Status(st)
}

func ProxySendLocalResponse(statusCode uint32, statusCodeDetailData *byte, statusCodeDetailsSize int,
	bodyData *byte, bodySize int, headersData *byte, headersSize int, grpcStatus int32) Status {
	st := hostSendLocalResponse(statusCode, p(statusCodeDetailData), uint32(statusCodeDetailsSize),
		p(bodyData), uint32(bodySize), p(headersData), uint32(headersSize), grpcStatus)
	runtime.KeepAlive(statusCodeDetailData)
	runtime.KeepAlive(bodyData)
	runtime.KeepAlive(headersData)
	return Status(st)
}

func ProxyGetSharedData(keyData *byte, keySize int, returnValueData **byte, returnValueSize *int, returnCas *uint32) Status {
	clearOut()
	st := hostGetSharedData(p(keyData), uint32(keySize), outAddr, outSize, outU32)
	runtime.KeepAlive(keyData)
	setU32(returnCas)
	returned(returnValueData, returnValueSize)
	return Status(st)
}

func ProxySetSharedData(keyData *byte, keySize int, valueData *byte, valueSize int, cas uint32) Status {
	st := hostSetSharedData(p(keyData), uint32(keySize), p(valueData), uint32(valueSize), cas)
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func ProxyRegisterSharedQueue(nameData *byte, nameSize int, returnID *uint32) Status {
	clearOut()
	st := hostRegisterSharedQueue(p(nameData), uint32(nameSize), outU32)
	runtime.KeepAlive(nameData)
	setU32(returnID)
	return Status(st)
}

func ProxyResolveSharedQueue(vmIDData *byte, vmIDSize int, nameData *byte, nameSize int, returnID *uint32) Status {
	clearOut()
	st := hostResolveSharedQueue(p(vmIDData), uint32(vmIDSize), p(nameData), uint32(nameSize), outU32)
	runtime.KeepAlive(vmIDData)
	runtime.KeepAlive(nameData)
	setU32(returnID)
	return Status(st)
}

func ProxyDequeueSharedQueue(queueID uint32, returnValueData **byte, returnValueSize *int) Status {
	clearOut()
	st := hostDequeueSharedQueue(queueID, outAddr, outSize)
	returned(returnValueData, returnValueSize)
	return Status(st)
}

func ProxyEnqueueSharedQueue(queueID uint32, valueData *byte, valueSize int) Status {
	st := hostEnqueueSharedQueue(queueID, p(valueData), uint32(valueSize))
	runtime.KeepAlive(valueData)
	return Status(st)
}

func ProxyGetHeaderMapValue(mapType MapType, keyData *byte, keySize int, returnValueData **byte, returnValueSize *int) Status {
	clearOut()
	st := hostGetHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), outAddr, outSize)
	runtime.KeepAlive(keyData)
	returned(returnValueData, returnValueSize)
	return Status(st)
}

func ProxyAddHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	st := hostAddHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func ProxyReplaceHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	st := hostReplaceHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func ProxyContinueStream(streamType StreamType) Status {
	return Status(hostContinueStream(uint32(streamType)))
}

func ProxyCloseStream(streamType StreamType) Status {
	return Status(hostCloseStream(uint32(streamType)))
}

func ProxyRemoveHeaderMapValue(mapType MapType, keyData *byte, keySize int) Status {
	st := hostRemoveHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize))
	runtime.KeepAlive(keyData)
	return Status(st)
}

func ProxyGetHeaderMapPairs(mapType MapType, returnValueData **byte, returnValueSize *int) Status {
	clearOut()
	st := hostGetHeaderMapPairs(uint32(mapType), outAddr, outSize)
	returned(returnValueData, returnValueSize)
	return Status(st)
}

func ProxySetHeaderMapPairs(mapType MapType, mapData *byte, mapSize int) Status {
	st := hostSetHeaderMapPairs(uint32(mapType), p(mapData), uint32(mapSize))
	runtime.KeepAlive(mapData)
	return Status(st)
}

func ProxyGetBufferBytes(bufferType BufferType, start int, maxSize int, returnBufferData **byte, returnBufferSize *int) Status {
	clearOut()
	st := hostGetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), outAddr, outSize)
	returned(returnBufferData, returnBufferSize)
	return Status(st)
}

func ProxySetBufferBytes(bufferType BufferType, start int, maxSize int, bufferData *byte, bufferSize int) Status {
	st := hostSetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), p(bufferData), uint32(bufferSize))
	runtime.KeepAlive(bufferData)
	return Status(st)
}

func ProxyHttpCall(upstreamData *byte, upstreamSize int, headerData *byte, headerSize int,
	bodyData *byte, bodySize int, trailersData *byte, trailersSize int, timeout uint32, calloutIDPtr *uint32) Status {
	clearOut()
	st := hostHttpCall(p(upstreamData), uint32(upstreamSize), p(headerData), uint32(headerSize),
		p(bodyData), uint32(bodySize), p(trailersData), uint32(trailersSize), timeout, outU32)
	runtime.KeepAlive(upstreamData)
	runtime.KeepAlive(headerData)
	runtime.KeepAlive(bodyData)
	runtime.KeepAlive(trailersData)
	setU32(calloutIDPtr)
	return Status(st)
}

func ProxyCallForeignFunction(funcNamePtr *byte, funcNameSize int, paramPtr *byte, paramSize int, returnData **byte, returnSize *int) Status {
	clearOut()
	st := hostCallForeignFunction(p(funcNamePtr), uint32(funcNameSize), p(paramPtr), uint32(paramSize), outAddr, outSize)
	runtime.KeepAlive(funcNamePtr)
	runtime.KeepAlive(paramPtr)
	returned(returnData, returnSize)
	return Status(st)
}

func ProxySetTickPeriodMilliseconds(period uint32) Status {
	return Status(hostSetTickPeriodMilliseconds(period))
}

func ProxySetEffectiveContext(contextID uint32) Status {
	return Status(hostSetEffectiveContext(contextID))
}

func ProxyDone() Status { return Status(hostDone()) }

func ProxyDefineMetric(metricType MetricType, metricNameData *byte, metricNameSize int, returnMetricIDPtr *uint32) Status {
	clearOut()
	st := hostDefineMetric(uint32(metricType), p(metricNameData), uint32(metricNameSize), outU32)
	runtime.KeepAlive(metricNameData)
	setU32(returnMetricIDPtr)
	return Status(st)
}

func ProxyIncrementMetric(metricID uint32, offset int64) Status {
	return Status(hostIncrementMetric(metricID, offset))
}

func ProxyRecordMetric(metricID uint32, value uint64) Status {
	return Status(hostRecordMetric(metricID, value))
}

func ProxyGetMetric(metricID uint32, returnMetricValue *uint64) Status {
	clearOut()
	st := hostGetMetric(metricID, outU64)
	if returnMetricValue != nil {
		*returnMetricValue = out.u64
	}
	return Status(st)
}
