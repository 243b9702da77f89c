package hostsim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// Host runs one Proxy-Wasm plugin in one or more VMs, as an Envoy listener
// with a wasm filter does. Create it with New; Close it when done.
type Host struct {
	opts    Options
	profile EnvoyProfile
	// allowedDuringAllocate is profile.DuringAllocate as a lookup table.
	allowedDuringAllocate map[string]bool
	runtime               wazero.Runtime
	module                *Module
	vms                   []*vm
	next                  atomic.Uint32 // round-robin over vms

	shared  sharedData
	queues  sharedQueues
	metrics metricStore

	logMu sync.Mutex
	logs  []LogEntry

	unimplMu sync.Mutex
	unimpl   []string

	// async counts work started outside a guest call that will call back
	// into a VM later (HTTP callouts, queue notifications), so WaitIdle can
	// wait for it.
	async sync.WaitGroup

	// streams counts the Do calls under way; Close waits for them, since
	// freeing the runtime under a running guest call would crash. closeMu
	// orders their start against Close: none starts once closed is closed.
	streams   sync.WaitGroup
	closeMu   sync.RWMutex
	closeOnce sync.Once
	closed    chan struct{}
}

// LogEntry is one proxy_log call of the guest.
type LogEntry struct {
	VM      int
	Level   LogLevel
	Message string
}

// New compiles bin (through the shared compilation cache), checks its
// imports against the host profile of opts.Envoy, runs the throwaway canary
// VM cpp-host runs first, then starts opts.VMs VMs and runs each through
// Envoy's start sequence: _initialize, proxy_on_context_create for the root
// context, proxy_on_vm_start with the VM configuration and
// proxy_on_configure with the plugin configuration. A plugin that refuses
// to start (as a filter does with a bad configuration) is an error carrying
// the plugin's own error and critical log lines.
func New(ctx context.Context, bin []byte, opts Options) (*Host, error) {
	opts = opts.withDefaults()
	profile, err := Profile(opts.Envoy)
	if err != nil {
		return nil, err
	}
	h := &Host{opts: opts, profile: profile, allowedDuringAllocate: set(profile.DuringAllocate), closed: make(chan struct{})}
	cache, err := compilationCache(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	h.runtime = newRuntime(ctx, cache)
	h.shared.init()
	h.queues.init()
	h.metrics.init()
	fail := func(err error) (*Host, error) {
		h.Close()
		return nil, err
	}
	if err := h.instantiateWASI(ctx); err != nil {
		return fail(err)
	}
	if err := h.instantiateEnv(ctx); err != nil {
		return fail(err)
	}
	m, err := compile(ctx, h.runtime, bin)
	if err != nil {
		return fail(err)
	}
	h.module = m
	if err := h.checkImports(m); err != nil {
		return fail(err)
	}
	if err := h.runCanary(ctx); err != nil {
		return fail(err)
	}
	for i := 0; i < opts.VMs; i++ {
		v, err := h.startVM(ctx, i)
		if err != nil {
			return fail(err)
		}
		h.vms = append(h.vms, v)
	}
	if mc, ok := opts.Clock.(*ManualClock); ok {
		mc.onAdvance(h.manualTick)
	}
	return h, nil
}

// Profile is the host profile (the Envoy generation) this host follows.
func (h *Host) Profile() EnvoyProfile { return h.profile }

// ABI is the ABI version the hosted module declared.
func (h *Host) ABI() ABIVersion { return h.module.ABI }

// VMCount is the number of VMs running the plugin.
func (h *Host) VMCount() int { return len(h.vms) }

// Close stops every VM and frees the runtime. It is safe to call twice, and
// while streams, ticks and callouts are under way: a stream stops at its
// next step with ErrClosed (one waiting for its upstream handler first
// waits for that handler to return), and Close returns once none runs.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.closeMu.Lock()
		close(h.closed)
		h.closeMu.Unlock()
		h.streams.Wait()
		for _, v := range h.vms {
			v.stopTicker()
		}
		// Wait out the guest calls under way: those that start later see
		// closed and start no new asynchronous work, so async.Wait below
		// never runs alongside an async.Add from zero.
		for _, v := range h.vms {
			v.mu.Lock()
			v.mu.Unlock()
		}
		h.async.Wait()
		h.runtime.Close(context.Background())
	})
	return nil
}

