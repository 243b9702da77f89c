// Command noop is the do-nothing baseline: a Proxy-Wasm module built exactly like
// cmd/exeunt, whose every callback continues. Benchmarked against it, the filter's cost
// is its own work, not the price of running Go in a Wasm VM.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// A c-shared module never runs main: the host calls _initialize, which runs init
// functions only.
func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct {
	types.DefaultPluginContext
}

// NewHttpContext creates a context per stream, as the filter does, so that both pay for
// the same SDK bookkeeping.
func (*pluginContext) NewHttpContext(uint32) types.HttpContext { return &types.DefaultHttpContext{} }
