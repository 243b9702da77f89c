package core

import "testing"

func TestIdentityHeaders(t *testing.T) {
	const h = `exeunt configuration: field "identity_headers.`
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{del("identity_headers")},
			check: func(t *testing.T, c *Config) {
				is(t, "IdentityHeaderNames()", c.IdentityHeaderNames(), []string{
					"x-exeunt-sub", "x-exeunt-email", "x-exeunt-email-verified", "x-exeunt-name", "x-exeunt-idp", "x-exeunt-sid", "x-exeunt-assertion", "x-exeunt-session-state"})
			}},
		{name: "some renamed, lower-cased", edits: []edit{set("identity_headers", map[string]any{"sub": "X-User", "assertion": "x-id-token", "email_verified": "X-Email-Verified"})},
			check: func(t *testing.T, c *Config) {
				is(t, "IdentityHeaders", c.IdentityHeaders, IdentityHeaders{
					Sub: "x-user", Email: "x-exeunt-email", Name: "x-exeunt-name", IDP: "x-exeunt-idp", SID: "x-exeunt-sid", Assertion: "x-id-token", SessionState: "x-exeunt-session-state",
					EmailVerified: "x-email-verified"})
				is(t, "IdentityHeaderNames()", c.IdentityHeaderNames(), []string{
					"x-user", "x-exeunt-email", "x-email-verified", "x-exeunt-name", "x-exeunt-idp", "x-exeunt-sid", "x-id-token", "x-exeunt-session-state"})
			}},

		{name: "empty", edits: []edit{set("identity_headers.email", "")},
			err: h + `email": must not be empty (remove the field for the default)`},
		{name: "pseudo-header", edits: []edit{set("identity_headers.sub", ":authority")},
			err: h + `sub": must not be a pseudo-header (a name starting with ":")`},
		{name: "cookie", edits: []edit{set("identity_headers.sid", "Cookie")},
			err: h + `sid": must not be "cookie": identity headers are stripped from every request, and requests need that one`},
		{name: "authorization", edits: []edit{set("identity_headers.assertion", "authorization")},
			err: h + `assertion": must not be "authorization": identity headers are stripped from every request, and requests need that one`},
		{name: "host", edits: []edit{set("identity_headers.name", "host")},
			err: h + `name": must not be "host": identity headers are stripped from every request, and requests need that one`},
		{name: "content-length", edits: []edit{set("identity_headers.name", "content-length")},
			err: h + `name": must not be "content-length": identity headers are stripped from every request, and requests need that one`},
		{name: "envoy's", edits: []edit{set("identity_headers.idp", "x-envoy-idp")},
			err: h + `idp": must not start with "x-envoy-": Envoy reserves those headers`},
		{name: "space", edits: []edit{set("identity_headers.sub", "x user")},
			err: h + "sub\": must be a header name: letters, digits and !#$%&'*+-.^_`|~ only (' ' at offset 1 is not allowed)"},
		{name: "colon inside", edits: []edit{set("identity_headers.sub", "x-sub:")},
			err: h + "sub\": must be a header name: letters, digits and !#$%&'*+-.^_`|~ only (':' at offset 5 is not allowed)"},
		{name: "two the same", edits: []edit{set("identity_headers.name", "X-Exeunt-Sub")},
			err: h + `name": is "x-exeunt-sub", the same header as identity_headers.sub; each needs its own`},
		{name: "renamed onto a default", raw: `{"identity_headers": {"email": "x-exeunt-sid"}}`,
			err: h + `sid": is "x-exeunt-sid", the same header as identity_headers.email; each needs its own`},
		{name: "unknown header field", edits: []edit{set("identity_headers.groups", "x-groups")},
			err: h + `groups": unknown field; remove it or fix its spelling (known fields: sub, email, email_verified, name, idp, sid, assertion, session_state)`},
		{name: "email_verified empty", edits: []edit{set("identity_headers.email_verified", "")},
			err: h + `email_verified": must not be empty (remove the field for the default)`},
		{name: "email_verified onto email", edits: []edit{set("identity_headers.email_verified", "X-Exeunt-Email")},
			err: h + `email_verified": is "x-exeunt-email", the same header as identity_headers.email; each needs its own`},
	})
}
