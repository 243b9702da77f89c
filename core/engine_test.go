package core

import (
	"reflect"
	"testing"
	"time"
)

func TestEngineOnRequestHeaders(t *testing.T) {
	noStore := Header{Name: "cache-control", Value: "no-store"}
	json := Header{Name: "content-type", Value: "application/json"}
	nosniff := Header{Name: "x-content-type-options", Value: "nosniff"} // every answer of Exeunt's own
	healthy := &Response{Status: 200, Headers: []Header{json, noStore, nosniff}, Body: []byte(`{"status":"ok"}`)}

	custom, err := ParseConfig([]byte(`{"health_path": "/ready"}`))
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		cfg  *Config
		req  Request
		want *Response // nil: the request continues
	}{
		{"health GET", defaults, Request{Method: "GET", Path: "/exeunt/healthz"}, healthy},
		{"health with query", defaults, Request{Method: "GET", Path: "/exeunt/healthz?probe=1"}, healthy},
		{"health HEAD", defaults, Request{Method: "HEAD", Path: "/exeunt/healthz"},
			&Response{Status: 200, Headers: []Header{json, noStore, nosniff}}},
		{"health POST", defaults, Request{Method: "POST", Path: "/exeunt/healthz"},
			&Response{Status: 405, Headers: []Header{{Name: "allow", Value: "GET, HEAD"}, noStore, nosniff}}},
		{"configured health path", custom, Request{Method: "GET", Path: "/ready"}, healthy},
		{"default path not served when configured elsewhere", custom, Request{Method: "GET", Path: "/exeunt/healthz"}, nil},
		{"other path", defaults, Request{Method: "GET", Path: "/"}, nil},
		{"prefix of health path", defaults, Request{Method: "GET", Path: "/exeunt/health"}, nil},
		{"below health path", defaults, Request{Method: "GET", Path: "/exeunt/healthz/x"}, nil},
		{"trailing slash", defaults, Request{Method: "GET", Path: "/exeunt/healthz/"}, nil},
		{"case differs", defaults, Request{Method: "GET", Path: "/Exeunt/Healthz"}, nil},
		{"no path", defaults, Request{Method: "CONNECT", Path: ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustEngine(t, tt.cfg).OnRequestHeaders(tt.req, time.Now())
			if tt.want == nil {
				if !d.Continues() {
					t.Fatalf("got local response %+v, want the request to continue", *d.Response)
				}
				return
			}
			if d.Continues() {
				t.Fatalf("request continued, want local response %+v", *tt.want)
			}
			if !reflect.DeepEqual(d.Response, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", *d.Response, *tt.want)
			}
		})
	}
}

func TestNotConfiguredRefuses(t *testing.T) {
	d := NotConfigured()
	if d.Continues() || d.Response.Status != 503 {
		t.Fatalf("NotConfigured() = %+v, want a 503 local response", d)
	}
}

func TestRequestUnreadableRefuses(t *testing.T) {
	d := RequestUnreadable()
	if d.Continues() || d.Response.Status != 503 || d.Response.Headers[1] != (Header{Name: "cache-control", Value: "no-store"}) {
		t.Fatalf("RequestUnreadable() = %+v, want a 503 local response, never cached", d)
	}
}

func mustEngine(t testing.TB, cfg *Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg, NewMemoryStore(), func(msg string) { t.Log(msg) })
	if err != nil {
		t.Fatal(err)
	}
	if deferStorePorts {
		e.ports = deferPorts(e.ports)
	}
	if etcdFlows.url != "" {
		e.ports = etcdFlowPorts(t, cfg)
	}
	return e
}
