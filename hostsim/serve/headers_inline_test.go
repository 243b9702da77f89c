package serve

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestServeJoinsRepeatedInlineHeaders: repeated lines of one of Envoy's inline request headers
// reach the filter and the upstream as one value joined with ","; other headers stay separate
// lines. The filter's :scheme follows: two x-forwarded-proto lines make "https,http", not a
// scheme, so the connection's.
func TestServeJoinsRepeatedInlineHeaders(t *testing.T) {
	app := upstream(t, "app")
	s, _ := start(t, config{wasm: wasmPath(t, "fixture.wasm"), app: app.addr()}, Options{})
	base := "http://" + s.ListenerAddr("main")

	res := rawExchange(t, base, "POST /page HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Type: text/plain\r\n"+
		"X-Other: one\r\nX-Other: two\r\nConnection: close\r\n\r\n")
	if res.status != 200 {
		t.Fatalf("%d %q", res.status, res.body)
	}
	seen, _ := app.last(t)
	if got := seen.Header.Values("Content-Type"); !slices.Equal(got, []string{"application/x-www-form-urlencoded,text/plain"}) {
		t.Errorf("content-type lines %q, want one joined value", got)
	}
	if got := seen.Header.Values("X-Other"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("x-other lines %q, want two (not an inline header)", got)
	}

	res = rawExchange(t, base, "GET /properties?names=request.scheme HTTP/1.1\r\nHost: app.test\r\n"+
		"X-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n")
	var props map[string]any
	if err := json.Unmarshal([]byte(res.body), &props); err != nil {
		t.Fatalf("%v: %q", err, res.body)
	}
	if got := props["request.scheme"]; got != "http" {
		t.Errorf("two x-forwarded-proto lines: the filter saw :scheme %q, want the connection's http", got)
	}
}
