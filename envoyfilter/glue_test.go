package envoyfilter

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/exeunt/exeunt/core"
)

// The glue's handling of decisions core makes, with a scripted engine in the SDK's
// emulator: reading bodies, background calls, ticks and counters.

type scripted struct {
	onHeaders func(core.Request) core.Decision
	// onSetCookies filters an upstream response's Set-Cookie values (nil: keeps all).
	onSetCookies func(core.Request, []string) ([]string, bool)
	onBody       func(r core.Request, body []byte, tooLarge bool) core.Decision
	onTick       func() []*core.Call
	onStart      func() []*core.Call
	tick         time.Duration
}

func (s *scripted) OnRequestHeaders(r core.Request, _ time.Time) core.Decision { return s.onHeaders(r) }
func (s *scripted) OnRequestBody(r core.Request, body []byte, tooLarge bool, _ time.Time) core.Decision {
	return s.onBody(r, body, tooLarge)
}
func (s *scripted) OnTick(time.Time) []*core.Call {
	if s.onTick == nil {
		return nil
	}
	return s.onTick()
}
func (s *scripted) Start(time.Time) []*core.Call {
	if s.onStart == nil {
		return nil
	}
	return s.onStart()
}
func (s *scripted) TickPeriod() time.Duration { return s.tick }

// StrippedTrailers strips x-exeunt-user, the scripted decisions' identity header.
func (s *scripted) StrippedTrailers(trailers []core.Header) []string {
	var out []string
	for _, t := range trailers {
		if strings.EqualFold(t.Name, "x-exeunt-user") {
			out = append(out, t.Name)
		}
	}
	return out
}
func (s *scripted) FilterResponseCookies(r core.Request, sc []string, _ time.Time) ([]string, bool) {
	if s.onSetCookies == nil {
		return sc, false
	}
	return s.onSetCookies(r, sc)
}

func TestUpstreamSetCookiesGoToTheEngine(t *testing.T) {
	var seen []string
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision {
			return core.Decision{ResponseHeaders: []core.Header{{Name: "set-cookie", Value: "ours=1"}}}
		},
		onSetCookies: func(r core.Request, sc []string) ([]string, bool) {
			seen = append([]string(nil), sc...)
			var keep []string
			for _, v := range sc {
				if !strings.HasPrefix(v, "bad") {
					keep = append(keep, v)
				}
			}
			return keep, len(keep) != len(sc)
		},
	})
	id := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/app"}, {":authority", "x"}}, true); a != types.ActionContinue {
		t.Fatalf("request headers: %v", a)
	}
	host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}, {"set-cookie", "a=1"}, {"x-app", "y"}, {"set-cookie", "bad=2"}, {"set-cookie", "c=3"}}, false)
	// What the response then holds is checked through hostsim (e2e), which adds a header
	// as Envoy does; the SDK's emulator joins an added value to the existing one.
	if strings.Join(seen, "|") != "a=1|bad=2|c=3" {
		t.Fatalf("the engine saw %q, want every Set-Cookie in order", seen)
	}
	host.CompleteHttpContext(id)

	// A response without Set-Cookie is not even shown to the engine.
	seen = nil
	id = host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/app"}, {":authority", "x"}}, true)
	host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
	if seen != nil {
		t.Fatalf("the engine was asked about %q", seen)
	}
	host.CompleteHttpContext(id)
}

func startScripted(t *testing.T, s *scripted) proxytest.HostEmulator {
	t.Helper()
	vm := &vmContext{newEngine: func([]byte) (engine, error) { return s, nil }}
	host, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(vm))
	t.Cleanup(reset)
	if host.StartVM() != types.OnVMStartStatusOK || host.StartPlugin() != types.OnPluginStartStatusOK {
		t.Fatal("start failed")
	}
	return host
}

var postHeaders = [][2]string{{":method", "POST"}, {":path", "/form"}, {":authority", "x"}, {"content-type", "application/x-www-form-urlencoded"}}

// bodyRecorder is an OnRequestBody that records its arguments and answers 200 with the
// body it read.
type bodyRecorder struct {
	calls    int
	req      core.Request
	body     []byte
	tooLarge bool
}

