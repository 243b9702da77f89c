package hostsim

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// One test (or a few) per area of the ABI, each through the real fixture
// guest and the SDK's public API.

func TestLoggingHonoursTheHostLevel(t *testing.T) {
	h := newFixture(t, Options{LogLevel: LogWarn})
	resp := do(t, h, &Request{Path: "/log"})
	if got := decodeJSON(t, resp)["logged"]; got != true {
		t.Fatalf("/log answered %s", resp.Body)
	}
	var got []string
	for _, e := range h.Logs() {
		if strings.HasPrefix(e.Message, "fixture ") {
			got = append(got, e.Level.String()+":"+e.Message)
		}
	}
	want := []string{"warn:fixture warn", "error:fixture error", "critical:fixture critical"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("logs = %v, want %v", got, want)
	}
}

func TestPropertiesAreEnvoysAttributes(t *testing.T) {
	h := newFixture(t, Options{PluginName: "exeunt-test", RootID: "root-a", VMID: "vm-a"})
	names := []string{"request.path", "request.url_path", "request.method", "request.scheme", "request.host",
		"request.id", "request.protocol", "source.address", "source.port", "destination.address",
		"connection.mtls", "plugin_name", "plugin_root_id", "plugin_vm_id", "route_name", "cluster_name", "no.such"}
	resp := do(t, h, &Request{
		Method: "PUT", Path: "/properties?names=" + strings.Join(names, ",") + ",request.headers", Authority: "app.test", Scheme: "https",
		Header:        []Pair{{"X-Request-Id", "rid-1"}, {"Cookie", "a=1"}, {"Cookie", "b=2"}},
		SourceAddress: "10.1.2.3:4444", DestinationAddress: "127.0.0.1:10000", MTLS: true, RouteName: "r1", ClusterName: "c1",
	})
	got := decodeJSON(t, resp)
	want := map[string]any{
		"request.path": "/properties?names=" + strings.Join(names, ",") + ",request.headers", "request.url_path": "/properties",
		"request.method": "PUT", "request.scheme": "https", "request.host": "app.test", "request.id": "rid-1",
		"request.protocol": "HTTP/1.1", "source.address": "10.1.2.3:4444", "source.port": float64(4444),
		"destination.address": "127.0.0.1:10000", "connection.mtls": true, "plugin_name": "exeunt-test",
		"plugin_root_id": "root-a", "plugin_vm_id": "vm-a", "route_name": "r1", "cluster_name": "c1",
		"no.such": "error: error status returned by host: not found", "fixture.mark": "set-by-guest",
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	headers, _ := json.Marshal(got["request.headers"])
	if !strings.Contains(string(headers), `["cookie","a=1"],["cookie","b=2"]`) {
		t.Errorf("request.headers lost the order or a repeat: %s", headers)
	}
}

func TestHeaderMapEditsReachTheUpstreamInOrder(t *testing.T) {
	h := newFixture(t, Options{})
	resp := do(t, h, &Request{Path: "/headers", Header: []Pair{
		{"X-Multi", "first"}, {"X-Multi", "second"}, {"X-Removed", "gone"}, {"X-Replaced", "old1"}, {"X-Replaced", "old2"},
	}})
	e := decodeEcho(t, resp)
	checks := map[string][]string{
		// Replacing changes the first x-replaced only, as Envoy's HeaderMapImpl::setCopy does.
		"X-Added": {"one", "two"}, "X-Replaced": {"new", "old2"}, "X-Removed": nil, "X-First-Multi": {"first"},
		"X-Multi": {"first", "second"}, "X-Absent-Error": {"error status returned by host: not found"},
		// 4 pseudo-headers, x-request-id, 2 x-multi, 2 x-replaced (the first replaced),
		// 2 x-added, x-first-multi, x-absent-error; x-removed gone.
		"X-Count": {"13"},
	}
	for name, want := range checks {
		if got := e.Header[name]; !reflect.DeepEqual(got, want) {
			t.Errorf("upstream saw %s = %q, want %q", name, got, want)
		}
	}
	// Response side: the upstream's cookie and the fixture's two, in order;
	// the header the fixture removed is gone.
	if got := resp.HeaderValues("set-cookie"); !reflect.DeepEqual(got, []string{"upstream=1", "fixture1=1", "fixture2=2"}) {
		t.Errorf("set-cookie = %q", got)
	}
	if resp.HeaderValue("x-upstream-secret") != "" || resp.HeaderValue("x-seen-status") != "200" {
		t.Errorf("response headers not edited: %+v", resp.Header)
	}
}

func TestReplacingTheWholeRequestMapRewritesTheRequest(t *testing.T) {
	h := newFixture(t, Options{})
	e := decodeEcho(t, do(t, h, &Request{Path: "/replace-headers", Header: []Pair{{"x-old", "1"}}}))
	if e.URI != "/rewritten" || e.Host != "example.test" || e.Header.Get("x-only") != "1" || e.Header.Get("x-old") != "" {
		t.Fatalf("upstream saw %+v", e)
	}
}

func TestBodiesAreReadAndRewritten(t *testing.T) {
	h := newFixture(t, Options{})
	resp := do(t, h, &Request{Method: "POST", Path: "/body", Body: []byte("abc")})
	if !strings.HasSuffix(string(resp.Body), "!") {
		t.Errorf("response body not appended to: %q", resp.Body)
	}
	resp.Body = resp.Body[:len(resp.Body)-1]
	if e := decodeEcho(t, resp); e.Body != "prepended+ABC+appended" {
		t.Fatalf("upstream body = %q", e.Body)
	}
}

func TestTrailersBothWays(t *testing.T) {
	h := newFixture(t, Options{})
	resp := do(t, h, &Request{Method: "POST", Path: "/trailers", Body: []byte("b"), Trailer: []Pair{
		{"x-req-trailer", "1"}, {"x-forged-trailer", "a"}, {"x-replaced-trailer", "old"}}})
	e := decodeEcho(t, resp)
	// Edited in the trailers callback, the trailers reach the upstream as the guest left
	// them (Envoy forwards them); before that callback and after the request went on,
	// Envoy has no request trailer map to edit: BadArgument (Context::getMap,
	// context.cc, envoyproxy/envoy b40935a). The request headers went on when their
	// callback continued (Context::decodeHeaders clears request_headers_): in the trailers
	// callback an edit or a value answers BadArgument and the pairs are empty (the SDK
	// reads Envoy's null pointer as NotFound).
	const badArgument, notFound = "error status returned by host: bad argument", "error status returned by host: not found"
	if want := (http.Header{"X-Req-Trailer": {"1"}, "X-Replaced-Trailer": {"new"}, "X-Request-Trailers": {"3"},
		"X-Trailer-Remove": {""}, "X-Header-Edit-In-Trailers": {badArgument}, "X-Header-Get-In-Trailers": {badArgument},
		"X-Headers-In-Trailers": {notFound}}); !reflect.DeepEqual(e.Trailer, want) {
		t.Errorf("the upstream got the request trailers %v, want %v", e.Trailer, want)
	}
	if e.Header.Get("x-late") != "" {
		t.Errorf("a request header added after the headers went on reached the upstream: %v", e.Header)
	}
	if got := e.Header.Get("x-trailer-edit-in-headers"); got != "error status returned by host: bad argument" {
		t.Errorf("editing the request trailers in the headers callback: %q, want bad argument", got)
	}
	for name, want := range map[string]string{
		"x-trailer-edit-after":          badArgument, // the request went on
		"x-request-header-edit-after":   badArgument, // likewise
		"x-response-trailer-edit-early": badArgument, // not come yet: response_trailers_ is null
	} {
		if got := resp.HeaderValue(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The response headers went on when their callback continued.
	want := []Pair{{"x-upstream-trailer", "t"}, {"x-fixture-trailer", "yes"}, {"x-header-edit-in-trailers", badArgument}}
	if !reflect.DeepEqual(resp.Trailer, want) {
		t.Errorf("response trailers = %v, want %v", resp.Trailer, want)
	}
	if resp.HeaderValue("x-late") != "" {
		t.Errorf("a response header added after the headers went on reached the client: %v", resp.Header)
	}
}

// TestResponseTrailersCreatedInTheLastBodyCallback: a response without trailers gets
// them when the filter adds one in its last body callback (Context::getMap creates them
// with addEncodedTrailers when response_body_buffer_ and end_of_stream_ are set); reading
// there first finds no map (getConstMap creates nothing: BadArgument), and the response
// headers, whose callback continued, are out of reach (context.cc, envoyproxy/envoy b40935a).
func TestResponseTrailersCreatedInTheLastBodyCallback(t *testing.T) {
	h := newFixture(t, Options{})
	resp := do(t, h, &Request{Path: "/local-trailer"})
	const badArgument = "error status returned by host: bad argument"
	want := []Pair{{"x-created", "yes"}, {"x-get-before-create", badArgument}, {"x-header-edit-in-body", badArgument}}
	if resp.Status != 200 || string(resp.Body) != "local" || !reflect.DeepEqual(resp.Trailer, want) {
		t.Fatalf("response %d %q, trailers %v, want trailers %v", resp.Status, resp.Body, resp.Trailer, want)
	}
}

// TestRequestTrailersCreatedInTheLastBodyCallback: the request's side of the same rule
// (Context::getMap creates request trailers with addDecodedTrailers when
// request_body_buffer_ and end_of_stream_ are set), and Envoy sends them upstream.
func TestRequestTrailersCreatedInTheLastBodyCallback(t *testing.T) {
	h := newFixture(t, Options{})
	e := decodeEcho(t, do(t, h, &Request{Method: "POST", Path: "/request-trailer-in-body", Body: []byte("b")}))
	want := http.Header{"X-Created": {"yes"}, "X-Get-Before-Create": {"error status returned by host: bad argument"}}
	if !reflect.DeepEqual(e.Trailer, want) {
		t.Fatalf("the upstream got the request trailers %v, want %v", e.Trailer, want)
	}
}

// TestTheAccessLogReadsItsOwnMaps: in proxy_on_log Envoy reads the access log's request
// and response headers (Context::log; getConstMap in access_log_phase_), has no request
// trailers there (NotFound, for ABI 0.2), and edits only the maps a stopped callback left
// set: none here (BadArgument) (context.cc, envoyproxy/envoy b40935a).
func TestTheAccessLogReadsItsOwnMaps(t *testing.T) {
	h := newFixture(t, Options{})
	do(t, h, &Request{Method: "POST", Path: "/log-maps", Body: []byte("b"), Trailer: []Pair{{"x-req-trailer", "1"}}})
	raw, _, ok := h.SharedData("log-maps")
	if !ok {
		t.Fatal("proxy_on_log wrote no log-maps")
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %q", err, raw)
	}
	const badArgument, notFound = "error status returned by host: bad argument", "error status returned by host: not found"
	want := map[string]string{"path": "/log-maps", "trailer": notFound, "status": "200", "edit": badArgument, "response_edit": badArgument}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("proxy_on_log saw %v, want %v", got, want)
	}
}

func TestALocalResponseStopsTheStreamAndPassesTheEncoder(t *testing.T) {
	h := newFixture(t, Options{})
	var upstreamCalls atomic.Int32
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { upstreamCalls.Add(1) })
	resp := doWith(t, h, &Request{Method: "POST", Path: "/local", Body: []byte("ignored")}, up)
	if resp.Status != 418 || string(resp.Body) != "teapot" || !resp.LocalReply || upstreamCalls.Load() != 0 {
		t.Fatalf("response = %+v, upstream calls = %d", resp, upstreamCalls.Load())
	}
	// The reply's own cookies, then those the fixture's response callback
	// added: Envoy runs a local reply through the encoder filters.
	if got := resp.HeaderValues("set-cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2", "fixture1=1", "fixture2=2"}) {
		t.Fatalf("set-cookie = %q", got)
	}
	resp = doWith(t, h, &Request{Path: "/local-nobody-type"}, up)
	if resp.Status != 403 || resp.HeaderValue("content-type") != "text/plain" {
		t.Fatalf("a local reply with a body and no type: %+v", resp)
	}
}

