//go:build wasip1

package main

import "unsafe"

// Host functions the SDK v0.24.0 cannot reach, imported directly so that
// hostsim's tests cover them too. (Not proxy_get_log_level: Envoy registers it
// only for ABI 0.2.1 modules, and this one, like the SDK, declares 0.2.0;
// hostsim's profile tests cover it with a hand-assembled 0.2.1 module.)

//go:wasmimport env proxy_get_current_time_nanoseconds
func proxyGetCurrentTimeNanoseconds(ret unsafe.Pointer) uint32

//go:wasmimport env proxy_grpc_call
func proxyGrpcCall(a, b, c, d, e, f, g, h, i, j, k uint32, ret unsafe.Pointer) uint32

func rawCurrentTime() uint64 {
	var t uint64
	proxyGetCurrentTimeNanoseconds(unsafe.Pointer(&t))
	return t
}

// rawGrpcCall calls proxy_grpc_call with empty arguments and returns the
// status the host answered (hostsim: Unimplemented, 12).
func rawGrpcCall() uint32 {
	var token uint32
	return proxyGrpcCall(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, unsafe.Pointer(&token))
}

//go:wasmimport env proxy_add_header_map_value
func proxyAddHeaderMapValue(mapType uint32, key *byte, keySize uint32, value *byte, valueSize uint32) uint32

// rawAddHeaderMapValue adds a header to any map type, which the SDK's API cannot do for
// every type (the HTTP call response's, say), and returns the host's status.
func rawAddHeaderMapValue(mapType uint32, key, value string) uint32 {
	k, v := []byte(key), []byte(value)
	return proxyAddHeaderMapValue(mapType, unsafe.SliceData(k), uint32(len(k)), unsafe.SliceData(v), uint32(len(v)))
}