// WaitIdle waits until no HTTP callout or queue notification is under way,
// so a test can assert on what they did.
func (h *Host) WaitIdle() { h.async.Wait() }

// Logs returns the guest's log entries recorded so far, in order.
func (h *Host) Logs() []LogEntry {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return append([]LogEntry(nil), h.logs...)
}

// Unimplemented returns the names of host functions the guest called that
// this host does not implement, in call order.
func (h *Host) Unimplemented() []string {
	h.unimplMu.Lock()
	defer h.unimplMu.Unlock()
	return append([]string(nil), h.unimpl...)
}

// MemoryBytes returns the size of each VM's linear memory in bytes.
func (h *Host) MemoryBytes() []uint64 {
	out := make([]uint64, len(h.vms))
	for i, v := range h.vms {
		v.mu.Lock()
		out[i] = uint64(v.mod.Memory().Size())
		v.mu.Unlock()
	}
	return out
}

// startStream registers a Do call, or reports that the host is closed.
func (h *Host) startStream() bool {
	h.closeMu.RLock()
	defer h.closeMu.RUnlock()
	if h.isClosed() {
		return false
	}
	h.streams.Add(1)
	return true
}

func (h *Host) isClosed() bool {
	select {
	case <-h.closed:
		return true
	default:
		return false
	}
}

func (h *Host) pickVM() *vm {
	return h.vms[int(h.next.Add(1)-1)%len(h.vms)]
}

func (h *Host) log(v *vm, level LogLevel, msg string) {
	if level < h.opts.LogLevel {
		return
	}
	e := LogEntry{VM: v.index, Level: level, Message: msg}
	h.logMu.Lock()
	h.logs = append(h.logs, e)
	if max := h.opts.MaxLogs; max > 0 && len(h.logs) > 2*max {
		// Trim in batches, so that appending stays cheap.
		h.logs = append([]LogEntry(nil), h.logs[len(h.logs)-max:]...)
	}
	h.logMu.Unlock()
	if h.opts.OnLog != nil {
		h.opts.OnLog(e)
	}
}

func (h *Host) reportUnimplemented(name string) {
	h.unimplMu.Lock()
	if max := h.opts.MaxLogs; max == 0 || len(h.unimpl) < max {
		h.unimpl = append(h.unimpl, name)
	}
	h.unimplMu.Unlock()
	if h.opts.OnUnimplemented != nil {
		h.opts.OnUnimplemented(name)
	}
}

// startError explains why a plugin did not start, quoting what it logged at
// error level or above, since that is where a filter says what is wrong.
func (h *Host) startError(v *vm, what string) error {
	var lines []string
	for _, e := range h.Logs() {
		if e.VM == v.index && e.Level >= LogError {
			lines = append(lines, e.Level.String()+": "+e.Message)
		}
	}
	msg := fmt.Sprintf("hostsim: VM %d: %s returned false: the plugin refused to start", v.index, what)
	if len(lines) > 0 {
		msg += "; it logged:\n  " + strings.Join(lines, "\n  ")
	}
	return &StartError{msg: msg, Logs: lines}
}

// StartError is returned by New when the plugin refused to start.
type StartError struct {
	msg string
	// Logs holds the plugin's error and critical log lines.
	Logs []string
}

func (e *StartError) Error() string { return e.msg }

// ErrClosed is returned for work asked of a closed Host.
var ErrClosed = errors.New("hostsim: host closed")

