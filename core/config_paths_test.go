package core

import "testing"

func TestPaths(t *testing.T) {
	const p = `exeunt configuration: field "paths.`
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{del("paths")},
			check: func(t *testing.T, c *Config) { is(t, "Paths", c.Paths, defaultPaths("")) }},
		{name: "renamed", edits: []edit{set("paths.end_session", "/logout"), set("paths.jwks", "/keys")},
			check: func(t *testing.T, c *Config) {
				is(t, "EndSession", c.Paths.EndSession, "/logout")
				is(t, "JWKS", c.Paths.JWKS, "/keys")
			}},
		{name: "health path may be anything in pass-through mode", raw: `{"health_path": "/exeunt/signin"}`},

		{name: "relative", edits: []edit{set("paths.end_session", "logout")},
			err: p + `end_session": must start with "/" (for example "/connect/endsession")`},
		{name: "query", edits: []edit{set("paths.jwks", "/jwks?x")},
			err: p + `jwks": must be a path only, without a "?" query or "#" fragment`},
		{name: "not visible ASCII", edits: []edit{set("paths.signin_choice", "/sign in")},
			err: p + `signin_choice": must contain only visible ASCII characters; percent-encode anything else (byte 0x20 at offset 5)`},
		{name: "discovery elsewhere", edits: []edit{set("paths.discovery", "/openid-configuration")},
			err: p + `discovery": must be "/.well-known/openid-configuration", the issuer's path followed by /.well-known/openid-configuration: OpenID Connect Discovery looks for the document there and nowhere else (or remove the field)`},
		{name: "discovery ignoring the issuer's path", edits: []edit{set("issuer", "https://auth.example.test/exeunt")},
			err: p + `discovery": must be "/exeunt/.well-known/openid-configuration", the issuer's path followed by /.well-known/openid-configuration: OpenID Connect Discovery looks for the document there and nowhere else (or remove the field)`},
		{name: "two paths alike", edits: []edit{set("paths.logout_context", "/exeunt/signin")},
			err: p + `logout_context": is "/exeunt/signin", the same path as "paths.signin_choice"; every path Exeunt answers must be distinct`},
		{name: "a path on the health path", edits: []edit{set("paths.jwks", "/exeunt/healthz")},
			err: p + `jwks": is "/exeunt/healthz", the same path as "health_path"; every path Exeunt answers must be distinct`},
		{name: "health path on a default path", edits: []edit{set("health_path", "/connect/endsession"), del("paths")},
			err: p + `end_session": is "/connect/endsession", the same path as "health_path"; every path Exeunt answers must be distinct`},
		{name: "provider path on one of Exeunt's", edits: []edit{set("providers[0].callback_path", "/connect/endsession")},
			err: `exeunt configuration: field "providers[0].callback_path": is "/connect/endsession", the same path as "paths.end_session"; every path Exeunt answers must be distinct`},
		{name: "two paths of a provider alike", edits: []edit{set("providers[0].signout_callback_path", "/signin-oidc")},
			err: `exeunt configuration: field "providers[0].signout_callback_path": is "/signin-oidc", the same path as "providers[0].callback_path"; every path Exeunt answers must be distinct`},
		{name: "paths of two providers alike", edits: []edit{appendTo("providers",
			map[string]any{"scheme": "aad", "issuer": "https://login.example.test", "client_id": "x", "cluster": "aad", "backchannel_logout_path": "/backchannel-oidc"})},
			err: `exeunt configuration: field "providers[1].backchannel_logout_path": is "/backchannel-oidc", the same path as "providers[0].backchannel_logout_path"; every path Exeunt answers must be distinct`},
		{name: "unknown path", edits: []edit{set("paths.userinfo", "/userinfo")},
			err: p + `userinfo": unknown field; remove it or fix its spelling (known fields: discovery, jwks, end_session, signin_choice, logout_context, check_session)`},
		{name: "paths not an object", edits: []edit{set("paths", []any{})},
			err: `exeunt configuration: field "paths": must be a JSON object ({...}), not an array`},
	})
}