func (b *bodyRecorder) onBody(r core.Request, body []byte, tooLarge bool) core.Decision {
	b.calls++
	b.req, b.body, b.tooLarge = r, body, tooLarge
	return core.Respond(&core.Response{Status: 200, Body: append([]byte("read "), body...)})
}

func TestReadBodyWaitsForTheWholeBody(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision { return core.Decision{ReadBody: true} },
		onBody:    rec.onBody,
	})
	id := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(id, postHeaders, false); a != types.ActionPause {
		t.Fatalf("headers: %v, want pause", a)
	}
	if a := host.CallOnRequestBody(id, []byte("a=1&"), false); a != types.ActionPause || rec.calls != 0 {
		t.Fatalf("first chunk: %v, OnRequestBody called %d times; want pause and no call", a, rec.calls)
	}
	if a := host.CallOnRequestBody(id, []byte("b=2"), true); a != types.ActionPause {
		t.Fatalf("last chunk: %v, want pause (answered locally)", a)
	}
	if rec.calls != 1 || string(rec.body) != "a=1&b=2" || rec.tooLarge {
		t.Fatalf("OnRequestBody got %q tooLarge=%v in %d calls", rec.body, rec.tooLarge, rec.calls)
	}
	if rec.req.Method != "POST" || rec.req.Path != "/form" || rec.req.Header("content-type") != "application/x-www-form-urlencoded" {
		t.Fatalf("OnRequestBody got request %+v, want the one read from the headers", rec.req)
	}
	if got := host.GetSentLocalResponse(id); got == nil || got.StatusCode != 200 || string(got.Data) != "read a=1&b=2" {
		t.Fatalf("local response %+v", got)
	}
	host.CompleteHttpContext(id)
}

func TestReadBodyWithoutABody(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision { return core.Decision{ReadBody: true} },
		onBody:    rec.onBody,
	})
	id := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(id, postHeaders, true); a != types.ActionPause {
		t.Fatalf("headers: %v, want pause", a)
	}
	if rec.calls != 1 || rec.body == nil || len(rec.body) != 0 || rec.tooLarge {
		t.Fatalf("OnRequestBody got %q (nil: %v) tooLarge=%v in %d calls; want one call with an empty body", rec.body, rec.body == nil, rec.tooLarge, rec.calls)
	}
	host.CompleteHttpContext(id)
}

func TestReadBodyStopsPastTheLimit(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision { return core.Decision{ReadBody: true} },
		onBody:    rec.onBody,
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, postHeaders, false)
	host.CallOnRequestBody(id, make([]byte, core.MaxRequestBody), false)
	if rec.calls != 0 {
		t.Fatal("OnRequestBody called before the body ended or passed the limit")
	}
	host.CallOnRequestBody(id, []byte("x"), false)
	if rec.calls != 1 || rec.body != nil || !rec.tooLarge {
		t.Fatalf("OnRequestBody got %d bytes tooLarge=%v in %d calls; want nil and tooLarge at once", len(rec.body), rec.tooLarge, rec.calls)
	}
	host.CompleteHttpContext(id)
}

func TestReadBodyEndedByTrailers(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision { return core.Decision{ReadBody: true} },
		onBody:    rec.onBody,
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, postHeaders, false)
	host.CallOnRequestBody(id, []byte("a=1"), false)
	if a := host.CallOnRequestTrailers(id, [][2]string{{"x-t", "1"}}); a != types.ActionPause || rec.calls != 1 || string(rec.body) != "a=1" {
		t.Fatalf("trailers: %v, OnRequestBody got %q in %d calls", a, rec.body, rec.calls)
	}
	host.CompleteHttpContext(id)
}