func TestHTTPCallToAHandlerCluster(t *testing.T) {
	var seen echo
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 64)
		n, _ := r.Body.Read(b)
		seen = echo{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(b[:n])}
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(201)
		w.Write([]byte("from-backend"))
	})
	h := newFixture(t, Options{Clusters: map[string]Cluster{"backend": {Handler: backend}}})
	got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=backend"}))
	if got["body"] != "from-backend" || !strings.Contains(toJSON(got["headers"]), `[":status","201"]`) || !strings.Contains(toJSON(got["headers"]), `["x-backend","yes"]`) {
		t.Fatalf("callout response seen by the guest: %v", got)
	}
	if seen.Method != "POST" || seen.URI != "/echo?x=1" || seen.Host != "upstream.test" || seen.Header.Get("x-from") != "fixture" || seen.Body != "call-body" {
		t.Fatalf("backend saw %+v", seen)
	}
	// The call's response headers are read-only, and a map type past the last is none
	// (BadArgument: Context::getMap, context.cc, envoyproxy/envoy b40935a; cpp-host
	// src/exports.cc add_header_map_value, 09e5f8d).
	if got["call_header_edit"] != float64(StatusBadArgument) || got["bad_map_type"] != float64(StatusBadArgument) {
		t.Errorf("editing the call's response headers: %v, a map type past the last: %v; want %d", got["call_header_edit"], got["bad_map_type"], StatusBadArgument)
	}
}

func TestHTTPCallToARealAddressResumesTheStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }))
	defer srv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()
	h := newFixture(t, Options{Clusters: map[string]Cluster{
		"real": {Address: strings.TrimPrefix(srv.URL, "http://")},
		"dead": {Address: deadAddr},
	}})
	// The call's callback edits the request headers while they are paused, then resumes
	// them: Envoy keeps request_headers_ until Context::continueStream clears it, so the
	// edit lands and one after the resume answers BadArgument (context.cc, envoyproxy/envoy
	// b40935a). This is how Exeunt sets identity headers after a call.
	resp := do(t, h, &Request{Path: "/httpcall-continue?cluster=real"})
	if got := decodeEcho(t, resp).Header.Get("x-call-status"); got != "202" {
		t.Fatalf("upstream saw x-call-status %q, want 202", got)
	}
	if got := resp.HeaderValue("x-request-header-edit-after-resume"); got != "error status returned by host: bad argument" {
		t.Errorf("a request header edit after the resume: %q, want bad argument", got)
	}
	// A refused connection is answered as Envoy's router answers it: 503.
	if got := decodeEcho(t, do(t, h, &Request{Path: "/httpcall-continue?cluster=dead"})).Header.Get("x-call-status"); got != "503" {
		t.Fatalf("upstream saw x-call-status %q, want 503", got)
	}
	got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=dead"}))
	if body, _ := got["body"].(string); !strings.HasPrefix(body, "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure") {
		t.Fatalf("refused connection: the guest saw %v", got)
	}
}

