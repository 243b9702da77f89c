//go:build !wasip1

package main

// Native builds (go vet, go test ./...) have no Proxy-Wasm host to call.

func rawCurrentTime() uint64                             { return 0 }
func rawGrpcCall() uint32                                { return 0 }
func rawAddHeaderMapValue(uint32, string, string) uint32 { return 0 }
