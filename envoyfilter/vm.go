package envoyfilter

import (
	"errors"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// NewVMContext returns the filter's VM context, for proxywasm.SetVMContext.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

// pluginContext is one configured instance of the filter (one per filter in envoy.yaml
// and worker thread).
type pluginContext struct {
	types.DefaultPluginContext
	engine *core.Engine // nil until OnPluginStart has accepted the configuration
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) { // not found: no configuration, all defaults
		proxywasm.LogCriticalf("exeunt configuration: cannot read the plugin configuration from the host: %v", err)
		return types.OnPluginStartStatusFailed
	}
	cfg, err := core.ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical(err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.engine = core.NewEngine(cfg, sharedStore{})
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{engine: p.engine}
}
