package envoyfilter

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/exeunt/exeunt/core"
)

// Requests paused on a core.Wait (a sign-out waiting for the fleet's acknowledgements,
// core/store_etcd_barrier.go) are resumed from the plugin context: at every tick, and
// after the answer of any background call, the engine is asked again with the time.
//
// The host acts on the stream only while the stream's context is the effective one.
// From the root context's callbacks (a tick; the answer of a call dispatched from one,
// which the SDK attributes to the root context) the glue makes it so with
// proxy_set_effective_context, exactly as the SDK itself does before it hands a stream
// its call's answer (proxy-wasm-go-sdk v0.24.0, internal/abi_callback_l7.go,
// proxyOnHttpCallResponse). Envoy answers BadArgument for a context that no longer exists
// (proxy-wasm-cpp-host src/exports.cc, set_effective_context: getContext(cid) == nullptr);
// hostsim does the same (hostsim/abi_stream.go). Such a request went away (the client
// closed it): its wait is dropped, nothing is answered.

// pollWaits asks the engine again about every waiting request, then makes the root
// context effective again for what the callback does next.
func (p *pluginContext) pollWaits() {
	if len(p.waiting) == 0 {
		return
	}
	waiting := p.waiting
	p.waiting = nil
	now := time.Now()
	for _, h := range waiting {
		w := h.wait
		h.wait = nil
		if w == nil || h.state != held {
			continue
		}
		if !h.effective() {
			h.state = answered // gone: never resumed, never reused
			continue
		}
		h.resume(w.Then(now))
	}
	if err := proxywasm.SetEffectiveContext(p.id); err != nil {
		proxywasm.LogErrorf("exeunt: cannot make the plugin context effective again: %v", err)
	}
}

// effective makes the stream's context the effective one; false when the host no longer
// has it.
func (h *httpContext) effective() bool {
	if err := proxywasm.SetEffectiveContext(h.id); err != nil {
		proxywasm.LogDebugf("exeunt: a paused request went away before its answer (context %d): %v", h.id, err)
		return false
	}
	return true
}

// resumeAnywhere is resume for a call's answer that may arrive in the root context's
// callback (a call dispatched while the request was resumed from a tick).
func (h *httpContext) resumeAnywhere(d core.Decision) {
	if !h.effective() {
		h.state = answered
		return
	}
	h.resume(d)
}
