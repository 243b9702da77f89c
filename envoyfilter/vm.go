package envoyfilter

import (
	"errors"
	"time"

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
	engine, err := core.NewEngine(cfg, sharedStore{}, proxywasm.LogInfo)
	if err != nil {
		proxywasm.LogCritical(err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.engine = engine
	if period := engine.TickPeriod(); period > 0 {
		if err := proxywasm.SetTickPeriodMilliSeconds(uint32(period / time.Millisecond)); err != nil {
			proxywasm.LogCriticalf("exeunt: cannot set the tick period: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	return types.OnPluginStartStatusOK
}

// OnTick runs the engine's background work: provider metadata and keys refreshed
// through HTTP calls.
func (p *pluginContext) OnTick() {
	if p.engine == nil {
		return
	}
	for _, c := range p.engine.OnTick(time.Now()) {
		runInBackground(c)
	}
}

// runInBackground makes a call that belongs to no request, following the chain of calls
// its results lead to (discovery, then the JWKS it names).
func runInBackground(c *core.Call) {
	dispatch(c, func(d core.Decision) {
		if d.Call != nil {
			runInBackground(d.Call)
		}
	})
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{engine: p.engine}
}
