package core

import (
	"strings"
	"testing"
)

func TestCookie(t *testing.T) {
	const ck = `exeunt configuration: field "cookie.`
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{del("cookie")}, unreached: true,
			check: func(t *testing.T, c *Config) {
				is(t, "Cookie", c.Cookie, Cookie{Name: "__Host-exeunt", Path: "/", SameSite: SameSiteLax, Secure: true})
			}},
		{name: "shared with subdomains", edits: []edit{set("cookie.name", "__Secure-exeunt"), set("cookie.domain", ".Example.test")},
			check: func(t *testing.T, c *Config) {
				is(t, "Cookie", c.Cookie, Cookie{Name: "__Secure-exeunt", Domain: "example.test", Path: "/", SameSite: SameSiteLax, Secure: true})
			}},
		{name: "plain name, path and not secure", edits: []edit{
			set("cookie.name", "exeunt"), set("cookie.path", "/app"), set("cookie.secure", false), set("cookie.same_site", "strict"),
		}, unreached: true, check: func(t *testing.T, c *Config) {
			is(t, "Cookie", c.Cookie, Cookie{Name: "exeunt", Domain: "example.test", Path: "/app", SameSite: SameSiteStrict, Secure: false})
		}},
		{name: "SameSite None", edits: []edit{set("cookie.same_site", "None")},
			check: func(t *testing.T, c *Config) { is(t, "SameSite", c.Cookie.SameSite, SameSiteNone) }},

		{name: "empty name", edits: []edit{set("cookie.name", "")},
			err: ck + `name": must not be empty (remove the field for the default, "__Host-exeunt")`},
		{name: "name with space", edits: []edit{set("cookie.name", "my cookie")},
			err: ck + "name\": must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ only (' ' at offset 2 is not allowed)"},
		// Each of Exeunt's cookies carries up to 3,800 bytes of value (maxCookieChunk), and
		// browsers keep none whose name and value pass 4096 bytes (RFC 6265 §6.1): a long
		// name made every session cookie one the browser drops, a sign-in loop.
		{name: "name too long", edits: []edit{set("cookie.name", strings.Repeat("n", 65))},
			err: ck + `name": must be at most 64 characters (it has 65): each of Exeunt's cookies carries up to 3800 bytes of value, and browsers keep no cookie whose name and value pass 4096 bytes`},
		{name: "name of 64 characters", edits: []edit{set("cookie.name", "__Secure-"+strings.Repeat("n", 55))},
			check: func(t *testing.T, c *Config) { is(t, "Name", len(c.Cookie.Name), 64) }},
		{name: "name with equals", edits: []edit{set("cookie.name", "a=b")},
			err: ck + "name\": must be a cookie name: letters, digits and !#$%&'*+-.^_`|~ only ('=' at offset 1 is not allowed)"},
		{name: "bad same_site", edits: []edit{set("cookie.same_site", "Relaxed")},
			err: ck + `same_site": must be "Strict", "Lax" (the default) or "None"`},
		{name: "None without secure", edits: []edit{set("cookie.name", "exeunt"), set("cookie.same_site", "None"), set("cookie.secure", false)},
			err: ck + `secure": must be true with same_site "None": browsers drop SameSite=None cookies that are not Secure`},
		{name: "__Host- without secure", edits: []edit{set("cookie.name", "__Host-exeunt"), set("cookie.domain", ""), set("cookie.secure", false)},
			err: ck + `secure": must be true with a "__Host-" name ("__Host-exeunt"): browsers drop such cookies unless they are Secure; rename the cookie to turn it off`},
		{name: "__Host- on a path", edits: []edit{set("cookie.name", "__Host-exeunt"), set("cookie.domain", ""), set("cookie.path", "/app")},
			err: ck + `path": must be "/" with a "__Host-" name ("__Host-exeunt"): browsers drop such cookies on any other path`},
		{name: "__Host- with a domain", edits: []edit{set("cookie.name", "__Host-exeunt"), set("cookie.domain", "example.test")},
			err: ck + `domain": must be empty with a "__Host-" name ("__Host-exeunt"): such cookies are host-only; use a "__Secure-" name to share the cookie with subdomains`},
		{name: "__host- in lower case", edits: []edit{set("cookie.name", "__host-x"), set("cookie.secure", false)},
			err: ck + `secure": must be true with a "__Host-" name ("__host-x"): browsers drop such cookies unless they are Secure; rename the cookie to turn it off`},
		{name: "__Secure- without secure", edits: []edit{set("cookie.name", "__Secure-x"), set("cookie.secure", false)},
			err: ck + `secure": must be true with a "__Secure-" name ("__Secure-x"): browsers drop such cookies unless they are Secure`},
		{name: "domain is an IP", edits: []edit{set("cookie.name", "x"), set("cookie.domain", "10.0.0.1")},
			err: ck + `domain": must be a DNS name, not an IP address; leave it empty for a host-only cookie`},
		{name: "domain without dot", edits: []edit{set("cookie.name", "x"), set("cookie.domain", "test")},
			err: ck + `domain": must be a domain with at least one dot, such as example.test; leave it empty for a host-only cookie`},
		{name: "domain with scheme", edits: []edit{set("cookie.name", "x"), set("cookie.domain", "https://example.test")},
			err: ck + `domain": must be a domain name only, without scheme, port or path, such as example.test`},
		{name: "domain only a dot", edits: []edit{set("cookie.name", "x"), set("cookie.domain", ".")},
			err: ck + `domain": must not be empty`},
		{name: "relative path", edits: []edit{set("cookie.name", "x"), set("cookie.path", "app")},
			err: ck + `path": must start with "/" (for example "/")`},
		{name: "path with semicolon", edits: []edit{set("cookie.name", "x"), set("cookie.path", "/a;b")},
			err: ck + `path": must not contain ";", which ends a Set-Cookie attribute`},
		{name: "secure not a boolean", edits: []edit{set("cookie.secure", "true")},
			err: ck + `secure": must be true or false, not a string`},
		{name: "cookie not an object", edits: []edit{set("cookie", "__Host-exeunt")},
			err: `exeunt configuration: field "cookie": must be a JSON object ({...}), not a string`},
		{name: "unknown cookie field", edits: []edit{set("cookie.httponly", true)},
			err: ck + `httponly": unknown field; remove it or fix its spelling (known fields: name, domain, path, same_site, secure, forward_to_apps)`},
	})
}
