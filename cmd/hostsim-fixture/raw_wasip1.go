//go:build wasip1

package main

import "unsafe"

// Host functions the SDK v0.24.0 cannot reach, imported directly so that
// hostsim's tests cover them too.

//go:wasmimport env proxy_get_current_time_nanoseconds
func proxyGetCurrentTimeNanoseconds(ret unsafe.Pointer) uint32

//go:wasmimport env proxy_get_log_level
func proxyGetLogLevel(ret unsafe.Pointer) uint32

//go:wasmimport env proxy_grpc_call
func proxyGrpcCall(a, b, c, d, e, f, g, h, i, j, k uint32, ret unsafe.Pointer) uint32

func rawCurrentTime() uint64 {
	var t uint64
	proxyGetCurrentTimeNanoseconds(unsafe.Pointer(&t))
	return t
}

func rawLogLevel() uint32 {
	var l uint32
	proxyGetLogLevel(unsafe.Pointer(&l))
	return l
}

// rawGrpcCall calls proxy_grpc_call with empty arguments and returns the
// status the host answered (hostsim: Unimplemented, 12).
func rawGrpcCall() uint32 {
	var token uint32
	return proxyGrpcCall(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, unsafe.Pointer(&token))
}