// TestHTTPCallResetAfterHeadersIsAFailure: Envoy's async client reports a
// stream reset once the response had begun as a failure: no headers at all.
func TestHTTPCallResetAfterHeadersIsAFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.Write([]byte("short"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	h := newFixture(t, Options{Clusters: map[string]Cluster{"cut": {Address: strings.TrimPrefix(srv.URL, "http://")}}})
	if got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=cut"})); got["num_headers"] != float64(0) {
		t.Fatalf("reset mid-body: the guest saw %v, want no headers", got)
	}
}

func TestHTTPCallFailuresAreEnvoys(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	h := newFixture(t, Options{Clusters: map[string]Cluster{"slow": {Handler: slow}}})
	if got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=nowhere"})); got["dispatch_error"] != "error status returned by host: bad argument" {
		t.Errorf("unknown cluster: %v", got)
	}
	if got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=slow&nopath=yes"})); got["dispatch_error"] != "error status returned by host: bad argument" {
		t.Errorf("missing :path: %v", got)
	}
	// Envoy's router answers a callout that timed out with its 504.
	if got := decodeJSON(t, do(t, h, &Request{Path: "/httpcall?cluster=slow&timeout=30"})); got["body"] != "upstream request timeout" || !strings.Contains(toJSON(got["headers"]), `[":status","504"]`) {
		t.Errorf("timeout: %v", got)
	}
}

func TestSharedDataCompareAndSwap(t *testing.T) {
	h := newFixture(t, Options{VMs: 2})
	first := decodeJSON(t, do(t, h, &Request{Path: "/shared?key=k&value=v1"}))
	if first["get_error"] != "error status returned by host: not found" || first["set_error"] != "" {
		t.Fatalf("first: %v", first)
	}
	second := decodeJSON(t, do(t, h, &Request{Path: "/shared?key=k&value=v2"}))
	if second["set_error"] != "" || second["stale_error"] != "error status returned by host: cas mismatch" || second["value"] != "v2" {
		t.Fatalf("second (other VM): %v", second)
	}
	if second["cas_after"].(float64) != second["cas_before"].(float64)+1 {
		t.Fatalf("a write must bump the CAS by one: %v", second)
	}
	if v, _, _ := h.SharedData("k"); string(v) != "v2" {
		t.Fatalf("host view = %q", v)
	}
}

func TestSharedQueueNotifiesItsOwner(t *testing.T) {
	h := newFixture(t, Options{VMs: 2, VMID: "vm-q"})
	for _, v := range []string{"a", "b"} {
		got := decodeJSON(t, do(t, h, &Request{Path: "/enqueue?vm_id=vm-q&value=" + v}))
		if got["enqueue_error"] != "" || got["unknown_error"] != "error status returned by host: not found" {
			t.Fatalf("enqueue: %v", got)
		}
	}
	h.WaitIdle()
	if v, _, _ := h.SharedData("queue-received"); string(v) != "a,b," {
		t.Fatalf("owner received %q, want a,b,", v)
	}
	if got := decodeJSON(t, do(t, h, &Request{Path: "/enqueue?vm_id=other&value=x"})); got["resolve_error"] == nil {
		t.Fatalf("a queue of another vm_id resolved: %v", got)
	}
}

