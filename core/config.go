package core

import (
	"fmt"
	"strings"
)

// DefaultHealthPath is where the health check answers when the configuration does not
// say otherwise.
const DefaultHealthPath = "/exeunt/healthz"

// Config is the plugin configuration, validated and precomputed. It is immutable: build
// one with [ParseConfig] and share it freely.
type Config struct {
	healthPath string
}

// HealthPath is the request path the filter answers itself with a health report.
func (c *Config) HealthPath() string { return c.healthPath }

// ParseConfig turns the plugin configuration (a JSON object, as given in envoy.yaml) into
// a Config. Zero bytes, or only whitespace, means every default. Any mistake is an
// error naming the field and saying how to fix it; unknown and repeated fields are
// mistakes too, so that a typo never silently falls back to a default.
func ParseConfig(data []byte) (*Config, error) {
	cfg := &Config{healthPath: DefaultHealthPath}
	if len(strings.TrimSpace(string(data))) == 0 {
		return cfg, nil
	}
	obj, err := readTopObject(data)
	if err != nil {
		return nil, err
	}
	if s, ok, err := obj.optionalString("health_path"); err != nil {
		return nil, err
	} else if ok {
		if problem := checkHealthPath(s); problem != "" {
			return nil, obj.fieldError("health_path", problem)
		}
		cfg.healthPath = s
	}
	if err := obj.rejectUnknown(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkHealthPath accepts what Envoy could ever match against a request's :path: an
// absolute path of visible ASCII (anything else arrives percent-encoded) without a query
// or fragment, which are not part of what is matched.
// It returns the problem, or "" when there is none.
func checkHealthPath(s string) string {
	if !strings.HasPrefix(s, "/") {
		return fmt.Sprintf(`must start with "/" (for example %q)`, DefaultHealthPath)
	}
	if strings.ContainsAny(s, "?#") {
		return `must be a path only, without a "?" query or "#" fragment`
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Sprintf("must contain only visible ASCII characters; percent-encode anything else (byte %#x at offset %d)", s[i], i)
		}
	}
	return ""
}
