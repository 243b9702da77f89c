package core

import (
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
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
			err: `exeunt configuration: field "health_pth": unknown field; remove it or fix its spelling (known fields: health_path, ready_path, issuer, paths, providers, clients, cookie, session, keys, identity_headers, assertion_lifetime, api, ui, logout, public_path_prefixes, unowned_requests, store)`},
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
			err: `exeunt configuration: is not valid JSON: invalid character 'h' looking for beginning of object key string (at line 1, column 2 of the JSON configuration: offset 1)`},
		{name: "missing comma, line 3", in: "{\n  \"health_path\": \"/h\"\n  \"ready_path\": \"/r\"\n}",
			err: `exeunt configuration: is not valid JSON: invalid character '"' after object key:value pair (at line 3, column 3 of the JSON configuration: offset 26)`},
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
		`{"issuer": "https://a.test", "providers": [{"scheme": "a"}], "clients": [], "keys": {"dev_generate": true}}`,
	} {
		f.Add([]byte(seed))
	}
	full, err := os.ReadFile("testdata/example-config.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add(configWith(f, set("issuer", "http://[::1]:8080/x"), del("paths"), del("keys"), set("keys", map[string]any{"dev_generate": true}),
		appendTo("clients", map[string]any{"client_id": "b", "hosts": []any{"a.test:8080"}, "path_prefixes": []any{"/b"}})))
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
		if !cfg.SignInEnabled() {
			if len(cfg.Providers) != 0 || len(cfg.Clients) != 0 || len(cfg.Keys.Sealing) != 0 || cfg.Keys.DevGenerate {
				t.Fatalf("pass-through configuration with sign-in parts: %s", data)
			}
			return
		}
		if len(cfg.Providers) == 0 || len(cfg.Clients) == 0 {
			t.Fatalf("sign-in without providers or clients: %s", data)
		}
		if !cfg.Keys.DevGenerate && (len(cfg.Keys.Sealing) == 0 || len(cfg.Keys.Signing) == 0) {
			t.Fatalf("sign-in without keys: %s", data)
		}
		for _, c := range cfg.Clients {
			for _, h := range c.Hosts {
				for _, p := range c.PathPrefixes {
					if got := cfg.ClientFor(h, p); got == nil {
						t.Fatalf("ClientFor(%q, %q) = nil, though client %q owns it", h, p, c.ClientID)
					}
				}
			}
		}
	})
}

// exampleConfig is testdata/example-config.json, the complete example of
// docs/configuration.md, as a JSON tree for tests to edit, without its store setting.
func exampleConfig(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/example-config.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	// The complete example shows the etcd store's settings; the engines of the tests
	// keep the default, local store unless a test sets one (config_store_test.go).
	delete(m, "store")
	return m
}

// An edit changes a configuration tree at a path written as errors name fields:
// "providers[0].issuer", "cookie.name".
type edit func(t testing.TB, m map[string]any)

// set sets the field at path to v (any value encoding/json can write, nil for null),
// adding it when absent.
func set(path string, v any) edit {
	return func(t testing.TB, m map[string]any) {
		parent, last := walk(t, m, path)
		switch p := parent.(type) {
		case map[string]any:
			p[last.(string)] = v
		case []any:
			p[last.(int)] = v
		}
	}
}

// del removes the field at path.
func del(path string) edit {
	return func(t testing.TB, m map[string]any) {
		parent, last := walk(t, m, path)
		p, ok := parent.(map[string]any)
		if !ok {
			t.Fatalf("del(%q): not an object field", path)
		}
		delete(p, last.(string))
	}
}

// appendTo appends v to the list at path.
func appendTo(path string, v any) edit {
	return func(t testing.TB, m map[string]any) {
		parent, last := walk(t, m, path)
		p := parent.(map[string]any)
		p[last.(string)] = append(p[last.(string)].([]any), v)
	}
}

// walk returns the container of path's last step and that step (a string key or an
// int index).
func walk(t testing.TB, m map[string]any, path string) (any, any) {
	t.Helper()
	var steps []any
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		steps = append(steps, name)
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if err != nil {
				t.Fatalf("bad path %q", path)
			}
			steps = append(steps, n)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	var cur any = m
	for _, step := range steps[:len(steps)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[step.(string)]
		case []any:
			cur = c[step.(int)]
		default:
			t.Fatalf("path %q: %v is not inside an object or list", path, step)
		}
	}
	return cur, steps[len(steps)-1]
}