func TestMetricsAreSharedByVMs(t *testing.T) {
	h := newFixture(t, Options{VMs: 2})
	do(t, h, &Request{Path: "/metrics"})
	got := decodeJSON(t, do(t, h, &Request{Path: "/metrics"}))
	if got["requests"] != float64(2) || got["gauge"] != float64(6) {
		t.Fatalf("guest read back %v, want requests 2 and gauge 6", got)
	}
	ms := h.Metrics()
	if ms["fixture.requests"].Value != 2 || ms["fixture.requests"].Type != MetricCounter || ms["fixture.gauge"].Value != 6 {
		t.Fatalf("metrics = %+v", ms)
	}
	if s := ms["fixture.histogram"].Samples; !reflect.DeepEqual(s, []uint64{7, 9, 7, 9}) {
		t.Fatalf("histogram samples = %v", s)
	}
}

func TestTicksFollowAManualClock(t *testing.T) {
	clock := NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	h := newFixture(t, Options{VMs: 2, Clock: clock, PluginConfig: []byte("tick=100")})
	ticks := func() string { v, _, _ := h.SharedData("ticks"); return string(v) }
	clock.Advance(99 * time.Millisecond)
	if got := ticks(); got != "" {
		t.Fatalf("ticked before the period: %q", got)
	}
	clock.Advance(251 * time.Millisecond) // 350ms: 3 periods on each of 2 VMs
	if got := ticks(); got != "6" {
		t.Fatalf("ticks = %q, want 6", got)
	}
}

func TestTicksOnTheRealClock(t *testing.T) {
	h := newFixture(t, Options{PluginConfig: []byte("tick=5")})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if v, _, _ := h.SharedData("ticks"); atoi(string(v)) >= 3 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no ticks within 10s of a 5ms period")
}

func TestTheGuestSeesTheInjectedClock(t *testing.T) {
	at := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)
	h := newFixture(t, Options{Clock: NewManualClock(at)})
	got := decodeJSON(t, do(t, h, &Request{Path: "/time"}))
	want := float64(at.UnixNano())
	if got["go_now"] != want || got["host_now"] != want {
		t.Fatalf("guest time = %v, want %v from both time.Now and proxy_get_current_time_nanoseconds", got, want)
	}
}

func TestUnimplementedHostFunctionsAreReported(t *testing.T) {
	var reported []string
	h := newFixture(t, Options{OnUnimplemented: func(name string) { reported = append(reported, name) }})
	if got := decodeJSON(t, do(t, h, &Request{Path: "/grpc"})); got["status"] != float64(StatusUnimplemented) {
		t.Fatalf("proxy_grpc_call answered %v, want Unimplemented (12)", got)
	}
	if got := decodeJSON(t, do(t, h, &Request{Path: "/foreign"})); got["error"] != "error status returned by host: not found" {
		t.Fatalf("foreign function: %v", got)
	}
	want := []string{"proxy_grpc_call", "proxy_call_foreign_function(no_such_function)"}
	if !reflect.DeepEqual(reported, want) || !reflect.DeepEqual(h.Unimplemented(), want) {
		t.Fatalf("reported %v and recorded %v, want %v", reported, h.Unimplemented(), want)
	}
}

func TestEveryHostFunctionTheGuestImportsIsImplemented(t *testing.T) {
	// The fixture imports every host function the SDK can reach (the bridge
	// declares them all), plus proxy_grpc_call on purpose. Each must be one
	// this host really implements, not one it answers Unimplemented.
	deliberate := map[string]bool{"proxy_grpc_call": true, "proxy_call_foreign_function": true}
	m, err := Inspect(context.Background(), wasmFile(t, "fixture.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	implemented := map[string]bool{}
	for _, f := range hostFuncs {
		implemented[f.name] = !strings.Contains(funcName(f.fn), "unimplemented")
	}
	for _, imp := range m.Imports {
		name, ok := strings.CutPrefix(imp, "env.")
		if ok && !implemented[name] && !deliberate[name] {
			t.Errorf("the fixture imports %s, which hostsim does not implement", name)
		}
	}
}

func funcName(f any) string { return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name() }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
