package core

import (
	"strings"
	"testing"
)

func TestUIConfig(t *testing.T) {
	const u = `exeunt configuration: field "ui.`
	runConfigCases(t, []configCase{
		{name: "absent", edits: []edit{del("ui")},
			check: func(t *testing.T, c *Config) { is(t, "UI", c.UI, UI{Title: "Exeunt"}) }},
		{name: "example", check: func(t *testing.T, c *Config) { is(t, "UI", c.UI, UI{Title: "Exeunt"}) }},
		{name: "empty object", edits: []edit{set("ui", map[string]any{})},
			check: func(t *testing.T, c *Config) { is(t, "UI", c.UI, defaultUI()) }},
		{name: "themed", edits: []edit{set("ui", map[string]any{
			"title":          "Connexion Exemple — SSO",
			"logo_url":       "https://CDN.example.test:443/brand/logo.svg?v=2",
			"stylesheet_url": "http://localhost:8080/exeunt.css",
		})}, check: func(t *testing.T, c *Config) {
			is(t, "UI", c.UI, UI{
				Title:            "Connexion Exemple — SSO",
				LogoURL:          "https://CDN.example.test:443/brand/logo.svg?v=2",
				StylesheetURL:    "http://localhost:8080/exeunt.css",
				logoOrigin:       "https://cdn.example.test",
				stylesheetOrigin: "http://localhost:8080",
			})
		}},
		{name: "100 characters", edits: []edit{set("ui.title", strings.Repeat("é", 100))}},

		{name: "empty title", edits: []edit{set("ui.title", "")},
			err: u + `title": must not be empty; leave the field out for the default ("Exeunt")`},
		{name: "long title", edits: []edit{set("ui.title", strings.Repeat("é", 101))},
			err: u + `title": is 101 characters long; keep it to at most 100 (it is a name shown in a page header)`},
		{name: "control character", edits: []edit{set("ui.title", "a\nb")},
			err: u + `title": must not contain control characters (byte 0xa at offset 1)`},
		{name: "title number", edits: []edit{set("ui.title", 1)},
			err: u + `title": must be a string, not a number`},
		{name: "relative logo", edits: []edit{set("ui.logo_url", "/logo.svg")},
			err: u + `logo_url": must be an absolute URL such as https://app.example.test/path; it is the URL of an image such as https://cdn.example.test/logo.svg`},
		{name: "data logo", edits: []edit{set("ui.logo_url", "data:image/png;base64,AAAA")},
			err: u + `logo_url": must be an absolute URL such as https://app.example.test/path; it is the URL of an image such as https://cdn.example.test/logo.svg`},
		{name: "http stylesheet", edits: []edit{set("ui.stylesheet_url", "http://cdn.example.com/x.css")},
			err: u + `stylesheet_url": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"; it is the URL of a stylesheet such as https://cdn.example.test/exeunt.css`},
		{name: "stylesheet fragment", edits: []edit{set("ui.stylesheet_url", "https://cdn.example.test/x.css#a")},
			err: u + `stylesheet_url": must not have a "#" fragment; it is the URL of a stylesheet such as https://cdn.example.test/exeunt.css`},
		{name: "logo null", edits: []edit{set("ui.logo_url", nil)},
			err: u + `logo_url": must be a string, not null`},
		{name: "not an object", edits: []edit{set("ui", "Exeunt")},
			err: `exeunt configuration: field "ui": must be a JSON object ({...}), not a string`},
		{name: "unknown field", edits: []edit{set("ui.favicon_url", "https://cdn.example.test/f.ico")},
			err: u + `favicon_url": unknown field; remove it or fix its spelling (known fields: title, logo_url, stylesheet_url)`},
		{name: "without sign-in", raw: `{"ui": {"title": "SSO"}}`,
			err: `exeunt configuration: field "ui": has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it`},
	})
}

func TestUIDefaultInPassThrough(t *testing.T) {
	cfg, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	is(t, "UI", cfg.UI, UI{Title: "Exeunt"})
	is(t, "Logout", cfg.Logout, defaultLogout())
}