// configWith is the example configuration with edits applied, as JSON.
func configWith(t testing.TB, edits ...edit) []byte {
	t.Helper()
	m := exampleConfig(t)
	for _, e := range edits {
		e(t, m)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// configCase is a configuration (the example with edits, or raw JSON) and what
// ParseConfig must make of it.
type configCase struct {
	name  string
	edits []edit
	raw   string                    // used instead of edits when not empty
	err   string                    // the whole error message; "" when it must be accepted
	check func(*testing.T, *Config) // when accepted
	// unreached parses without checkCookieReach: the case is about another field, and
	// its hosts or cookie path could not carry a session (config_cookie_reach.go).
	unreached bool
}

func runConfigCases(t *testing.T, cases []configCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.raw)
			if tt.raw == "" {
				data = configWith(t, tt.edits...)
			}
			cfg, err := parseConfigReaching(data, nil, !tt.unreached)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("accepted, want error\n%s", tt.err)
				}
				if err.Error() != tt.err {
					t.Fatalf("error\n got: %s\nwant: %s", err, tt.err)
				}
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("error is %T, want *ConfigError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if tt.check != nil {
				tt.check(t, cfg)
			}
		})
	}
}

// is fails the test when got differs from want.
func is[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// TestExampleConfig checks what the documented example turns into, field by field.
func TestExampleConfig(t *testing.T) {
	cfg, err := ParseConfig(configWith(t))
	if err != nil {
		t.Fatal(err)
	}
	is(t, "SignInEnabled()", cfg.SignInEnabled(), true)
	is(t, "HealthPath()", cfg.HealthPath(), "/exeunt/healthz")
	is(t, "Issuer", cfg.Issuer, "https://auth.example.test")
	is(t, "IssuerOrigin", cfg.IssuerOrigin, "https://auth.example.test")
	is(t, "PublicPathPrefixes", cfg.PublicPathPrefixes, []string{"/favicon.ico"})
	is(t, "UnownedRequests", cfg.UnownedRequests, UnownedRefuse)
	is(t, "Paths", cfg.Paths, Paths{
		Discovery:     "/.well-known/openid-configuration",
		JWKS:          "/.well-known/jwks.json",
		EndSession:    "/connect/endsession",
		SigninChoice:  "/exeunt/signin",
		LogoutContext: "/exeunt/logout-context",
		CheckSession:  "/connect/checksession",
	})
	p := cfg.Provider("oidc")
	if p == nil || len(cfg.Providers) != 1 || cfg.Providers[0] != p {
		t.Fatalf("Provider(\"oidc\") = %v, Providers = %v", p, cfg.Providers)
	}
	is(t, "provider", *p, Provider{
		Scheme:                 "oidc",
		DisplayName:            "Example IdP",
		Issuer:                 "https://idp.example.test",
		ClientID:               "exeunt",
		ClientSecret:           "s3cret",
		Scopes:                 []string{"openid", "profile", "email"},
		Scope:                  "openid profile email",
		Cluster:                "idp",
		DiscoveryURL:           "https://idp.example.test/.well-known/openid-configuration",
		LogoutHint:             LogoutHintIDToken,
		IDTokenAlgorithms:      []string{"RS256", "ES256"},
		CallbackPath:           "/signin-oidc",
		SignoutCallbackPath:    "/signout-callback-oidc",
		FrontchannelLogoutPath: "/signout-oidc",
		BackchannelLogoutPath:  "/backchannel-oidc",
	})
	is(t, "UsesDiscovery()", p.UsesDiscovery(), true)
	c := cfg.Client("app1")
	if c == nil || len(cfg.Clients) != 1 || cfg.Clients[0] != c {
		t.Fatalf("Client(\"app1\") = %v, Clients = %v", c, cfg.Clients)
	}
	is(t, "client", *c, Client{
		ClientID:                          "app1",
		Name:                              "App One",
		Hosts:                             []string{"app1.example.test"},
		PathPrefixes:                      []string{"/"},
		PublicPathPrefixes:                []string{"/static/"},
		PostLogoutRedirectURIs:            []string{"https://app1.example.test/signed-out"},
		FrontchannelLogoutURI:             "https://app1.example.test/frontchannel-logout",
		FrontchannelLogoutSessionRequired: true,
		BackchannelLogoutURI:              "https://app1.example.test/backchannel-logout",
		BackchannelLogoutSessionRequired:  true,
		BackchannelCluster:                "app1",
		DefaultProvider:                   p,
	})
	is(t, "Cookie", cfg.Cookie, Cookie{Name: "__Secure-exeunt", Domain: "example.test", Path: "/", SameSite: SameSiteLax, Secure: true})
	is(t, "Session", cfg.Session, Session{AbsoluteLifetime: 8 * time.Hour, IdleTimeout: time.Hour, MaxPerUser: DefaultMaxSessionsPerUser})
	is(t, "AssertionLifetime", cfg.AssertionLifetime, 5*time.Minute)
	is(t, "len(Keys.Sealing)", len(cfg.Keys.Sealing), 1)
	is(t, "Keys.Sealing[0].KID", cfg.Keys.Sealing[0].KID, "s1")
	is(t, "len(Keys.Sealing[0].Secret)", len(cfg.Keys.Sealing[0].Secret), 32)
	is(t, "len(Keys.Signing)", len(cfg.Keys.Signing), 1)
	is(t, "Keys.Signing[0].KID", cfg.Keys.Signing[0].KID, "k1")
	is(t, "Keys.Signing[0].Key.Curve", cfg.Keys.Signing[0].Key.Curve, elliptic.P256())
	is(t, "Keys.DevGenerate", cfg.Keys.DevGenerate, false)
	is(t, "IdentityHeaders", cfg.IdentityHeaders, IdentityHeaders{
		Sub: "x-exeunt-sub", Email: "x-exeunt-email", Name: "x-exeunt-name",
		IDP: "x-exeunt-idp", SID: "x-exeunt-sid", Assertion: "x-exeunt-assertion", SessionState: "x-exeunt-session-state",
		EmailVerified: "x-exeunt-email-verified",
	})
	is(t, "IdentityHeaderNames()", cfg.IdentityHeaderNames(), []string{
		"x-exeunt-sub", "x-exeunt-email", "x-exeunt-email-verified", "x-exeunt-name", "x-exeunt-idp", "x-exeunt-sid", "x-exeunt-assertion", "x-exeunt-session-state",
	})
	is(t, "API", cfg.API, API{PathPrefixes: []string{"/api/"}, AcceptJSON: true})
}

// TestMinimalConfig is the least a sign-in configuration needs: every default applies.
func TestMinimalConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{
		"issuer": "https://app1.example.test",
		"providers": [{"scheme": "idp", "issuer": "https://idp.example.test/", "client_id": "exeunt", "cluster": "idp"}],
		"clients": [{"client_id": "app1", "hosts": ["App1.Example.test"]}],
		"keys": {"dev_generate": true}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	is(t, "SignInEnabled()", cfg.SignInEnabled(), true)
	is(t, "Paths", cfg.Paths, defaultPaths(""))
	is(t, "provider", *cfg.Provider("idp"), Provider{
		Scheme:                 "idp",
		DisplayName:            "idp",
		Issuer:                 "https://idp.example.test/",
		ClientID:               "exeunt",
		Scopes:                 []string{"openid", "profile", "email"},
		Scope:                  "openid profile email",
		Cluster:                "idp",
		DiscoveryURL:           "https://idp.example.test/.well-known/openid-configuration",
		LogoutHint:             LogoutHintIDToken,
		IDTokenAlgorithms:      []string{"RS256", "ES256"},
		CallbackPath:           "/signin-idp",
		SignoutCallbackPath:    "/signout-callback-idp",
		FrontchannelLogoutPath: "/signout-idp",
		BackchannelLogoutPath:  "/backchannel-idp",
	})
	is(t, "client", *cfg.Client("app1"), Client{
		ClientID:     "app1",
		Name:         "app1",
		Hosts:        []string{"app1.example.test"},
		PathPrefixes: []string{"/"},
	})
	is(t, "Cookie", cfg.Cookie, defaultCookie())
	is(t, "Session", cfg.Session, Session{AbsoluteLifetime: 8 * time.Hour, IdleTimeout: time.Hour, MaxPerUser: DefaultMaxSessionsPerUser})
	is(t, "AssertionLifetime", cfg.AssertionLifetime, 5*time.Minute)
	is(t, "Keys", cfg.Keys, Keys{DevGenerate: true})
	is(t, "IdentityHeaders", cfg.IdentityHeaders, defaultIdentityHeaders())
	is(t, "API", cfg.API, API{AcceptJSON: true})
}

func TestPassThroughMode(t *testing.T) {
	for _, in := range []string{"", "{}", `{"health_path": "/ready"}`, `{"identity_headers": {"sub": "x-user"}}`} {
		cfg, err := ParseConfig([]byte(in))
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", in, err)
		}
		if cfg.SignInEnabled() {
			t.Errorf("ParseConfig(%q).SignInEnabled() = true", in)
		}
		if cfg.ClientFor("app1.example.test", "/") != nil || cfg.Provider("oidc") != nil || cfg.Client("app1") != nil {
			t.Errorf("ParseConfig(%q) has clients or providers", in)
		}
		if p, kind := cfg.ProviderPathFor("/signin-oidc"); p != nil || kind != NoProviderPath {
			t.Errorf("ParseConfig(%q).ProviderPathFor = %v, %v", in, p, kind)
		}
		if len(cfg.IdentityHeaderNames()) != 8 {
			t.Errorf("ParseConfig(%q).IdentityHeaderNames() = %v: identity headers are stripped in every mode", in, cfg.IdentityHeaderNames())
		}
	}
}