func TestABodyDecisionThatContinuesEditsTheHeaders(t *testing.T) {
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision { return core.Decision{ReadBody: true} },
		onBody: func(core.Request, []byte, bool) core.Decision {
			return core.Decision{RemoveHeaders: []string{"content-type"}, SetHeaders: []core.Header{{Name: "x-read", Value: "yes"}}}
		},
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, postHeaders, false)
	if a := host.CallOnRequestBody(id, []byte("a=1"), true); a != types.ActionContinue {
		t.Fatalf("body: %v, want continue", a)
	}
	want := [][2]string{{":method", "POST"}, {":path", "/form"}, {":authority", "x"}, {"x-read", "yes"}}
	if got := host.GetCurrentRequestHeaders(id); !reflect.DeepEqual(got, want) {
		t.Fatalf("request headers %q, want %q", got, want)
	}
	host.CompleteHttpContext(id)
}

// A call's answer may ask for the body: the body that arrived meanwhile was held.
func TestABodyArrivingDuringACallIsHeldThenRead(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision {
			return core.Decision{Call: &core.Call{Cluster: "idp", Method: "GET", Path: "/meta", Authority: "idp",
				Then: func(core.CallResult) core.Decision { return core.Decision{ReadBody: true} }}}
		},
		onBody: rec.onBody,
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, postHeaders, false)
	if a := host.CallOnRequestBody(id, []byte("a=1"), true); a != types.ActionPause {
		t.Fatalf("body during the call: %v, want pause (held)", a)
	}
	callouts := host.GetCalloutAttributesFromContext(id)
	if len(callouts) != 1 {
		t.Fatalf("%d callouts from the stream, want 1", len(callouts))
	}
	host.CallOnHttpCallResponse(callouts[0].CalloutID, [][2]string{{":status", "200"}}, nil, nil)
	if rec.calls != 1 || string(rec.body) != "a=1" {
		t.Fatalf("OnRequestBody got %q in %d calls", rec.body, rec.calls)
	}
	if got := host.GetSentLocalResponse(id); got == nil || got.StatusCode != 200 {
		t.Fatalf("local response %+v", got)
	}
	host.CompleteHttpContext(id)
}

func TestABodyPastTheLimitDuringACallIsNotRead(t *testing.T) {
	var rec bodyRecorder
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision {
			return core.Decision{Call: &core.Call{Cluster: "idp", Method: "GET", Path: "/meta", Authority: "idp",
				Then: func(core.CallResult) core.Decision { return core.Decision{ReadBody: true} }}}
		},
		onBody: rec.onBody,
	})
	id := host.InitializeHttpContext()
	host.CallOnRequestHeaders(id, postHeaders, false)
	host.CallOnRequestBody(id, make([]byte, core.MaxRequestBody+1), false) // more to come
	host.CallOnHttpCallResponse(host.GetCalloutAttributesFromContext(id)[0].CalloutID, [][2]string{{":status", "200"}}, nil, nil)
	if rec.calls != 1 || rec.body != nil || !rec.tooLarge {
		t.Fatalf("OnRequestBody got %d bytes tooLarge=%v in %d calls; want nil and tooLarge at once", len(rec.body), rec.tooLarge, rec.calls)
	}
	host.CompleteHttpContext(id)
}

