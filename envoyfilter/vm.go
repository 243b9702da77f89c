package envoyfilter

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// engine is what the glue asks of core.Engine. It is an interface so that the glue's
// tests can script decisions that core does not make yet.
type engine interface {
	OnRequestHeaders(r core.Request, now time.Time) core.Decision
	OnRequestBody(r core.Request, body []byte, tooLarge bool, now time.Time) core.Decision
	Start(now time.Time) []*core.Call
	OnTick(now time.Time) []*core.Call
	TickPeriod() time.Duration
	FilterResponseCookies(r core.Request, setCookies []string, now time.Time) (keep []string, dropped bool)
	StrippedTrailers(trailers []core.Header) []string
}

// NewVMContext returns the filter's VM context, for proxywasm.SetVMContext.
func NewVMContext() types.VMContext {
	return &vmContext{newEngine: newCoreEngine, requestHeaders: proxywasm.GetHttpRequestHeaders}
}

type vmContext struct {
	types.DefaultVMContext
	// newEngine makes a plugin's engine from its configuration (nil: none given).
	newEngine func(config []byte) (engine, error)
	// requestHeaders reads the request headers from the host (nil: the SDK's
	// proxywasm.GetHttpRequestHeaders). Tests make it fail, which the emulator never does.
	requestHeaders func() ([][2]string, error)
	// vmConfigured: the host gave the VM a configuration (vm_config.configuration), which
	// Exeunt does not read; see OnPluginStart.
	vmConfigured bool
}

// OnVMStart notes whether the VM was given a configuration of its own.
func (v *vmContext) OnVMStart(vmConfigurationSize int) types.OnVMStartStatus {
	v.vmConfigured = vmConfigurationSize > 0
	return types.OnVMStartStatusOK
}

func (v *vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	read := v.requestHeaders
	if read == nil {
		read = proxywasm.GetHttpRequestHeaders
	}
	// The host creates the root context before it starts the VM (proxy_on_context_create,
	// then proxy_on_vm_start), so the plugin reads the flag when it starts, not now.
	return &pluginContext{id: contextID, newEngine: v.newEngine, requestHeaders: read, vmConfigured: &v.vmConfigured}
}

// newCoreEngine parses the plugin configuration and starts a core.Engine on it, with
// shared data as its store and Proxy-Wasm counters as its metrics.
func newCoreEngine(config []byte) (engine, error) {
	cfg, err := core.ParseConfig(config)
	if err != nil {
		return nil, err
	}
	e, err := core.NewEngine(cfg, sharedStore{}, proxywasm.LogInfo)
	if err != nil {
		return nil, err
	}
	if cfg.SignInEnabled() && cfg.Keys.DevGenerate {
		// Said at start, so that a development setting kept in production is seen.
		proxywasm.LogWarn("exeunt: keys.dev_generate: this Envoy generated its own cookie-sealing and token-signing keys, which change when it restarts (signing everyone out) and differ from any other Envoy's (each refuses the others' cookies); for development only: configure keys.sealing and keys.signing in production")
	}
	if !cfg.SignInEnabled() {
		// Said at start, so that a configuration that lost its sign-in settings is seen.
		proxywasm.LogWarn("exeunt: pass-through mode: no issuer, providers or clients are configured, so nobody is signed in and every request passes without a session (identity headers are still stripped; health_path and ready_path are answered)")
	}
	e.UseMetrics(newCounters())
	return e, nil
}

// passThrough reports whether the plugin configuration data puts the filter in
// pass-through mode: empty, or one that turns no sign-in on ({}, say). A configuration
// that does not parse is not: starting the engine reports its error.
func passThrough(data []byte) bool {
	if len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	cfg, err := core.ParseConfig(data)
	return err == nil && !cfg.SignInEnabled()
}

// pluginContext is one configured instance of the filter (one per filter in envoy.yaml
// and worker thread).
type pluginContext struct {
	types.DefaultPluginContext
	id             uint32 // the root context's id
	newEngine      func([]byte) (engine, error)
	requestHeaders func() ([][2]string, error)
	engine         engine // nil until OnPluginStart has accepted the configuration
	vmConfigured   *bool  // the VM has a configuration of its own (vmContext.vmConfigured)

	// wakeQueue is this plugin context's own shared queue (if haveQueue): enqueuing to
	// it makes the host call OnQueueReady on this context, from where background calls
	// are dispatched. pending holds the calls waiting for that.
	wakeQueue uint32
	haveQueue bool
	pending   []*core.Call

	// tick is the tick period last set with the host.
	tick time.Duration

	// waiting are the requests paused on a core.Wait, asked again at every tick
	// (wait.go).
	waiting []*httpContext

	// idle are HTTP contexts whose streams have ended, reused by the next streams: an
	// httpContext is the one allocation of its size per request, and in a Go guest an
	// allocation and the collection it leads to cost more than the request's own
	// decision does (BENCHMARKS.md, "Issue 15: the signed-in request's own work").
	idle []*httpContext
}

// retick follows the engine's wish for the tick period: short while it has
// back-channel deliveries due soon, relaxed otherwise. It is asked at plugin start and
// after every callback that may have changed that (a request, a tick, a call's answer).
func (p *pluginContext) retick() {
	if p.engine == nil {
		return
	}
	if err := p.setTick(); err != nil {
		proxywasm.LogWarnf("exeunt: %v", err)
	}
}