func TestSignInNeedsEverything(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "no issuer", edits: []edit{del("issuer")},
			err: `exeunt configuration: field "issuer": is required once providers and clients are configured: sign-in needs issuer, providers and clients together (remove all three for pass-through mode)`},
		{name: "no providers", edits: []edit{del("providers"), del("clients[0].default_provider")},
			err: `exeunt configuration: field "providers": is required once issuer and clients are configured: sign-in needs issuer, providers and clients together (remove all three for pass-through mode)`},
		{name: "only issuer", raw: `{"issuer": "https://auth.example.test"}`,
			err: `exeunt configuration: field "providers": is required once issuer is configured: sign-in needs issuer, providers and clients together (remove all three for pass-through mode)`},
		{name: "empty providers", edits: []edit{set("providers", []any{}), del("clients[0].default_provider")},
			err: `exeunt configuration: field "providers": must list at least one provider`},
		{name: "empty clients", edits: []edit{set("clients", []any{})},
			err: `exeunt configuration: field "clients": must list at least one client`},
		{name: "no keys", edits: []edit{del("keys")},
			err: `exeunt configuration: field "keys": is required once sign-in is on: give keys.sealing and keys.signing, or set keys.dev_generate to true for development`},
		{name: "no sealing keys", edits: []edit{del("keys.sealing")},
			err: `exeunt configuration: field "keys.sealing": must list at least one key (generate one with: openssl rand -base64 32), or set keys.dev_generate to true for development`},
		{name: "no signing keys", edits: []edit{set("keys.signing", []any{})},
			err: `exeunt configuration: field "keys.signing": must list at least one key (generate one with: openssl ecparam -name prime256v1 -genkey -noout), or set keys.dev_generate to true for development`},
		{name: "cookie without sign-in", raw: `{"cookie": {"name": "x"}}`,
			err: `exeunt configuration: field "cookie": has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it`},
		{name: "keys without sign-in", raw: `{"health_path": "/h", "keys": {"dev_generate": true}}`,
			err: `exeunt configuration: field "keys": has no effect while sign-in is off; configure issuer, providers and clients to turn sign-in on, or remove it`},
		{name: "no providers, a default_provider", edits: []edit{del("providers")},
			err: `exeunt configuration: field "providers": is required once issuer and clients are configured: sign-in needs issuer, providers and clients together (remove all three for pass-through mode)`},
		{name: "providers misspelled, a default_provider", edits: []edit{set("provider", []any{}), del("providers")},
			err: `exeunt configuration: field "provider": unknown field; remove it or fix its spelling (known fields: health_path, ready_path, issuer, paths, providers, clients, cookie, session, keys, identity_headers, assertion_lifetime, api, ui, logout, public_path_prefixes, unowned_requests, store)`},
		{name: "unknown field before missing ones", raw: `{"isuer": "https://auth.example.test", "providers": []}`,
			err: `exeunt configuration: field "isuer": unknown field; remove it or fix its spelling (known fields: health_path, ready_path, issuer, paths, providers, clients, cookie, session, keys, identity_headers, assertion_lifetime, api, ui, logout, public_path_prefixes, unowned_requests, store)`},
	})
}