// Background calls leave at once, do not hold the request, and are made from the
// plugin context, so that their answers still arrive after the stream is gone; what
// those answers lead to (more calls, more background calls) is followed.
func TestBackgroundCallsOutliveTheRequest(t *testing.T) {
	var log []string
	call := func(name string, then func() core.Decision) *core.Call {
		return &core.Call{Cluster: "apps", Method: "POST", Path: "/" + name, Authority: "app", Body: []byte(name),
			Then: func(r core.CallResult) core.Decision {
				log = append(log, name+":"+r.Header("x-answer"))
				if then == nil {
					return core.Continue()
				}
				return then()
			}}
	}
	host := startScripted(t, &scripted{
		onHeaders: func(core.Request) core.Decision {
			return core.Decision{
				SetHeaders: []core.Header{{Name: "x-seen", Value: "1"}},
				Background: []*core.Call{
					call("a", func() core.Decision {
						// There is no request to answer: only Call and Background count.
						return core.Decision{Response: &core.Response{Status: 500}, Call: call("a-retry", nil), Background: []*core.Call{call("a-more", nil)}}
					}),
					call("b", nil),
				},
			}
		},
	})
	id := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/"}}, true); a != types.ActionContinue {
		t.Fatalf("headers: %v, want continue: background calls do not hold the request", a)
	}
	if got := host.GetCurrentRequestHeaders(id); !reflect.DeepEqual(got, [][2]string{{":method", "GET"}, {":path", "/"}, {"x-seen", "1"}}) {
		t.Fatalf("request headers %q", got)
	}
	if n := len(host.GetCalloutAttributesFromContext(id)); n != 0 {
		t.Fatalf("%d calls attributed to the stream, want none", n)
	}
	host.CompleteHttpContext(id) // the stream ends before any answer

	answer := func(path string) {
		t.Helper()
		for _, c := range host.GetCalloutAttributesFromContext(proxytest.PluginContextID) {
			if headerOf(c.Headers, ":path") == path {
				host.CallOnHttpCallResponse(c.CalloutID, [][2]string{{":status", "202"}, {"x-answer", path}}, nil, nil)
				return
			}
		}
		t.Fatalf("no call to %s was made", path)
	}
	answer("/b")
	answer("/a")
	answer("/a-retry")
	answer("/a-more")
	if got := strings.Join(log, " "); got != "b:/b a:/a a-retry:/a-retry a-more:/a-more" {
		t.Fatalf("Then calls: %s", got)
	}
	if host.GetSentLocalResponse(id) != nil {
		t.Fatal("a background call's decision answered the request")
	}
}

func headerOf(hs [][2]string, name string) string {
	for _, h := range hs {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

func TestTickCallsAreBackgroundCalls(t *testing.T) {
	var log []string
	host := startScripted(t, &scripted{
		tick: time.Second,
		onTick: func() []*core.Call {
			return []*core.Call{{Cluster: "idp", Method: "GET", Path: "/discovery", Authority: "idp",
				Then: func(r core.CallResult) core.Decision {
					log = append(log, "discovery "+r.Header("x-n"))
					return core.Decision{Call: &core.Call{Cluster: "idp", Method: "GET", Path: "/jwks", Authority: "idp",
						Then: func(core.CallResult) core.Decision { log = append(log, "jwks"); return core.Continue() }}}
				}}}
		},
	})
	host.Tick()
	calls := host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	if len(calls) != 1 {
		t.Fatalf("%d calls after a tick, want 1", len(calls))
	}
	host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}, {"x-n", "1"}}, nil, []byte("{}"))
	calls = host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	if len(calls) != 2 || headerOf(calls[1].Headers, ":path") != "/jwks" {
		t.Fatalf("calls %+v, want the JWKS call to follow", calls)
	}
	host.CallOnHttpCallResponse(calls[1].CalloutID, [][2]string{{":status", "200"}}, nil, []byte("{}"))
	if got := strings.Join(log, ", "); got != "discovery 1, jwks" {
		t.Fatalf("Then calls: %s", got)
	}
}

func TestCountersAreDefinedOnceAndAdded(t *testing.T) {
	host := startScripted(t, &scripted{})
	c := newCounters()
	c.Add("exeunt.logout.rp_initiated", 1)
	c.Add("exeunt.logout.rp_initiated", 2)
	c.Add("exeunt.client.app1.backchannel.sent", 5)
	if len(c.ids) != 2 {
		t.Fatalf("%d counters defined, want 2", len(c.ids))
	}
	for name, want := range map[string]uint64{"exeunt.logout.rp_initiated": 3, "exeunt.client.app1.backchannel.sent": 5} {
		if got, err := host.GetCounterMetric(name); err != nil || got != want {
			t.Fatalf("%s = %d (%v), want %d", name, got, err, want)
		}
	}
}

