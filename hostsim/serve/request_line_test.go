package serve

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestServeRefusesMethodsEnvoysCodecRefuses: Envoy's HTTP/1 codec answers a method outside
// its list 400 before any filter or upstream sees it (a lower-case "get", "QUERY",
// "M-SEARCH"), unless http_protocol_options.allow_custom_methods is set.
func TestServeRefusesMethodsEnvoysCodecRefuses(t *testing.T) {
	if !slices.IsSorted(envoyMethods) {
		t.Fatal("envoyMethods must be sorted: requestMethod searches it")
	}
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	for _, tc := range []struct {
		name, hcm string
		method    string
		status    int
	}{
		{"GET", "", "GET", 200},
		{"MSEARCH, in the list", "", "MSEARCH", 200},
		{"lower-case get", "", "get", 400},
		{"Get", "", "Get", 400},
		{"QUERY", "", "QUERY", 400},
		{"M-SEARCH", "", "M-SEARCH", 400},
		{"FOO", "", "FOO", 400},
		{"allow_custom_methods: get", "          http_protocol_options: {allow_custom_methods: true}\n", "get", 200},
		{"allow_custom_methods: QUERY", "          http_protocol_options: {allow_custom_methods: true}\n", "QUERY", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, log := start(t, config{wasm: fixture, app: app.addr(), hcm: tc.hcm}, Options{})
			if strings.Contains(log.String(), "not supported by hostsim") {
				t.Fatalf("a setting is reported as not simulated:\n%s", log.String())
			}
			conn, err := net.Dial("tcp", s.ListenerAddr("main"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(tc.method + " /page HTTP/1.1\r\nHost: app.test\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d", tc.method, res.StatusCode, tc.status)
			}
			if tc.status == 400 && (res.Header.Get("X-Seen-Status") != "" || !res.Close) {
				t.Errorf("400 seen by the filter (%q) or the connection kept open (%v): want Envoy's codec reply, before the filter, closing", res.Header.Get("X-Seen-Status"), !res.Close)
			}
		})
	}
}

// TestServeRefusesRequestTargetsEnvoysCodecRefuses: a byte above 0x7E in the request target
// (raw UTF-8 in the path or the query) is a 400 from Envoy's codec, before any filter.
func TestServeRefusesRequestTargetsEnvoysCodecRefuses(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		target string
		status int
	}{
		{"/page%C3%A9", 200},
		{"/page\xc3\xa9", 400},
		{"/page?q=\xc3\xa9", 400},
		{"/page\x80", 400},
	} {
		res := rawExchange(t, base, "GET "+tt.target+" HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
		if res.status != tt.status || tt.status == 400 && res.header.Get("X-Seen-Status") != "" {
			t.Errorf("%q: %d (filter saw it: %q), want %d", tt.target, res.status, res.header.Get("X-Seen-Status"), tt.status)
		}
	}
}

// TestServeRefusesAbsoluteFormHostsEnvoysCodecRefuses: in an absolute-form target, Envoy's
// codec (isUrlValid) takes only its valid_host_char set in the host and never "@@": anything
// else is a 400 before any filter, though Go's server takes '<', '"', '>' and "@@" there. The
// path and query keep the wider set ('<' is fine there).
func TestServeRefusesAbsoluteFormHostsEnvoysCodecRefuses(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct {
		target string
		status int
	}{
		{"http://app.test/page", 200},
		{"http://app.test/pa<ge?q=\"<", 200},
		{"http://a<b/page", 400},
		{"http://a>b/page", 400},
		{"http://a\"b/page", 400},
		{"http://x@@app.test/page", 400},
		{"http://app.t\xc3\xa9st/page", 400},
	} {
		res := rawExchange(t, base, "GET "+tt.target+" HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
		if res.status != tt.status || tt.status == 400 && res.header.Get("X-Seen-Status") != "" {
			t.Errorf("%q: %d (filter saw it: %q), want %d", tt.target, res.status, res.header.Get("X-Seen-Status"), tt.status)
		}
	}
}

// TestServeFilterSeesCodecProtocol: with accept_http_10, Envoy's codec takes any version but
// 1.1 as HTTP/1.0, and that is the request.protocol a filter reads: "HTTP/1.2" is "HTTP/1.0".
func TestServeFilterSeesCodecProtocol(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr(),
		hcm: "          http_protocol_options: {accept_http_10: true}\n"}, Options{})
	base := "http://" + s.ListenerAddr("main")
	for _, tt := range []struct{ version, want string }{
		{"HTTP/1.1", "HTTP/1.1"},
		{"HTTP/1.0", "HTTP/1.0"},
		{"HTTP/1.2", "HTTP/1.0"},
		{"HTTP/1.9", "HTTP/1.0"},
	} {
		res := rawExchange(t, base, "GET /properties?names=request.protocol "+tt.version+"\r\nHost: app.test\r\nConnection: close\r\n\r\n")
		var props map[string]any
		if err := json.Unmarshal([]byte(res.body), &props); res.status != 200 || err != nil {
			t.Fatalf("%s: %d %q (%v)", tt.version, res.status, res.body, err)
		}
		if got := props["request.protocol"]; got != tt.want {
			t.Errorf("%s: the filter read request.protocol %q, want %q", tt.version, got, tt.want)
		}
	}
}

// TestServeClosesHTTP12AsHTTP10: under accept_http_10, Envoy's codec takes HTTP/1.2 as HTTP/1.0,
// whose connection closes after the response unless the request says "Connection: keep-alive";
// Go's server kept HTTP/1.2 alive as 1.1. HTTP/1.1 and HTTP/1.0 with keep-alive stay open.
func TestServeClosesHTTP12AsHTTP10(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{app: app.addr(), hcm: "          http_protocol_options: {accept_http_10: true}\n"}, Options{})
	for _, tt := range []struct {
		version, connection string
		open                bool
	}{
		{"HTTP/1.1", "", true},
		{"HTTP/1.2", "", false},
		{"HTTP/1.9", "", false},
		{"HTTP/1.0", "", false},
		{"HTTP/1.2", "Connection: Keep-Alive\r\n", true},
		{"HTTP/1.0", "Connection: keep-alive\r\n", true},
		// The same function closes any HTTP/1 connection on Proxy-Connection: close.
		{"HTTP/1.1", "Proxy-Connection: Close\r\n", false},
		{"HTTP/1.1", "Proxy-Connection: foo, close\r\n", false},
		{"HTTP/1.0", "Connection: keep-alive\r\nProxy-Connection: close\r\n", false},
		{"HTTP/1.1", "Proxy-Connection: keep-alive\r\n", true},
	} {
		conn, err := net.Dial("tcp", s.ListenerAddr("main"))
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		res, _ := exchange(t, conn, br, "GET /page "+tt.version+"\r\nHost: app.test\r\n"+tt.connection+"\r\n")
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err = br.Peek(1) // io.EOF: the server closed; a timeout: it kept the connection
		conn.SetReadDeadline(time.Time{})
		if res.StatusCode != 200 {
			t.Errorf("%s %q: %d", tt.version, tt.connection, res.StatusCode)
		}
		if !tt.open && err != io.EOF {
			t.Errorf("%s %q: the connection stays open: Envoy closes it after the response", tt.version, tt.connection)
		}
		if tt.open {
			if _, err := io.WriteString(conn, "GET /again HTTP/1.1\r\nHost: app.test\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
				t.Errorf("%s %q: the kept connection's next request: %v", tt.version, tt.connection, err)
			}
		}
		conn.Close()
	}
}
