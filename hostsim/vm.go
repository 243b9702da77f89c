package hostsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// rootContextID is the id of each VM's root (plugin) context. Envoy gives
// the root context the first id of the VM; stream contexts follow.
const rootContextID = 1

// vm is one instance of the module: its own linear memory and contexts. All
// calls into it are serialized by mu, as a worker thread serializes them in
// Envoy; host functions run with mu held, on the calling goroutine.
type vm struct {
	host  *Host
	index int
	mod   api.Module
	ctx   context.Context // carries the vm to host functions
	fns   guestFuncs

	mu        sync.Mutex
	nextID    uint32
	effective uint32 // the context host calls act on
	streams   map[uint32]*stream
	props     map[string][]byte // set_property on the root context
	broken    error             // set once the guest trapped or exited

	// Buffers and maps that exist only during one callback.
	vmConfig     []byte // during proxy_on_vm_start
	pluginConfig []byte // during proxy_on_configure
	callResp     *callResponse
	doneCalled   bool // proxy_done seen

	tickMu     sync.Mutex
	tickPeriod time.Duration
	nextTick   time.Time
	tickStop   chan struct{}

	output *tailBuffer // the guest's stdout and stderr, for error reports

	// phase and allowed restrict the host functions the guest may call
	// (allowed nil: all), as cpp-host does during _initialize and during
	// proxy_on_memory_allocate (see checkAllowed in wasi.go).
	phase   string
	allowed map[string]bool
}

type vmKey struct{}

func vmFrom(ctx context.Context) *vm { return ctx.Value(vmKey{}).(*vm) }

// guestFuncs are the guest's exports this host calls; a missing optional
// callback is skipped, as Envoy skips it.
type guestFuncs struct {
	initialize, alloc, contextCreate, vmStart, configure, tick, queueReady,
	requestHeaders, requestBody, requestTrailers,
	responseHeaders, responseBody, responseTrailers,
	httpCallResponse, done, log, delete api.Function
}