// When the host cannot give the request headers, the request is refused with 503 and
// the engine is never asked about an empty request (which would let it through with
// nothing checked or stripped).
func TestUnreadableRequestHeadersAreRefused(t *testing.T) {
	asked := 0
	s := &scripted{onHeaders: func(core.Request) core.Decision { asked++; return core.Continue() }}
	vm := &vmContext{
		newEngine:      func([]byte) (engine, error) { return s, nil },
		requestHeaders: func() ([][2]string, error) { return nil, types.ErrorStatusBadArgument },
	}
	host, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(vm))
	t.Cleanup(reset)
	if host.StartVM() != types.OnVMStartStatusOK || host.StartPlugin() != types.OnPluginStartStatusOK {
		t.Fatal("start failed")
	}
	id := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(id, [][2]string{{":method", "GET"}, {":path", "/app"}, {":authority", "x"}}, true); a != types.ActionPause {
		t.Fatalf("headers: %v, want pause after a local response", a)
	}
	got := host.GetSentLocalResponse(id)
	if got == nil || got.StatusCode != 503 {
		t.Fatalf("local response %+v, want 503", got)
	}
	if asked != 0 {
		t.Fatalf("the engine was asked %d times about a request whose headers could not be read", asked)
	}
	if logs := host.GetErrorLogs(); len(logs) != 1 || !strings.Contains(logs[0], "cannot read the request headers") {
		t.Fatalf("error logs %q, want one naming the failure", logs)
	}
	host.CompleteHttpContext(id)
}

// countingTick is an engine whose tick period is asked for and may change.
type countingTick struct {
	scripted
	asked int
}

func (c *countingTick) TickPeriod() time.Duration { c.asked++; return c.tick }

// Each plugin context follows its own engine's tick period after a background answer:
// a second filter configuration started later in the same VM does not take over.
func TestBackgroundAnswersRetickTheirOwnPlugin(t *testing.T) {
	first := &countingTick{scripted: scripted{tick: time.Second}}
	first.onTick = func() []*core.Call {
		return []*core.Call{{Cluster: "idp", Method: "GET", Path: "/jwks", Authority: "idp",
			Then: func(core.CallResult) core.Decision { first.tick = 50 * time.Millisecond; return core.Continue() }}}
	}
	second := &countingTick{scripted: scripted{tick: time.Second}}
	engines := []engine{first, second}
	vm := &vmContext{newEngine: func([]byte) (engine, error) { e := engines[0]; engines = engines[1:]; return e, nil }}
	host, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(vm))
	t.Cleanup(reset)
	if host.StartVM() != types.OnVMStartStatusOK || host.StartPlugin() != types.OnPluginStartStatusOK {
		t.Fatal("start failed")
	}
	// A second plugin context in the same VM, started after the first.
	other := vm.NewPluginContext(2).(*pluginContext)
	if other.OnPluginStart(0) != types.OnPluginStartStatusOK {
		t.Fatal("second plugin start failed")
	}
	host.Tick() // the first plugin's tick makes a background call
	calls := host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	if len(calls) != 1 {
		t.Fatalf("%d background calls, want 1", len(calls))
	}
	host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}}, nil, nil)
	if got := host.GetTickPeriod(); got != 50 {
		t.Fatalf("tick period %d ms after the first plugin's answer, want 50 (its engine's wish)", got)
	}
	if second.asked != 1 { // once, at its own start
		t.Fatalf("the second plugin's engine was asked for its tick period %d times, want once (at its start)", second.asked)
	}
}

// The engine's start work leaves from the plugin start, before any tick, as background
// calls (their answers reach the engine), and the tick period is the engine's from the
// start.
func TestStartCallsLeaveAtPluginStart(t *testing.T) {
	var answered []string
	host := startScripted(t, &scripted{
		tick: 250 * time.Millisecond,
		onStart: func() []*core.Call {
			return []*core.Call{{Cluster: "etcd", Method: "POST", Path: "/v3/kv/range", Authority: "etcd",
				Then: func(r core.CallResult) core.Decision {
					answered = append(answered, r.Header("x-n"))
					return core.Continue()
				}}}
		},
	})
	calls := host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	if len(calls) != 1 || calls[0].Upstream != "etcd" || headerOf(calls[0].Headers, ":path") != "/v3/kv/range" {
		t.Fatalf("calls after plugin start, before any tick: %+v", calls)
	}
	host.CallOnHttpCallResponse(calls[0].CalloutID, [][2]string{{":status", "200"}, {"x-n", "1"}}, nil, []byte("{}"))
	if strings.Join(answered, ",") != "1" {
		t.Fatalf("the start call's answer reached the engine %q", answered)
	}
	if p := host.GetTickPeriod(); p != 250 {
		t.Fatalf("tick period %d ms, want the engine's 250", p)
	}
}

