//go:build wasip1 && go1.24

// This file is not part of the exeunt module. scripts/build-wasm.sh adds it to the
// package github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal with
// `go build -overlay`, because the SDK (written for TinyGo) only declares its host
// calls for TinyGo and routes them through the ProxyWasmHost interface otherwise.
// See _bridge/README.md.

package internal

import (
	"runtime"
	"unsafe"
)

// The Proxy-Wasm ABI 0.2.x host functions, as Envoy's proxy-wasm-cpp-host registers them
// in the "env" module. Addresses and sizes are i32 on the wire; Go's int and pointers are
// 64 bits wide on GOARCH=wasm, so the methods of wasip1Host below convert.
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

// wasip1Host is the SDK's ProxyWasmHost backed by the real host's imports.
type wasip1Host struct{}

var _ ProxyWasmHost = wasip1Host{}

// Installed directly rather than with RegisterMockWasmHost, which would lock a mutex
// for the life of the module.
func init() { currentHost = wasip1Host{} }

// p turns a pointer the SDK hands in (possibly nil) into an import argument.
func p[T any](v *T) unsafe.Pointer { return unsafe.Pointer(v) }

// returnedBytes receives a host call's (address, size) out-parameters. Both live in one
// array so that each such call costs a single small heap allocation.
type returnedBytes [2]uint32

func (r *returnedBytes) addr() unsafe.Pointer { return unsafe.Pointer(&r[0]) }
func (r *returnedBytes) size() unsafe.Pointer { return unsafe.Pointer(&r[1]) }

// to hands what the host wrote back to the SDK as its (**byte, *int) pair, and
// unpins the buffers the host allocated during the call.
func (r *returnedBytes) to(data **byte, dataSize *int) {
	*data, *dataSize = takeHostAllocation(r[0], r[1])
}

func (wasip1Host) ProxyLog(logLevel LogLevel, messageData *byte, messageSize int) Status {
	st := hostLog(uint32(logLevel), p(messageData), uint32(messageSize))
	runtime.KeepAlive(messageData)
	return Status(st)
}

func (wasip1Host) ProxySetProperty(pathData *byte, pathSize int, valueData *byte, valueSize int) Status {
	st := hostSetProperty(p(pathData), uint32(pathSize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(pathData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func (wasip1Host) ProxyGetProperty(pathData *byte, pathSize int, returnValueData **byte, returnValueSize *int) Status {
	var ret returnedBytes
	st := hostGetProperty(p(pathData), uint32(pathSize), ret.addr(), ret.size())
	runtime.KeepAlive(pathData)
	ret.to(returnValueData, returnValueSize)
	return Status(st)
}

func (wasip1Host) ProxySendLocalResponse(statusCode uint32, statusCodeDetailData *byte, statusCodeDetailsSize int,
	bodyData *byte, bodySize int, headersData *byte, headersSize int, grpcStatus int32) Status {
	st := hostSendLocalResponse(statusCode, p(statusCodeDetailData), uint32(statusCodeDetailsSize),
		p(bodyData), uint32(bodySize), p(headersData), uint32(headersSize), grpcStatus)
	runtime.KeepAlive(statusCodeDetailData)
	runtime.KeepAlive(bodyData)
	runtime.KeepAlive(headersData)
	return Status(st)
}

func (wasip1Host) ProxyGetSharedData(keyData *byte, keySize int, returnValueData **byte, returnValueSize *int, returnCas *uint32) Status {
	var ret returnedBytes
	st := hostGetSharedData(p(keyData), uint32(keySize), ret.addr(), ret.size(), p(returnCas))
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(returnCas)
	ret.to(returnValueData, returnValueSize)
	return Status(st)
}

func (wasip1Host) ProxySetSharedData(keyData *byte, keySize int, valueData *byte, valueSize int, cas uint32) Status {
	st := hostSetSharedData(p(keyData), uint32(keySize), p(valueData), uint32(valueSize), cas)
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func (wasip1Host) ProxyRegisterSharedQueue(nameData *byte, nameSize int, returnID *uint32) Status {
	st := hostRegisterSharedQueue(p(nameData), uint32(nameSize), p(returnID))
	runtime.KeepAlive(nameData)
	runtime.KeepAlive(returnID)
	return Status(st)
}

func (wasip1Host) ProxyResolveSharedQueue(vmIDData *byte, vmIDSize int, nameData *byte, nameSize int, returnID *uint32) Status {
	st := hostResolveSharedQueue(p(vmIDData), uint32(vmIDSize), p(nameData), uint32(nameSize), p(returnID))
	runtime.KeepAlive(vmIDData)
	runtime.KeepAlive(nameData)
	runtime.KeepAlive(returnID)
	return Status(st)
}

func (wasip1Host) ProxyDequeueSharedQueue(queueID uint32, returnValueData **byte, returnValueSize *int) Status {
	var ret returnedBytes
	st := hostDequeueSharedQueue(queueID, ret.addr(), ret.size())
	ret.to(returnValueData, returnValueSize)
	return Status(st)
}

func (wasip1Host) ProxyEnqueueSharedQueue(queueID uint32, valueData *byte, valueSize int) Status {
	st := hostEnqueueSharedQueue(queueID, p(valueData), uint32(valueSize))
	runtime.KeepAlive(valueData)
	return Status(st)
}

func (wasip1Host) ProxyGetHeaderMapValue(mapType MapType, keyData *byte, keySize int, returnValueData **byte, returnValueSize *int) Status {
	var ret returnedBytes
	st := hostGetHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), ret.addr(), ret.size())
	runtime.KeepAlive(keyData)
	ret.to(returnValueData, returnValueSize)
	return Status(st)
}

func (wasip1Host) ProxyAddHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	st := hostAddHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func (wasip1Host) ProxyReplaceHeaderMapValue(mapType MapType, keyData *byte, keySize int, valueData *byte, valueSize int) Status {
	st := hostReplaceHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize), p(valueData), uint32(valueSize))
	runtime.KeepAlive(keyData)
	runtime.KeepAlive(valueData)
	return Status(st)
}

func (wasip1Host) ProxyContinueStream(streamType StreamType) Status {
	return Status(hostContinueStream(uint32(streamType)))
}

func (wasip1Host) ProxyCloseStream(streamType StreamType) Status {
	return Status(hostCloseStream(uint32(streamType)))
}

func (wasip1Host) ProxyRemoveHeaderMapValue(mapType MapType, keyData *byte, keySize int) Status {
	st := hostRemoveHeaderMapValue(uint32(mapType), p(keyData), uint32(keySize))
	runtime.KeepAlive(keyData)
	return Status(st)
}

func (wasip1Host) ProxyGetHeaderMapPairs(mapType MapType, returnValueData **byte, returnValueSize *int) Status {
	var ret returnedBytes
	st := hostGetHeaderMapPairs(uint32(mapType), ret.addr(), ret.size())
	ret.to(returnValueData, returnValueSize)
	return Status(st)
}

func (wasip1Host) ProxySetHeaderMapPairs(mapType MapType, mapData *byte, mapSize int) Status {
	st := hostSetHeaderMapPairs(uint32(mapType), p(mapData), uint32(mapSize))
	runtime.KeepAlive(mapData)
	return Status(st)
}

func (wasip1Host) ProxyGetBufferBytes(bufferType BufferType, start int, maxSize int, returnBufferData **byte, returnBufferSize *int) Status {
	var ret returnedBytes
	st := hostGetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), ret.addr(), ret.size())
	ret.to(returnBufferData, returnBufferSize)
	return Status(st)
}