// ErrStreamTimeout is wrapped by the error of a stream that the filter
// paused and did not resume within Options.StreamTimeout (where Envoy's
// stream idle timeout would end it).
var ErrStreamTimeout = errors.New("stream timeout")

// checkImports refuses, with Envoy's own message, a module importing a
// function the profile's host does not register, or one whose signature
// differs from the host's (src/v8/v8.cc@09e5f8d, the same at beb8a4ec:
// V8::link).
func (h *Host) checkImports(m *Module) error {
	if missing := h.profile.MissingImports(m.ABI, m.Imports); len(missing) > 0 {
		return &ImportError{Envoy: h.profile.Envoy, CppHost: h.profile.CppHost, Missing: missing}
	}
	for _, f := range m.compiled.ImportedFunctions() {
		module, name, _ := f.Import()
		params, results := h.hostSignature(module, name)
		if params == nil && results == nil {
			continue
		}
		if !sameTypes(f.ParamTypes(), params) || !sameTypes(f.ResultTypes(), results) {
			return fmt.Errorf("hostsim (as Envoy %s): Failed to load Wasm module due to an import type mismatch: %s.%s", h.profile.Envoy, module, name)
		}
	}
	return nil
}

// hostSignature returns the signature hostsim registered for an import
// (both nil when it has none to compare).
func (h *Host) hostSignature(module, name string) (params, results []byte) {
	def := func(ps, rs []byte) ([]byte, []byte) {
		if ps == nil {
			ps = []byte{}
		}
		return ps, rs
	}
	switch module {
	case "wasi_snapshot_preview1", "wasi_unstable":
		f, ok := wasiFunctions(h.profile)[name]
		if !ok {
			return nil, nil
		}
		var rs []byte
		if name != "proc_exit" {
			rs = []byte{0x7f}
		}
		return def(valueTypes(f.sig), rs)
	case "env":
		for _, f := range hostFuncs {
			if f.name == name {
				return def(valueTypes(f.sig), []byte{0x7f})
			}
		}
		for _, f := range emscriptenFuncs {
			if f.name == name {
				return def(valueTypes(f.sig), valueTypes(f.results))
			}
		}
	}
	return nil, nil
}

func sameTypes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ImportError is New's error for a module that imports what the profile's
// Envoy does not provide: that Envoy would refuse to load it.
type ImportError struct {
	Envoy, CppHost string
	Missing        []string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("hostsim (as Envoy %s, proxy-wasm-cpp-host %.7s): Failed to load Wasm module due to a missing import: %s (the module imports %d function(s) this Envoy does not provide: %s)",
		e.Envoy, e.CppHost, e.Missing[0], len(e.Missing), strings.Join(e.Missing, ", "))
}

// runCanary does what cpp-host does before it starts a plugin's VMs
// (src/wasm.cc@09e5f8d, the same at beb8a4ec: WasmHandleBase::canary, called
// from createWasm): it starts
// a throwaway VM through _initialize, proxy_on_vm_start and
// proxy_on_configure, and refuses the plugin if that fails; then it kills
// the VM without proxy_on_done or proxy_on_delete. Its logs carry VM -1.
// What it writes to shared data or queues stays, as in Envoy.
func (h *Host) runCanary(ctx context.Context) error {
	c, err := h.startVM(ctx, canaryVM)
	if c != nil {
		defer h.killVM(ctx, c)
	}
	if err != nil {
		return fmt.Errorf("hostsim: the canary VM (Envoy's configuration check) failed, so Envoy would refuse this plugin: %w", err)
	}
	return nil
}

// canaryVM is the index of the canary VM in logs and errors.
const canaryVM = -1

// killVM ends a VM as cpp-host's kill does: no further callbacks reach it.
func (h *Host) killVM(ctx context.Context, v *vm) {
	v.stopTicker()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.broken == nil {
		v.broken = errKilled
	}
	v.mod.Close(ctx)
}

var errKilled = errors.New("hostsim: the VM was killed (the canary VM never runs callbacks after its configuration check)")