// TestToRequestOverThePairs: headers written over the pairs slice come out whole and in
// order, wherever the pseudo-headers sit among them, and the pairs' own strings are
// not copied.
func TestToRequestOverThePairs(t *testing.T) {
	pairs := [][2]string{
		{"accept", "text/html"}, {":method", "GET"}, {"cookie", "a=1"}, {":path", "/app1/page"},
		{":authority", "exeunt.test"}, {"X-Upper", "v"}, {":scheme", "https"}, {":unknown", "dropped"}, {"last", "z"},
	}
	r := toRequest(pairs)
	if r.Method != "GET" || r.Path != "/app1/page" || r.Authority != "exeunt.test" || r.Scheme != "https" {
		t.Fatalf("pseudo-headers: %+v", r)
	}
	want := []core.Header{{Name: "accept", Value: "text/html"}, {Name: "cookie", Value: "a=1"}, {Name: "x-upper", Value: "v"}, {Name: "last", Value: "z"}}
	if !slices.Equal(r.Headers, want) {
		t.Fatalf("headers %v, want %v", r.Headers, want)
	}
	if cap(r.Headers) != len(r.Headers) {
		t.Fatalf("headers have capacity %d past their length %d: an append would write over what follows", cap(r.Headers), len(r.Headers))
	}
	if got := toRequest(nil); got.Headers != nil || got.Method != "" {
		t.Fatalf("no pairs: %+v", got)
	}
}

// TestHttpContextReuse: a context whose stream has ended serves the next stream with
// nothing of the last one; a context whose response has not ended, or with an HTTP call
// outstanding, is never reused, as callbacks of its own stream may still reach it.
func TestHttpContextReuse(t *testing.T) {
	p := &pluginContext{}
	h1 := p.NewHttpContext(1).(*httpContext)
	h1.state, h1.req.Path, h1.ended = flowing, "/first", true
	h1.responseHeaders = []core.Header{{Name: "set-cookie", Value: "a=1"}}
	h1.OnHttpStreamDone() // logged mid-stream: the response has not ended
	if h := p.NewHttpContext(9).(*httpContext); h == h1 {
		t.Fatal("a context was reused before its response ended")
	}
	h1.OnHttpResponseBody(10, false)
	h1.OnHttpStreamDone()
	if len(p.idle) != 0 {
		t.Fatal("a context was kept for reuse before the response's end of stream")
	}
	h1.OnHttpResponseBody(0, true)
	h1.OnHttpStreamDone()
	h2 := p.NewHttpContext(2).(*httpContext)
	if h2 != h1 {
		t.Fatal("an ended stream's context was not reused")
	}
	if h2.plugin != p || h2.req.Path != "" || h2.ended || h2.state != flowing || h2.responseHeaders != nil || h2.bodySize != 0 || h2.responseEnded {
		t.Fatalf("a reused context kept the last stream's state: %+v", h2)
	}
	h2.state, h2.responseEnded = held, true
	h2.OnHttpStreamDone()
	if h3 := p.NewHttpContext(3).(*httpContext); h3 == h2 {
		t.Fatal("a context waiting for an HTTP call's answer was reused")
	}
	for i := 0; i < 2*maxIdleContexts; i++ {
		(&httpContext{plugin: p, ended: true, responseEnded: true}).OnHttpStreamDone()
	}
	if len(p.idle) != maxIdleContexts {
		t.Fatalf("%d idle contexts kept, want at most %d", len(p.idle), maxIdleContexts)
	}
}