func (h *Host) startVM(ctx context.Context, i int) (*vm, error) {
	v := &vm{host: h, index: i, nextID: rootContextID + 1, streams: map[uint32]*stream{}, props: map[string][]byte{}, output: newTailBuffer(64 << 10)}
	v.ctx = context.WithValue(context.Background(), vmKey{}, v)
	cfg := wazero.NewModuleConfig().
		WithName(fmt.Sprintf("vm-%d", i)).
		// Envoy calls _initialize itself (and main when there is one); a
		// wazero default would call _start, which a reactor lacks.
		WithStartFunctions()
	mod, err := h.runtime.InstantiateModule(v.ctx, h.module.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("hostsim: VM %d: instantiating the module: %w", i, err)
	}
	v.mod = mod
	f := mod.ExportedFunction
	v.fns = guestFuncs{
		initialize: f("_initialize"), alloc: f("proxy_on_memory_allocate"),
		contextCreate: f("proxy_on_context_create"), vmStart: f("proxy_on_vm_start"),
		configure: f("proxy_on_configure"), tick: f("proxy_on_tick"), queueReady: f("proxy_on_queue_ready"),
		requestHeaders: f("proxy_on_request_headers"), requestBody: f("proxy_on_request_body"),
		requestTrailers: f("proxy_on_request_trailers"), responseHeaders: f("proxy_on_response_headers"),
		responseBody: f("proxy_on_response_body"), responseTrailers: f("proxy_on_response_trailers"),
		httpCallResponse: f("proxy_on_http_call_response"), done: f("proxy_on_done"),
		log: f("proxy_on_log"), delete: f("proxy_on_delete"),
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.initialize(); err != nil {
		return nil, err
	}
	v.effective = rootContextID
	if _, err := v.call(v.fns.contextCreate, "proxy_on_context_create", rootContextID, 0); err != nil {
		return nil, err
	}
	v.vmConfig = h.opts.VMConfig
	ok, err := v.call(v.fns.vmStart, "proxy_on_vm_start", rootContextID, uint64(len(h.opts.VMConfig)))
	v.vmConfig = nil
	if err != nil {
		return nil, err
	}
	if v.fns.vmStart != nil && uint32(ok) == 0 {
		return nil, h.startError(v, "proxy_on_vm_start")
	}
	v.pluginConfig = h.opts.PluginConfig
	ok, err = v.call(v.fns.configure, "proxy_on_configure", rootContextID, uint64(len(h.opts.PluginConfig)))
	v.pluginConfig = nil
	if err != nil {
		return nil, err
	}
	if v.fns.configure != nil && uint32(ok) == 0 {
		return nil, h.startError(v, "proxy_on_configure")
	}
	return v, nil
}

// initialize runs the module's start functions as cpp-host's
// WasmBase::startVm does (src/wasm.cc): _initialize, then main(0, 0) when the
// module exports one (C++/Rust guests; a Go c-shared module has none), else
// __main_void on hosts that call it, all with only the profile's
// DuringInitialize host functions allowed.
func (v *vm) initialize() error {
	p := v.host.profile
	defer v.restrict("_initialize", set(p.DuringInitialize))()
	if _, err := v.call(v.fns.initialize, "_initialize"); err != nil {
		return err
	}
	if main := v.mod.ExportedFunction("main"); main != nil {
		_, err := v.call(main, "main", 0, 0)
		return err
	}
	if mv := v.mod.ExportedFunction("__main_void"); mv != nil && p.CallsMainVoid {
		_, err := v.call(mv, "__main_void")
		return err
	}
	return nil
}

// call invokes a guest export with mu held. A missing export is a no-op
// returning 0. A trap, a Go panic (which ends in proc_exit) or any other
// failure breaks the VM for good, as in Envoy, and comes back as a
// *GuestError carrying the guest's last output.
func (v *vm) call(fn api.Function, name string, args ...uint64) (uint64, error) {
	if v.broken != nil {
		return 0, v.broken
	}
	if fn == nil {
		return 0, nil
	}
	if trace := v.host.opts.OnGuestCall; trace != nil {
		trace(v.index, name, args)
	}
	var start time.Time
	if v.host.opts.OnGuestReturn != nil {
		start = time.Now()
		defer func() { v.host.opts.OnGuestReturn(v.index, name, time.Since(start)) }()
	}
	res, err := fn.Call(v.ctx, args...)
	if err != nil {
		v.broken = &GuestError{VM: v.index, Function: name, Err: err, Output: v.output.String()}
		return 0, v.broken
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// GuestError reports a guest that trapped, panicked or exited during a
// callback. The VM that raised it accepts no further calls.
type GuestError struct {
	VM       int
	Function string
	Err      error
	// Output is the tail of what the guest wrote to stdout and stderr; a
	// Go panic's message and stack trace are there.
	Output string
}

func (e *GuestError) Error() string {
	msg := fmt.Sprintf("hostsim: VM %d: the guest failed in %s: %v", e.VM, e.Function, e.Err)
	if e.Output != "" {
		msg += "\nguest output:\n" + e.Output
	}
	return msg
}

func (e *GuestError) Unwrap() error { return e.Err }

// withContext sets the effective context for one callback, as Envoy does
// before every call into the guest.
func (v *vm) withContext(id uint32) { v.effective = id }

// --- guest memory helpers, used by the host functions ---

var errMemory = errors.New("hostsim: guest memory access out of range")

func (v *vm) read(ptr, size uint32) ([]byte, bool) {
	if size == 0 {
		return nil, true
	}
	return v.mod.Memory().Read(ptr, size)
}

func (v *vm) readString(ptr, size uint32) (string, bool) {
	b, ok := v.read(ptr, size)
	return string(b), ok
}

// writeOut hands data to the guest the way Envoy does: memory allocated by
// the guest's proxy_on_memory_allocate (a re-entrant call), filled, and its
// address and size stored at ptrPtr and sizePtr.
func (v *vm) writeOut(ctx context.Context, data []byte, ptrPtr, sizePtr uint32) Status {
	var addr uint32
	if len(data) > 0 {
		// cpp-host allows only a few host calls while the guest allocates for
		// it (include/proxy-wasm/wasm.h, WasmBase::allocMemory).
		undo := v.restrict("proxy_on_memory_allocate", v.host.allowedDuringAllocate)
		res, err := v.fns.alloc.Call(ctx, uint64(len(data)))
		undo()
		if err != nil {
			panic(fmt.Errorf("hostsim: proxy_on_memory_allocate(%d) failed: %w", len(data), err))
		}
		addr = uint32(res[0])
		if addr == 0 || !v.mod.Memory().Write(addr, data) {
			return StatusInvalidMemoryAccess
		}
	}
	mem := v.mod.Memory()
	if !mem.WriteUint32Le(ptrPtr, addr) || !mem.WriteUint32Le(sizePtr, uint32(len(data))) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func (v *vm) writeU32(ptr, val uint32) Status {
	if !v.mod.Memory().WriteUint32Le(ptr, val) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func (v *vm) writeU64(ptr uint32, val uint64) Status {
	if !v.mod.Memory().WriteUint64Le(ptr, val) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