// setTick sets the host's tick period to the engine's wish, if that changed.
func (p *pluginContext) setTick() error {
	period := p.engine.TickPeriod()
	if period <= 0 || period == p.tick {
		return nil
	}
	if err := proxywasm.SetTickPeriodMilliSeconds(uint32(period / time.Millisecond)); err != nil {
		return fmt.Errorf("cannot set the tick period to %s: %w", period, err)
	}
	p.tick = period
	return nil
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) { // not found: no configuration, all defaults
		proxywasm.LogCriticalf("exeunt configuration: cannot read the plugin configuration from the host: %v", err)
		return types.OnPluginStartStatusFailed
	}
	// A plugin configuration in pass-through mode lets every request through. Beside a VM
	// configuration it is almost surely Exeunt's configuration written one level too deep
	// in envoy.yaml, with the plugin's left empty or as a placeholder ({}): refuse to start
	// (Envoy then fails closed) rather than pass everything.
	if p.vmConfigured != nil && *p.vmConfigured && passThrough(data) {
		proxywasm.LogCritical("exeunt configuration: the plugin configuration (config.configuration of the wasm filter) signs nobody in (it is empty, or names no issuer, providers and clients: pass-through mode), but the VM has one (config.vm_config.configuration), which Exeunt does not read: move Exeunt's configuration to config.configuration (Istio WasmPlugin: spec.pluginConfig; Envoy Gateway: spec.wasm[].config); for pass-through mode, remove vm_config.configuration")
		return types.OnPluginStartStatusFailed
	}
	e, err := p.newEngine(data)
	if err != nil {
		proxywasm.LogCritical(err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.engine = e
	// Without ticks, provider keys would never be refreshed: a plugin that cannot have
	// them does not start.
	if err := p.setTick(); err != nil {
		proxywasm.LogCriticalf("exeunt: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.registerWakeQueue()
	// The engine's start work (a fleet store's first follow, deliveries already due)
	// leaves now rather than at the first tick.
	for _, c := range e.Start(time.Now()) {
		p.runInBackground(c)
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
		p.runInBackground(c)
	}
	p.pollWaits()
	p.retick()
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	if n := len(p.idle); n > 0 {
		h := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		*h = httpContext{plugin: p, engine: p.engine, id: contextID}
		return h
	}
	return &httpContext{plugin: p, engine: p.engine, id: contextID}
}

// maxIdleContexts bounds the HTTP contexts a plugin context keeps for reuse: about the
// streams one worker has open at once.
const maxIdleContexts = 64

// Background calls.
//
// A call dispatched during an HTTP stream's callback belongs, for the SDK, to that
// stream: when its answer arrives after the stream has been deleted (the usual case for
// a call that does not hold the request), the SDK drops the answer without calling
// back. So calls that must outlive their request are not dispatched from the stream's
// callback: they are queued in the plugin context, which wakes itself through its own
// shared queue and dispatches them from OnQueueReady, where the SDK attributes them to
// the plugin context. Envoy delivers the queue notification on the same worker as soon
// as the current callback returns, so the calls still leave at once.

// registerWakeQueue registers the plugin context's own queue. Envoy keys queues by VM
// id and name, and every worker's VM has the same VM id, so the name is random.
func (p *pluginContext) registerWakeQueue() {
	var id [12]byte
	rand.Read(id[:])
	q, err := proxywasm.RegisterSharedQueue("exeunt.background." + hex.EncodeToString(id[:]))
	if err != nil {
		proxywasm.LogWarnf("exeunt: cannot register a shared queue (%v); calls made for a request that outlive it may lose their answer", err)
		return
	}
	p.wakeQueue, p.haveQueue = q, true
}

// background has calls made without holding the request that asked for them.
func (p *pluginContext) background(calls []*core.Call) {
	if len(calls) == 0 {
		return
	}
	if !p.haveQueue {
		for _, c := range calls {
			p.runInBackground(c)
		}
		return
	}
	wake := len(p.pending) == 0 // else a wake-up is already on its way
	p.pending = append(p.pending, calls...)
	if wake {
		if err := proxywasm.EnqueueSharedQueue(p.wakeQueue, []byte{1}); err != nil {
			proxywasm.LogWarnf("exeunt: cannot wake the plugin context (%v); making the calls from the request", err)
			p.dispatchPending()
		}
	}
}

// OnQueueReady dispatches the pending background calls.
func (p *pluginContext) OnQueueReady(queueID uint32) {
	if !p.haveQueue || queueID != p.wakeQueue {
		return
	}
	// Empty the queue: the host keeps what is enqueued until someone dequeues it.
	for {
		if _, err := proxywasm.DequeueSharedQueue(queueID); err != nil {
			break
		}
	}
	p.dispatchPending()
}

func (p *pluginContext) dispatchPending() {
	calls := p.pending
	p.pending = nil
	for _, c := range calls {
		p.runInBackground(c)
	}
}

// runInBackground makes a call that belongs to no request, then follows what its
// result leads to: more calls (discovery, then the JWKS it names; a retry), made in
// the background too. Nothing else of that decision applies, as there is no request to
// answer. The plugin context's tick period is then brought up to date (each plugin
// context has its own engine, so two filter configurations in one VM do not mix).
func (p *pluginContext) runInBackground(c *core.Call) {
	dispatch(c, p.followInBackground)
}

func (p *pluginContext) followInBackground(d core.Decision) {
	defer p.retick()
	// A background answer may be what a waiting request waits for (the members'
	// acknowledgements read by another request's barrier).
	defer p.pollWaits()
	if d.Call != nil {
		p.runInBackground(d.Call)
	}
	for _, c := range d.Background {
		p.runInBackground(c)
	}
}
