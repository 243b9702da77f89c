// Command hostsim-fixture is a small Proxy-Wasm guest, built like the real
// filter (standard Go, wasip1, the SDK bridge), whose only purpose is to
// exercise every host function hostsim offers so that hostsim's own tests
// can check each one through a real guest. Each request path names one
// experiment; results come back as JSON bodies, response headers or shared
// data. It is test equipment, never shipped.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct{ types.DefaultVMContext }

var vmConfig string

func (*vmContext) OnVMStart(size int) types.OnVMStartStatus {
	b, err := proxywasm.GetVMConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("reading the vm configuration: %v", err)
		return types.OnVMStartStatusFailed
	}
	vmConfig = string(b)
	return types.OnVMStartStatusOK
}

func (*vmContext) NewPluginContext(id uint32) types.PluginContext {
	return &pluginContext{id: id}
}

type pluginContext struct {
	types.DefaultPluginContext
	id      uint32
	queue   uint32
	counter proxywasm.MetricCounter
	gauge   proxywasm.MetricGauge
	histo   proxywasm.MetricHistogram
	calls   map[uint32]string
	// parked are streams paused by /answer-on-tick, answered by the next tick.
	parked []uint32
}

// OnPluginStart reads a configuration of the form "key=value;key=value".
// fail=yes refuses to start; tick=N sets a tick period of N ms.
func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	raw, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCriticalf("reading the plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	cfg, _ := url.ParseQuery(strings.ReplaceAll(string(raw), ";", "&"))
	if cfg.Get("fail") == "yes" {
		proxywasm.LogCritical("fixture: refusing to start because fail=yes")
		return types.OnPluginStartStatusFailed
	}
	if ms, _ := strconv.Atoi(cfg.Get("tick")); ms > 0 {
		if err := proxywasm.SetTickPeriodMilliSeconds(uint32(ms)); err != nil {
			proxywasm.LogCriticalf("set tick period: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	if p.queue, err = proxywasm.RegisterSharedQueue("fixture-queue"); err != nil {
		proxywasm.LogCriticalf("register queue: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.counter = proxywasm.DefineCounterMetric("fixture.requests")
	p.gauge = proxywasm.DefineGaugeMetric("fixture.gauge")
	p.histo = proxywasm.DefineHistogramMetric("fixture.histogram")
	proxywasm.LogInfof("fixture started: vm_config=%q plugin_config=%q", vmConfig, raw)
	return types.OnPluginStartStatusOK
}

// OnTick counts ticks in shared data, retrying on CAS conflicts with other
// VMs.
func (p *pluginContext) OnTick() {
	p.answerParked()
	for {
		v, cas, err := proxywasm.GetSharedData("ticks")
		n := 0
		if err == nil {
			n, _ = strconv.Atoi(string(v))
		}
		if err := proxywasm.SetSharedData("ticks", []byte(strconv.Itoa(n+1)), cas); !errors.Is(err, types.ErrorStatusCasMismatch) {
			return
		}
	}
}

// answerParked answers each parked stream from the root context's tick: it makes the
// stream's context effective, then sends the local response; a stream that is gone
// (proxy_set_effective_context refused) is recorded in shared data "effective-errors".
func (p *pluginContext) answerParked() {
	parked := p.parked
	p.parked = nil
	for _, id := range parked {
		if err := proxywasm.SetEffectiveContext(id); err != nil {
			old, cas, _ := proxywasm.GetSharedData("effective-errors")
			proxywasm.SetSharedData("effective-errors", append(old, []byte(errString(err)+",")...), cas)
			continue
		}
		proxywasm.SendHttpResponse(200, nil, []byte("answered from a tick"), -1)
	}
	proxywasm.SetEffectiveContext(p.id)
}

// OnQueueReady moves every queued item into shared data "queue-received".
func (p *pluginContext) OnQueueReady(id uint32) {
	for {
		item, err := proxywasm.DequeueSharedQueue(id)
		if err != nil {
			return
		}
		old, cas, _ := proxywasm.GetSharedData("queue-received")
		proxywasm.SetSharedData("queue-received", append(append(old, item...), ','), cas)
	}
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	return &httpContext{id: id, plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	id     uint32
	plugin *pluginContext
	path   string
	// late are results of header-map calls made where Envoy has no map to edit, added to
	// the response headers by OnHttpResponseHeaders.
	late [][2]string
}

func respondJSON(status uint32, v any) types.Action {
	b, _ := json.Marshal(v)
	if err := proxywasm.SendHttpResponse(status, [][2]string{{"content-type", "application/json"}}, b, -1); err != nil {
		proxywasm.LogErrorf("send response: %v", err)
	}
	return types.ActionPause
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (h *httpContext) OnHttpRequestHeaders(n int, eos bool) types.Action {
	h.path, _ = proxywasm.GetHttpRequestHeader(":path")
	u, _ := url.Parse(h.path)
	q := u.Query()
	h.plugin.counter.Increment(1)
	switch u.Path {
	case "/log":
		proxywasm.LogTrace("fixture trace")
		proxywasm.LogDebug("fixture debug")
		proxywasm.LogInfo("fixture info")
		proxywasm.LogWarn("fixture warn")
		proxywasm.LogError("fixture error")
		proxywasm.LogCritical("fixture critical")
		return respondJSON(200, map[string]any{"logged": true})
	case "/properties":
		out := map[string]any{}
		for _, name := range strings.Split(q.Get("names"), ",") {
			v, err := proxywasm.GetProperty(strings.Split(name, "."))
			switch {
			case err != nil:
				out[name] = "error: " + err.Error()
			case strings.HasSuffix(name, ".port"):
				out[name] = binary.LittleEndian.Uint64(v)
			case name == "connection.mtls":
				out[name] = v[0] == 1
			case name == "request.headers":
				m, _ := proxywasm.GetPropertyMap([]string{"request", "headers"})
				out[name] = m
			default:
				out[name] = string(v)
			}
		}
		if err := proxywasm.SetProperty([]string{"fixture", "mark"}, []byte("set-by-guest")); err != nil {
			out["set_error"] = err.Error()
		}
		v, err := proxywasm.GetProperty([]string{"fixture", "mark"})
		out["fixture.mark"] = string(v) + errString(err)
		return respondJSON(200, out)
	case "/headers":
		// Changes that the upstream must see, in order.
		proxywasm.AddHttpRequestHeader("x-added", "one")
		proxywasm.AddHttpRequestHeader("X-Added", "two")
		proxywasm.ReplaceHttpRequestHeader("x-replaced", "new")
		proxywasm.RemoveHttpRequestHeader("x-removed")
		first, _ := proxywasm.GetHttpRequestHeader("x-multi")
		proxywasm.AddHttpRequestHeader("x-first-multi", first)
		_, err := proxywasm.GetHttpRequestHeader("x-absent")
		proxywasm.AddHttpRequestHeader("x-absent-error", errString(err))
		all, _ := proxywasm.GetHttpRequestHeaders()
		proxywasm.AddHttpRequestHeader("x-count", strconv.Itoa(len(all)))
		return types.ActionContinue
	case "/replace-headers":
		proxywasm.ReplaceHttpRequestHeaders([][2]string{{":method", "GET"}, {":path", "/rewritten"}, {":authority", "example.test"}, {":scheme", "http"}, {"x-only", "1"}})
		return types.ActionContinue
	case "/local":
		proxywasm.SendHttpResponse(418, [][2]string{{"x-a", "1"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}}, []byte("teapot"), -1)
		return types.ActionPause
	case "/local-trailer":
		// A local reply with a body and no trailers: its last body callback may create them.
		proxywasm.SendHttpResponse(200, nil, []byte("local"), -1)
		return types.ActionPause
	case "/local-nobody-type":
		proxywasm.SendHttpResponse(403, nil, []byte("no"), -1)
		return types.ActionPause
	case "/httpcall", "/httpcall-continue":
		timeout, _ := strconv.Atoi(q.Get("timeout"))
		if timeout == 0 {
			timeout = 5000
		}
		headers := [][2]string{{":method", "POST"}, {":path", "/echo?x=1"}, {":authority", "upstream.test"}, {"x-from", "fixture"}}
		if q.Get("nopath") == "yes" {
			headers = headers[:1]
		}
		cont := u.Path == "/httpcall-continue"
		_, err := proxywasm.DispatchHttpCall(q.Get("cluster"), headers, []byte("call-body"), nil, uint32(timeout), func(nh, bodySize, nt int) {
			hs, _ := proxywasm.GetHttpCallResponseHeaders()
			body, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
			if cont {
				status := "failed"
				for _, p := range hs {
					if p[0] == ":status" {
						status = p[1]
					}
				}
				// Envoy lets the filter edit the request headers while they are paused
				// (request_headers_ is set until the request goes on), not after it resumed them.
				proxywasm.AddHttpRequestHeader("x-call-status", status)
				proxywasm.ResumeHttpRequest()
				h.late = append(h.late, [2]string{"x-request-header-edit-after-resume", errString(proxywasm.AddHttpRequestHeader("x-too-late", "1"))})
				return
			}
			// Envoy never hands out the call's response headers for editing (Context::getMap
			// has no case for them), nor a map type past the last (exports.cc): BadArgument.
			respondJSON(200, map[string]any{"headers": hs, "body": string(body), "num_headers": nh,
				"call_header_edit": rawAddHeaderMapValue(6, "x-edit", "1"), "bad_map_type": rawAddHeaderMapValue(8, "x-edit", "1")})
		})
		if err != nil {
			return respondJSON(500, map[string]any{"dispatch_error": err.Error()})
		}
		return types.ActionPause
	case "/shared":
		key := q.Get("key")
		_, cas, getErr := proxywasm.GetSharedData(key)
		setErr := proxywasm.SetSharedData(key, []byte(q.Get("value")), cas)
		staleErr := proxywasm.SetSharedData(key, []byte("stale"), cas)
		v, newCas, _ := proxywasm.GetSharedData(key)
		return respondJSON(200, map[string]any{"get_error": errString(getErr), "set_error": errString(setErr),
			"stale_error": errString(staleErr), "value": string(v), "cas_before": cas, "cas_after": newCas})
	case "/enqueue":
		id, err := proxywasm.ResolveSharedQueue(q.Get("vm_id"), "fixture-queue")
		if err != nil {
			return respondJSON(500, map[string]any{"resolve_error": err.Error()})
		}
		_, unknownErr := proxywasm.ResolveSharedQueue(q.Get("vm_id"), "no-such-queue")
		err = proxywasm.EnqueueSharedQueue(id, []byte(q.Get("value")))
		return respondJSON(200, map[string]any{"enqueue_error": errString(err), "unknown_error": errString(unknownErr)})
	case "/metrics":
		h.plugin.gauge.Add(5)
		h.plugin.gauge.Add(-2)
		h.plugin.histo.Record(7)
		h.plugin.histo.Record(9)
		return respondJSON(200, map[string]any{"requests": h.plugin.counter.Value(), "gauge": h.plugin.gauge.Value()})
	case "/time":
		return respondJSON(200, map[string]any{"go_now": time.Now().UnixNano(), "host_now": rawCurrentTime()})
	case "/grpc":
		return respondJSON(200, map[string]any{"status": rawGrpcCall()})
	case "/foreign":
		_, err := proxywasm.CallForeignFunction("no_such_function", nil)
		return respondJSON(200, map[string]any{"error": errString(err)})
	case "/panic":
		panic("fixture panic on purpose")
	case "/timer":
		// A pending runtime timer makes the Go scheduler poll with a timeout
		// (runtime.netpoll -> poll_oneoff) whenever a goroutine blocks, the
		// garbage collector's start included (golang/go#78513).
		time.AfterFunc(time.Hour, func() {})
		return respondJSON(200, map[string]any{"timer": "set"})
	case "/body", "/pause-body":
		return types.ActionContinue
	case "/pause-forever":
		return types.ActionPause
	case "/answer-on-tick":
		h.plugin.parked = append(h.plugin.parked, h.id)
		return types.ActionPause
	case "/trailers":
		// The request trailers cannot be edited yet (Envoy: BadArgument).
		proxywasm.AddHttpRequestHeader("x-trailer-edit-in-headers", errString(proxywasm.RemoveHttpRequestTrailer("x-forged-trailer")))
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpRequestBody(size int, eos bool) types.Action {
	if h.path == "/request-trailer-in-body" && eos {
		// The last body callback of a request without trailers: reading them finds no
		// map, adding one creates them (Envoy's addDecodedTrailers), and they go upstream.
		_, err := proxywasm.GetHttpRequestTrailer("x-none")
		get := errString(err)
		proxywasm.AddHttpRequestTrailer("x-created", "yes")
		proxywasm.AddHttpRequestTrailer("x-get-before-create", get)
	}
	if !strings.HasPrefix(h.path, "/body") {
		return types.ActionContinue
	}
	body, err := proxywasm.GetHttpRequestBody(0, size)
	if err != nil {
		proxywasm.LogErrorf("get body: %v", err)
	}
	proxywasm.ReplaceHttpRequestBody([]byte(strings.ToUpper(string(body))))
	proxywasm.AppendHttpRequestBody([]byte("+appended"))
	proxywasm.PrependHttpRequestBody([]byte("prepended+"))
	return types.ActionContinue
}

// OnHttpRequestTrailers reports in the request trailers themselves, which it may edit
// here: the request headers went on when their callback continued, and Envoy no longer
// lets the filter edit them (Context::decodeHeaders clears request_headers_).
func (h *httpContext) OnHttpRequestTrailers(n int) types.Action {
	ts, _ := proxywasm.GetHttpRequestTrailers()
	count := strconv.Itoa(len(ts))
	if h.path == "/trailers" {
		proxywasm.AddHttpRequestTrailer("x-trailer-remove", errString(proxywasm.RemoveHttpRequestTrailer("x-forged-trailer")))
		proxywasm.ReplaceHttpRequestTrailer("x-replaced-trailer", "new")
		proxywasm.AddHttpRequestTrailer("x-header-edit-in-trailers", errString(proxywasm.AddHttpRequestHeader("x-late", "1")))
		_, err := proxywasm.GetHttpRequestHeader(":path")
		proxywasm.AddHttpRequestTrailer("x-header-get-in-trailers", errString(err))
		_, err = proxywasm.GetHttpRequestHeaders()
		proxywasm.AddHttpRequestTrailer("x-headers-in-trailers", errString(err))
	}
	proxywasm.AddHttpRequestTrailer("x-request-trailers", count)
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(n int, eos bool) types.Action {
	proxywasm.AddHttpResponseHeader("set-cookie", "fixture1=1")
	proxywasm.AddHttpResponseHeader("set-cookie", "fixture2=2")
	status, _ := proxywasm.GetHttpResponseHeader(":status")
	proxywasm.ReplaceHttpResponseHeader("x-seen-status", status)
	proxywasm.RemoveHttpResponseHeader("x-upstream-secret")
	if h.path == "/trailers" {
		// The request has gone on: its headers and trailers are gone from the filter's
		// reach; the response trailers have not come yet.
		proxywasm.AddHttpResponseHeader("x-trailer-edit-after", errString(proxywasm.RemoveHttpRequestTrailer("x-req-trailer")))
		proxywasm.AddHttpResponseHeader("x-request-header-edit-after", errString(proxywasm.ReplaceHttpRequestHeader("x-late", "1")))
		proxywasm.AddHttpResponseHeader("x-response-trailer-edit-early", errString(proxywasm.AddHttpResponseTrailer("x-early", "1")))
	}
	for _, p := range h.late {
		proxywasm.AddHttpResponseHeader(p[0], p[1])
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseBody(size int, eos bool) types.Action {
	if strings.HasPrefix(h.path, "/body") {
		proxywasm.AppendHttpResponseBody([]byte("!"))
	}
	if h.path == "/local-trailer" && eos {
		// The last body callback of a response without trailers: reading them finds no
		// map, adding one creates them (Envoy's addEncodedTrailers); the response headers
		// went on when their callback continued.
		_, err := proxywasm.GetHttpResponseTrailer("x-none")
		get := errString(err)
		proxywasm.AddHttpResponseTrailer("x-created", "yes")
		proxywasm.AddHttpResponseTrailer("x-get-before-create", get)
		proxywasm.AddHttpResponseTrailer("x-header-edit-in-body", errString(proxywasm.AddHttpResponseHeader("x-late", "1")))
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseTrailers(n int) types.Action {
	proxywasm.AddHttpResponseTrailer("x-fixture-trailer", "yes")
	if h.path == "/trailers" {
		proxywasm.AddHttpResponseTrailer("x-header-edit-in-trailers", errString(proxywasm.AddHttpResponseHeader("x-late", "1")))
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpStreamDone() {
	proxywasm.LogDebugf("stream %d done", h.id)
	if h.path == "/log-maps" {
		// proxy_on_log reads the access log's maps (the request trailers are not among
		// them) and edits none: every callback continued.
		path, err := proxywasm.GetHttpRequestHeader(":path")
		_, terr := proxywasm.GetHttpRequestTrailer("x-req-trailer")
		status, serr := proxywasm.GetHttpResponseHeader(":status")
		out, _ := json.Marshal(map[string]string{"path": path + errString(err), "trailer": errString(terr), "status": status + errString(serr),
			"edit": errString(proxywasm.AddHttpRequestHeader("x-late", "1")), "response_edit": errString(proxywasm.AddHttpResponseHeader("x-late", "1"))})
		_, cas, _ := proxywasm.GetSharedData("log-maps")
		proxywasm.SetSharedData("log-maps", out, cas)
	}
}
