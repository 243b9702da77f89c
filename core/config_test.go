package core

import (
	"errors"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		healthPath string // when the configuration is accepted
		err        string // the whole message, when it is rejected
	}{
		{name: "zero bytes", in: "", healthPath: DefaultHealthPath},
		{name: "whitespace", in: " \n\t", healthPath: DefaultHealthPath},
		{name: "empty object", in: "{}", healthPath: DefaultHealthPath},
		{name: "health path", in: `{"health_path": "/healthz"}`, healthPath: "/healthz"},
		{name: "root path", in: `{"health_path": "/"}`, healthPath: "/"},
		{name: "escaped", in: `{"health_path": "\/ready"}`, healthPath: "/ready"},

		{name: "relative path", in: `{"health_path": "healthz"}`,
			err: `exeunt configuration: field "health_path": must start with "/" (for example "/exeunt/healthz")`},
		{name: "empty path", in: `{"health_path": ""}`,
			err: `exeunt configuration: field "health_path": must start with "/" (for example "/exeunt/healthz")`},
		{name: "query", in: `{"health_path": "/h?x=1"}`,
			err: `exeunt configuration: field "health_path": must be a path only, without a "?" query or "#" fragment`},
		{name: "fragment", in: `{"health_path": "/h#x"}`,
			err: `exeunt configuration: field "health_path": must be a path only, without a "?" query or "#" fragment`},
		{name: "space", in: `{"health_path": "/a b"}`,
			err: `exeunt configuration: field "health_path": must contain only visible ASCII characters; percent-encode anything else (byte 0x20 at offset 2)`},
		{name: "non-ASCII", in: `{"health_path": "/é"}`,
			err: `exeunt configuration: field "health_path": must contain only visible ASCII characters; percent-encode anything else (byte 0xc3 at offset 1)`},
		{name: "number", in: `{"health_path": 42}`,
			err: `exeunt configuration: field "health_path": must be a string, not a number`},
		{name: "null field", in: `{"health_path": null}`,
			err: `exeunt configuration: field "health_path": must be a string, not null`},
		{name: "object field", in: `{"health_path": {}}`,
			err: `exeunt configuration: field "health_path": must be a string, not an object`},
		{name: "unknown field", in: `{"health_pth": "/h"}`,
			err: `exeunt configuration: field "health_pth": unknown field; remove it or fix its spelling (known fields: health_path)`},
		{name: "repeated field", in: `{"health_path": "/a", "health_path": "/b"}`,
			err: `exeunt configuration: field "health_path": appears more than once; keep only one`},
		{name: "array", in: `[]`,
			err: `exeunt configuration: must be a JSON object such as {"health_path": "/exeunt/healthz"}, not an array`},
		{name: "null", in: `null`,
			err: `exeunt configuration: must be a JSON object such as {"health_path": "/exeunt/healthz"}, not null`},
		{name: "string", in: `"/healthz"`,
			err: `exeunt configuration: must be a JSON object such as {"health_path": "/exeunt/healthz"}, not a string`},
		{name: "truncated", in: `{"health_path": "/h"`,
			err: `exeunt configuration: is not valid JSON: it ends too early; check for a missing "}", "]" or quote`},
		{name: "bad syntax", in: `{health_path: "/h"}`,
			err: `exeunt configuration: is not valid JSON: invalid character 'h' (at offset 1)`},
		{name: "trailing data", in: `{} {}`,
			err: `exeunt configuration: unexpected data after the closing }: the configuration must be exactly one JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.in))
			if tt.err != "" {
				if err == nil {
					t.Fatalf("ParseConfig(%q) = health path %q, want error %q", tt.in, cfg.HealthPath(), tt.err)
				}
				if err.Error() != tt.err {
					t.Fatalf("ParseConfig(%q) error\n got: %s\nwant: %s", tt.in, err, tt.err)
				}
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("ParseConfig(%q) error is %T, want *ConfigError", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", tt.in, err)
			}
			if got := cfg.HealthPath(); got != tt.healthPath {
				t.Fatalf("ParseConfig(%q).HealthPath() = %q, want %q", tt.in, got, tt.healthPath)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"", "{}", `{"health_path": "/healthz"}`, `{"health_path": 1}`, `{"a": 1, "a": 2}`,
		`{"health_path": "/a\u0000"}`, `[`, `{"health_path": "/h"} x`, `{"x": {"y": [1, {"z": null}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if cfg != nil {
				t.Fatalf("ParseConfig returned both a config and an error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "exeunt configuration: ") {
				t.Fatalf("error does not say where it comes from: %v", err)
			}
			return
		}
		if problem := checkHealthPath(cfg.HealthPath()); problem != "" {
			t.Fatalf("accepted health path %q: %s", cfg.HealthPath(), problem)
		}
	})
}