func (wasip1Host) ProxySetBufferBytes(bufferType BufferType, start int, maxSize int, bufferData *byte, bufferSize int) Status {
	st := hostSetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), p(bufferData), uint32(bufferSize))
	runtime.KeepAlive(bufferData)
	return Status(st)
}

func (wasip1Host) ProxyHttpCall(upstreamData *byte, upstreamSize int, headerData *byte, headerSize int,
	bodyData *byte, bodySize int, trailersData *byte, trailersSize int, timeout uint32, calloutIDPtr *uint32) Status {
	st := hostHttpCall(p(upstreamData), uint32(upstreamSize), p(headerData), uint32(headerSize),
		p(bodyData), uint32(bodySize), p(trailersData), uint32(trailersSize), timeout, p(calloutIDPtr))
	runtime.KeepAlive(upstreamData)
	runtime.KeepAlive(headerData)
	runtime.KeepAlive(bodyData)
	runtime.KeepAlive(trailersData)
	runtime.KeepAlive(calloutIDPtr)
	return Status(st)
}

func (wasip1Host) ProxyCallForeignFunction(funcNamePtr *byte, funcNameSize int, paramPtr *byte, paramSize int, returnData **byte, returnSize *int) Status {
	var ret returnedBytes
	st := hostCallForeignFunction(p(funcNamePtr), uint32(funcNameSize), p(paramPtr), uint32(paramSize), ret.addr(), ret.size())
	runtime.KeepAlive(funcNamePtr)
	runtime.KeepAlive(paramPtr)
	ret.to(returnData, returnSize)
	return Status(st)
}

func (wasip1Host) ProxySetTickPeriodMilliseconds(period uint32) Status {
	return Status(hostSetTickPeriodMilliseconds(period))
}

func (wasip1Host) ProxySetEffectiveContext(contextID uint32) Status {
	return Status(hostSetEffectiveContext(contextID))
}

func (wasip1Host) ProxyDone() Status { return Status(hostDone()) }

func (wasip1Host) ProxyDefineMetric(metricType MetricType, metricNameData *byte, metricNameSize int, returnMetricIDPtr *uint32) Status {
	st := hostDefineMetric(uint32(metricType), p(metricNameData), uint32(metricNameSize), p(returnMetricIDPtr))
	runtime.KeepAlive(metricNameData)
	runtime.KeepAlive(returnMetricIDPtr)
	return Status(st)
}

func (wasip1Host) ProxyIncrementMetric(metricID uint32, offset int64) Status {
	return Status(hostIncrementMetric(metricID, offset))
}

func (wasip1Host) ProxyRecordMetric(metricID uint32, value uint64) Status {
	return Status(hostRecordMetric(metricID, value))
}

func (wasip1Host) ProxyGetMetric(metricID uint32, returnMetricValue *uint64) Status {
	st := hostGetMetric(metricID, p(returnMetricValue))
	runtime.KeepAlive(returnMetricValue)
	return Status(st)
}