func TestIssuer(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "with path", edits: []edit{set("issuer", "https://auth.example.test/exeunt"), del("paths.discovery")},
			check: func(t *testing.T, c *Config) {
				is(t, "Issuer", c.Issuer, "https://auth.example.test/exeunt")
				is(t, "IssuerOrigin", c.IssuerOrigin, "https://auth.example.test")
				is(t, "Paths.Discovery", c.Paths.Discovery, "/exeunt/.well-known/openid-configuration")
			}},
		{name: "port and upper case", edits: []edit{set("issuer", "https://Auth.Example.TEST:8443")},
			check: func(t *testing.T, c *Config) {
				is(t, "Issuer", c.Issuer, "https://Auth.Example.TEST:8443")
				is(t, "IssuerOrigin", c.IssuerOrigin, "https://auth.example.test:8443")
			}},
		{name: "default port dropped from origin", edits: []edit{set("issuer", "https://auth.example.test:443")},
			check: func(t *testing.T, c *Config) { is(t, "IssuerOrigin", c.IssuerOrigin, "https://auth.example.test") }},
		{name: "http on localhost", edits: []edit{set("issuer", "http://localhost:8080")}, unreached: true,
			check: func(t *testing.T, c *Config) { is(t, "IssuerOrigin", c.IssuerOrigin, "http://localhost:8080") }},
		{name: "http on 127.0.0.1", edits: []edit{set("issuer", "http://127.0.0.1:8080")}, unreached: true},
		{name: "http on [::1]", edits: []edit{set("issuer", "http://[::1]:8080")}, unreached: true,
			check: func(t *testing.T, c *Config) { is(t, "IssuerOrigin", c.IssuerOrigin, "http://[::1]:8080") }},
		{name: "http on .test", edits: []edit{set("issuer", "http://auth.example.test")}},
		{name: "http on .localhost", edits: []edit{set("issuer", "http://auth.localhost")}, unreached: true},

		{name: "http elsewhere", edits: []edit{set("issuer", "http://auth.example.com")},
			err: `exeunt configuration: field "issuer": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "trailing slash", edits: []edit{set("issuer", "https://auth.example.test/")},
			err: `exeunt configuration: field "issuer": must not end with "/" (write https://auth.example.test): it is compared with the "iss" claim as an exact string; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "query", edits: []edit{set("issuer", "https://auth.example.test?x=1")},
			err: `exeunt configuration: field "issuer": must not have a "?" query; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "fragment", edits: []edit{set("issuer", "https://auth.example.test#x")},
			err: `exeunt configuration: field "issuer": must not have a "#" fragment; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "relative", edits: []edit{set("issuer", "auth.example.test")},
			err: `exeunt configuration: field "issuer": must be an absolute URL such as https://app.example.test/path; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "empty", edits: []edit{set("issuer", "")},
			err: `exeunt configuration: field "issuer": must not be empty; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "other scheme", edits: []edit{set("issuer", "ftp://auth.example.test")},
			err: `exeunt configuration: field "issuer": must be an https URL, not ftp:; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "user info", edits: []edit{set("issuer", "https://me@auth.example.test")},
			err: `exeunt configuration: field "issuer": must not carry a user name or password; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "bad host", edits: []edit{set("issuer", "https://auth_.-x.test")},
			err: `exeunt configuration: field "issuer": host "auth_.-x.test" is not a valid host name: a label starts or ends with "-"; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "bad port", edits: []edit{set("issuer", "https://auth.example.test:0")},
			err: `exeunt configuration: field "issuer": port "0" must be a number from 1 to 65535; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "empty port", edits: []edit{set("issuer", "https://auth.example.test:")},
			err: `exeunt configuration: field "issuer": port "" must be a number from 1 to 65535; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "space", edits: []edit{set("issuer", "https://auth.example.test/a b")},
			err: `exeunt configuration: field "issuer": must contain only visible ASCII characters; percent-encode anything else (byte 0x20 at offset 27); it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "bad escape", edits: []edit{set("issuer", "https://auth.example.test/%zz")},
			err: `exeunt configuration: field "issuer": is not a valid URL: invalid URL escape "%zz"; it is Exeunt's own URL, such as "https://auth.example.test"`},
		{name: "number", edits: []edit{set("issuer", 1)},
			err: `exeunt configuration: field "issuer": must be a string, not a number`},
	})
}

// TestDocumentedExamples keeps docs/configuration.md's complete example the one the
// tests parse, and every JSON example there valid.
func TestDocumentedExamples(t *testing.T) {
	data, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	_, complete, ok := strings.Cut(doc, "\n## Complete example\n")
	if !ok {
		t.Fatal(`docs/configuration.md has no "## Complete example" section`)
	}
	_, complete, _ = strings.Cut(complete, "```json\n")
	complete, _, _ = strings.Cut(complete, "```\n")
	want, err := os.ReadFile("testdata/example-config.json")
	if err != nil {
		t.Fatal(err)
	}
	if complete != string(want) {
		t.Error("docs/configuration.md's complete example differs from core/testdata/example-config.json; make them the same")
	}
	blocks := strings.Split(doc, "```json\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("found %d JSON examples in docs/configuration.md, want the complete and the minimal one", len(blocks))
	}
	for _, b := range blocks {
		example, _, _ := strings.Cut(b, "```\n")
		if _, err := ParseConfig([]byte(example)); err != nil {
			t.Errorf("docs/configuration.md example does not parse: %v\n%s", err, example)
		}
	}
}
