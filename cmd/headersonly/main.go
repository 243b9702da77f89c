// Command headersonly is the second baseline of the signed-in request benchmark: a
// Proxy-Wasm module built exactly like cmd/exeunt that does only the host work the
// filter cannot skip on such a request, and decides nothing. It reads every request
// header (the filter must: to find the session cookie and to strip forged identity
// headers), removes the identity headers a request brought, and sets the identity
// headers it is configured with, which the benchmark takes from what the filter really
// set. Measured beside cmd/noop, it shows how much of the filter's cost is the ABI work
// itself (see BENCHMARKS.md); it is not part of Exeunt.
//
// Plugin configuration: a JSON array of [name, value] pairs to set on every request.
package main

import (
	"encoding/json"

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
	set [][2]string
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		proxywasm.LogCriticalf("headersonly: no plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if err := json.Unmarshal(data, &p.set); err != nil {
		proxywasm.LogCriticalf("headersonly: the configuration must be a JSON array of [name, value] pairs: %v", err)
		return types.OnPluginStartStatusFailed
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext { return &httpContext{set: p.set} }

type httpContext struct {
	types.DefaultHttpContext
	set [][2]string
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	pairs, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		proxywasm.LogErrorf("headersonly: cannot read the request headers: %v", err)
	}
	for _, p := range pairs {
		for _, s := range h.set {
			if p[0] == s[0] {
				_ = proxywasm.RemoveHttpRequestHeader(p[0])
			}
		}
	}
	for _, s := range h.set {
		if err := proxywasm.ReplaceHttpRequestHeader(s[0], s[1]); err != nil {
			proxywasm.LogErrorf("headersonly: cannot set %s: %v", s[0], err)
		}
	}
	return types.ActionContinue
}