// Found in review: a context whose response has ended but whose request has not (an
// upstream that answered before the body was all sent, a local answer while the body was
// still coming) may still get that request's body or trailers, on the old stream's id,
// from a host that logs it before the end (Envoy's Context::log guard is Envoy's alone).
// Reused then, the next stream's context would take them: it is not reused.
func TestHttpContextReuseWaitsForBothDirections(t *testing.T) {
	p := &pluginContext{}
	h1 := p.NewHttpContext(1).(*httpContext)
	h1.state = flowing
	h1.OnHttpResponseBody(0, true) // the response ended; the request has not
	h1.OnHttpStreamDone()
	if h := p.NewHttpContext(2).(*httpContext); h == h1 {
		t.Fatal("a context was reused while its request could still send body or trailers")
	}
	h1.OnHttpRequestTrailers(0) // the request's end, on its own context
	if h1.plugin != p || !h1.ended {
		t.Fatalf("the old stream's trailers reached a context that is not its own: %+v", h1)
	}
	h1.OnHttpStreamDone()
	if h := p.NewHttpContext(3).(*httpContext); h != h1 {
		t.Fatal("a context whose request and response both ended was not reused")
	}
}

// A request paused on a core.Wait is asked again at every tick, and answered or resumed
// from there: the stream's context is made effective first, so the answer reaches that
// stream and no other.
func TestWaitingRequestsAreResumedFromTicks(t *testing.T) {
	polls := map[string]int{}
	ready := false
	wait := func(name string, final core.Decision) core.Decision {
		var w func(time.Time) core.Decision
		w = func(time.Time) core.Decision {
			polls[name]++
			if !ready {
				return core.Decision{Wait: &core.Wait{Then: w}}
			}
			return final
		}
		return core.Decision{Wait: &core.Wait{Then: w}}
	}
	host := startScripted(t, &scripted{tick: time.Second, onHeaders: func(r core.Request) core.Decision {
		if r.Path == "/answered" {
			return wait("answered", core.Respond(&core.Response{Status: 200, Body: []byte("signed out")}))
		}
		return wait("resumed", core.Decision{SetHeaders: []core.Header{{Name: "x-after", Value: "wait"}}})
	}})
	answered := host.InitializeHttpContext()
	resumed := host.InitializeHttpContext()
	if a := host.CallOnRequestHeaders(answered, [][2]string{{":method", "GET"}, {":path", "/answered"}, {":authority", "x"}}, true); a != types.ActionPause {
		t.Fatalf("a waiting request: %v, want paused", a)
	}
	if a := host.CallOnRequestHeaders(resumed, [][2]string{{":method", "GET"}, {":path", "/resumed"}, {":authority", "x"}}, true); a != types.ActionPause {
		t.Fatalf("a waiting request: %v, want paused", a)
	}
	host.Tick()
	if polls["answered"] != 1 || polls["resumed"] != 1 || host.GetSentLocalResponse(answered) != nil {
		t.Fatalf("after a tick with nothing ready: polls %v, answered %v", polls, host.GetSentLocalResponse(answered))
	}
	ready = true
	host.Tick()
	if r := host.GetSentLocalResponse(answered); r == nil || r.StatusCode != 200 || string(r.Data) != "signed out" {
		t.Fatalf("the waiting request's answer: %+v", r)
	}
	if host.GetSentLocalResponse(resumed) != nil || host.GetCurrentHttpStreamAction(resumed) != types.ActionContinue {
		t.Fatalf("the other request: answered %+v, action %v (want resumed)", host.GetSentLocalResponse(resumed), host.GetCurrentHttpStreamAction(resumed))
	}
	if got := host.GetCurrentRequestHeaders(resumed); !slices.Contains(got, [2]string{"x-after", "wait"}) {
		t.Fatalf("the resumed request's headers: %v", got)
	}
	host.Tick()
	if polls["answered"] != 2 || polls["resumed"] != 2 {
		t.Fatalf("requests no longer waiting were asked again: %v", polls)
	}
}

// TestLowerNameIsStringsToLower: toRequest's lower-casing answers what strings.ToLower
// does for every name, the lower-case ASCII ones it skips the call for included.
func TestLowerNameIsStringsToLower(t *testing.T) {
	for _, s := range []string{"", "cookie", "x-exeunt-sub", ":path", "Cookie", "COOKIE", "x_Exeunt_Sub", "a\x7fb", "kelvin-\u212a", "\u0130d", "é", "\xff", "z", "[", "@"} {
		if got, want := lowerName(s), strings.ToLower(s); got != want {
			t.Errorf("lowerName(%q) = %q, strings.ToLower says %q", s, got, want)
		}
	}
}
