package core

import (
	"strings"
	"testing"
	"time"
)

func TestLogoutConfig(t *testing.T) {
	const l = `exeunt configuration: field "logout.`
	defaults := Logout{
		AutomaticRedirect:   false,
		ContextStorage:      "auto",
		MaxURLLength:        2000,
		ContextLifetime:     10 * time.Minute,
		Prompt:              "auto",
		BackchannelTimeout:  5 * time.Second,
		BackchannelDeadline: 10 * time.Minute,
		SessionManagement:   false,
	}
	runConfigCases(t, []configCase{
		{name: "absent", edits: []edit{del("logout")},
			check: func(t *testing.T, c *Config) { is(t, "Logout", c.Logout, defaults) }},
		{name: "example", check: func(t *testing.T, c *Config) { is(t, "Logout", c.Logout, defaults) }},
		{name: "empty object", edits: []edit{set("logout", map[string]any{})},
			check: func(t *testing.T, c *Config) { is(t, "Logout", c.Logout, defaults) }},
		{name: "everything changed", edits: []edit{set("logout", map[string]any{
			"automatic_redirect":   true,
			"context_storage":      "store",
			"max_url_length":       512,
			"context_lifetime":     "1h",
			"prompt":               "always",
			"backchannel_timeout":  "100ms",
			"backchannel_deadline": "24h",
			"session_management":   true,
		})}, check: func(t *testing.T, c *Config) {
			is(t, "Logout", c.Logout, Logout{
				AutomaticRedirect:   true,
				ContextStorage:      LogoutContextStore,
				MaxURLLength:        512,
				ContextLifetime:     time.Hour,
				Prompt:              LogoutPromptAlways,
				BackchannelTimeout:  100 * time.Millisecond,
				BackchannelDeadline: 24 * time.Hour,
				SessionManagement:   true,
			})
		}},
		{name: "largest URL", edits: []edit{set("logout.max_url_length", 8192)},
			check: func(t *testing.T, c *Config) { is(t, "MaxURLLength", c.Logout.MaxURLLength, 8192) }},
		{name: "whole number written as float", edits: []edit{set("logout.max_url_length", 4096.0)},
			check: func(t *testing.T, c *Config) { is(t, "MaxURLLength", c.Logout.MaxURLLength, 4096) }},
		{name: "deadline equal to timeout", edits: []edit{set("logout.backchannel_timeout", "1m"), set("logout.backchannel_deadline", "1m")}},
		{name: "shortest context", edits: []edit{set("logout.context_lifetime", "60s")},
			check: func(t *testing.T, c *Config) { is(t, "ContextLifetime", c.Logout.ContextLifetime, time.Minute) }},

		{name: "storage cookie", edits: []edit{set("logout.context_storage", "cookie")},
			err: l + `context_storage": must be "auto" (the default) or "store", not "cookie"`},
		{name: "storage upper case", edits: []edit{set("logout.context_storage", "Store")},
			err: l + `context_storage": must be "auto" (the default) or "store", not "Store"`},
		{name: "prompt never", edits: []edit{set("logout.prompt", "never")},
			err: l + `prompt": must be "auto" (the default) or "always", not "never"`},
		{name: "prompt boolean", edits: []edit{set("logout.prompt", true)},
			err: l + `prompt": must be a string, not a boolean`},
		{name: "redirect string", edits: []edit{set("logout.automatic_redirect", "true")},
			err: l + `automatic_redirect": must be true or false, not a string`},
		{name: "session management number", edits: []edit{set("logout.session_management", 1)},
			err: l + `session_management": must be true or false, not a number`},
		{name: "URL too short", edits: []edit{set("logout.max_url_length", 511)},
			err: l + `max_url_length": is 511; it must be at least 512`},
		{name: "URL too long", edits: []edit{set("logout.max_url_length", 8193)},
			err: l + `max_url_length": is 8193; it must be at most 8192`},
		{name: "URL fraction", edits: []edit{set("logout.max_url_length", 2000.5)},
			err: l + `max_url_length": must be a whole number from 512 to 8192, not 2000.5`},
		{name: "URL exponent", edits: []edit{set("logout.max_url_length", 2e3)},
			check: func(t *testing.T, c *Config) { is(t, "MaxURLLength", c.Logout.MaxURLLength, 2000) }},
		{name: "URL raw exponent", raw: rawWithLogout(t, `{"max_url_length": 2e3}`),
			err: l + `max_url_length": must be a whole number from 512 to 8192, not 2e3`},
		{name: "URL negative", edits: []edit{set("logout.max_url_length", -1)},
			err: l + `max_url_length": is -1; it must be at least 512`},
		{name: "URL string", edits: []edit{set("logout.max_url_length", "2000")},
			err: l + `max_url_length": must be a number, not a string`},
		{name: "URL null", edits: []edit{set("logout.max_url_length", nil)},
			err: l + `max_url_length": must be a number, not null`},
		{name: "context lifetime short", edits: []edit{set("logout.context_lifetime", "59s")},
			err: l + `context_lifetime": is 59s; it must be at least 1m`},
		{name: "context lifetime long", edits: []edit{set("logout.context_lifetime", "2h")},
			err: l + `context_lifetime": is 2h; it must be at most 1h`},
		{name: "context lifetime days", edits: []edit{set("logout.context_lifetime", "1d")},
			err: l + `context_lifetime": must be a duration such as "8h", "90m" or "1h30m" (units: h, m, s, ms; there is no "d")`},
		{name: "timeout zero", edits: []edit{set("logout.backchannel_timeout", "0s")},
			err: l + `backchannel_timeout": must be positive`},
		{name: "timeout short", edits: []edit{set("logout.backchannel_timeout", "10ms")},
			err: l + `backchannel_timeout": is 10ms; it must be at least 100ms`},
		{name: "timeout long", edits: []edit{set("logout.backchannel_timeout", "2m")},
			err: l + `backchannel_timeout": is 2m; it must be at most 1m`},
		{name: "deadline long", edits: []edit{set("logout.backchannel_deadline", "25h")},
			err: l + `backchannel_deadline": is 25h; it must be at most 24h`},
		{name: "deadline shorter than timeout", edits: []edit{set("logout.backchannel_timeout", "30s"), set("logout.backchannel_deadline", "10s")},
			err: l + `backchannel_deadline": is 10s, shorter than backchannel_timeout (30s), so not even one attempt would fit; make it longer`},
		{name: "not an object", edits: []edit{set("logout", true)},
			err: `exeunt configuration: field "logout": must be a JSON object ({...}), not a boolean`},
		{name: "unknown field", edits: []edit{set("logout.auto_redirect", true)},
			err: l + `auto_redirect": unknown field; remove it or fix its spelling (known fields: automatic_redirect, context_storage, max_url_length, context_lifetime, prompt, backchannel_timeout, backchannel_deadline, session_management)`},
		{name: "repeated field", raw: rawWithLogout(t, `{"prompt": "auto", "prompt": "always"}`),
			err: l + `prompt": appears more than once; keep only one`},
		{name: "without sign-in", raw: `{"health_path": "/h", "logout": {}}`,
			err: `exeunt configuration: field "logout": has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it`},
	})
}

// rawWithLogout is the example configuration with its logout section replaced by the
// JSON text section, verbatim (for what encoding/json would not write: repeated keys,
// exponents).
func rawWithLogout(t testing.TB, section string) string {
	t.Helper()
	data := string(configWith(t, set("logout", "LOGOUT")))
	if strings.Count(data, `"LOGOUT"`) != 1 {
		t.Fatal("the placeholder is not in the example exactly once")
	}
	return strings.Replace(data, `"LOGOUT"`, section, 1)
}
