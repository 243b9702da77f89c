package serve

import (
	"encoding/json"
	"testing"
)

// TestServeSchemeAsEnvoySetsIt: the :scheme the filter sees (the request.scheme property) is
// x-forwarded-proto's when that is http or https, the absolute-form target's, or the
// connection's; an absolute-form target with another scheme is refused 400, and https in the
// clear 403 on an edge Envoy (use_remote_address, no trusted hops).
func TestServeSchemeAsEnvoySetsIt(t *testing.T) {
	app := upstream(t, "app")
	fixture := wasmPath(t, "fixture.wasm")
	const edge = "          use_remote_address: true\n"
	const trusted = "          use_remote_address: true\n          xff_num_trusted_hops: 1\n"
	for _, tc := range []struct {
		name, hcm, line, header string
		status                  int
		scheme                  string
	}{
		{"default, no x-forwarded-proto", "", "/properties?names=request.scheme", "", 200, "http"},
		{"default, x-forwarded-proto https", "", "/properties?names=request.scheme", "X-Forwarded-Proto: https\r\n", 200, "https"},
		{"default, x-forwarded-proto HTTPS", "", "/properties?names=request.scheme", "X-Forwarded-Proto: HTTPS\r\n", 200, "HTTPS"},
		{"default, x-forwarded-proto ftp", "", "/properties?names=request.scheme", "X-Forwarded-Proto: ftp\r\n", 200, "http"},
		{"trusted hop, x-forwarded-proto https", trusted, "/properties?names=request.scheme", "X-Forwarded-Proto: https\r\n", 200, "https"},
		{"edge, x-forwarded-proto https overwritten", edge, "/properties?names=request.scheme", "X-Forwarded-Proto: https\r\n", 200, "http"},
		{"absolute https", "", "https://app.test/properties?names=request.scheme", "", 200, "https"},
		{"absolute HTTPS", "", "HTTPS://app.test/properties?names=request.scheme", "", 200, "https"},
		{"absolute http beats x-forwarded-proto", "", "http://app.test/properties?names=request.scheme", "X-Forwarded-Proto: https\r\n", 200, "http"},
		{"absolute ftp", "", "ftp://app.test/properties?names=request.scheme", "", 400, ""},
		{"edge, absolute https in the clear", edge, "https://app.test/properties?names=request.scheme", "", 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := start(t, config{wasm: fixture, app: app.addr(), hcm: tc.hcm}, Options{})
			res := rawExchange(t, "http://"+s.ListenerAddr("main"),
				"GET "+tc.line+" HTTP/1.1\r\nHost: app.test\r\n"+tc.header+"Connection: close\r\n\r\n")
			if res.status != tc.status {
				t.Fatalf("%d %q, want %d", res.status, res.body, tc.status)
			}
			if tc.status != 200 {
				if res.header.Get("X-Seen-Status") != "" {
					t.Errorf("the filter saw the refused request")
				}
				return
			}
			var props map[string]any
			if err := json.Unmarshal([]byte(res.body), &props); err != nil {
				t.Fatalf("%v: %q", err, res.body)
			}
			if got := props["request.scheme"]; got != tc.scheme {
				t.Errorf("the filter saw :scheme %q, want %q", got, tc.scheme)
			}
		})
	}
}
