package core

import (
	"encoding/json"
	"strings"
	"testing"
)

// classifyConfig is the demo's shape (Exeunt and two apps on localhost:10000) plus a
// client on its own host without a port, one on an IPv6 literal and global public rules.
func classifyConfig(t testing.TB, extra map[string]any) *Config {
	t.Helper()
	m := signinConfigMap()
	m["issuer"] = "http://localhost:10000"
	m["clients"] = []any{
		map[string]any{"client_id": "app1", "hosts": []string{"localhost:10000"}, "path_prefixes": []string{"/app1/"},
			"public_path_prefixes":      []string{"/public/app1/", "/app1/assets/"},
			"post_logout_redirect_uris": []string{"http://localhost:10000/app1/signed-out"},
			"frontchannel_logout_uri":   "http://localhost:10000/app1/frontchannel-logout"},
		map[string]any{"client_id": "app2", "hosts": []string{"localhost:10000"}, "path_prefixes": []string{"/app2/"},
			// Its own landing beside the apps, and one inside app1's pages, which app2 cannot open.
			"post_logout_redirect_uris": []string{"http://localhost:10000/bye/app2", "http://localhost:10000/app1/admin"}},
		map[string]any{"client_id": "app3", "hosts": []string{"app3.example.test"}, "public_path_prefixes": []string{"/static/"}},
		map[string]any{"client_id": "app4", "hosts": []string{"[::1]:8443"}, "path_prefixes": []string{"/v6/"}},
	}
	m["public_path_prefixes"] = []string{"/favicon.ico", "/shared/"}
	m["cookie"] = map[string]any{"secure": false, "name": "exeunt"}
	for k, v := range extra {
		m[k] = v
	}
	// Its hosts (localhost, another name, an IPv6 literal) test host matching; no one
	// cookie could reach them all, which ParseConfig refuses (config_cookie_reach.go).
	b, _ := json.Marshal(m)
	c, err := parseConfigReaching(b, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassify(t *testing.T) {
	cfg := classifyConfig(t, nil)
	const (
		own    = ClassOwnEndpoint
		public = ClassPublic
		client = ClassClient
		nobody = ClassUnowned
	)
	local := "localhost:10000"
	tests := []struct {
		scheme, host, path string
		want               Class
		client             string // the owner, or the client whose rule made it public
		rule               string // "" when not checked
	}{
		// Exeunt's own endpoints: the health path on any host, the rest on the issuer's origin only.
		{"http", local, "/exeunt/healthz", own, "", "health_path"},
		{"http", "evil.example", "/exeunt/healthz?x=1", own, "", "health_path"},
		{"http", local, "/connect/endsession?id_token_hint=x", own, "", "paths"},
		{"http", "LocalHost:10000", "/signin-oidc", own, "", "paths"},
		{"http", local, "/.well-known/openid-configuration", own, "", "paths"},
		{"http", local, "/backchannel-oidc", own, "", "paths"},
		{"https", local, "/signin-oidc", nobody, "", ""},                   // another origin (scheme)
		{"http", "127.0.0.1:10000", "/connect/endsession", nobody, "", ""}, // another origin (host)
		{"http", local, "//connect/endsession", nobody, "", "ambiguous path"},
		{"http", local, "/connect/endsession/", nobody, "", ""},
		{"http", local, "/connect/checksession", nobody, "", ""}, // session management is off

		// Public: global rules on every host, a client's on its hosts, its logout landings.
		{"http", local, "/favicon.ico", public, "", "public_path_prefixes[0]"},
		{"http", "evil.example", "/favicon.ico", public, "", "public_path_prefixes[0]"},
		{"http", local, "/shared", public, "", "public_path_prefixes[1]"},
		{"http", local, "/shared/x.css?v=2", public, "", "public_path_prefixes[1]"},
		{"http", local, "/public/app1/events", public, "app1", "clients[0].public_path_prefixes[0]"},
		{"http", local, "/public/app1", public, "app1", "clients[0].public_path_prefixes[0]"},
		{"http", local, "/app1/assets/logo.png", public, "app1", "clients[0].public_path_prefixes[1]"},
		{"http", local, "/app1/signed-out?state=x", public, "app1", "clients[0].post_logout_redirect_uris[0]"},
		{"http", local, "/app1/frontchannel-logout?iss=x&sid=y", public, "app1", "clients[0].frontchannel_logout_uri"},
		{"http", local, "/bye/app2", public, "app2", "clients[1].post_logout_redirect_uris[0]"},
		{"http", local, "/app1/admin", client, "app1", "clients[0].path_prefixes[0]"}, // app2's landing, app1's page
		{"http", local, "/bye/app2/x", nobody, "", ""},
		{"https", "app3.example.test", "/static/app.js", public, "app3", "clients[2].public_path_prefixes[0]"},
		{"https", "app3.example.test:8443", "/static", public, "app3", "clients[2].public_path_prefixes[0]"},

		// Never public: another host, another case, another scheme, or a path that does not read one way.
		{"http", "127.0.0.1:10000", "/public/app1/events", nobody, "", "no client owns this host and path"},
		{"http", local, "/Public/app1/events", nobody, "", ""},
		{"https", local, "/app1/signed-out", client, "app1", ""}, // the landing is http
		{"http", local, "/app1/signed-out/", client, "app1", ""},
		{"http", local, "/app1/signed-out;x", client, "app1", ""},
		{"http", local, "/public/app1/./events", nobody, "", "ambiguous path"},
		{"http", local, "/public/app1//events", nobody, "", "ambiguous path"},
		{"http", local, "/public/app1/../../app1/", client, "app1", ""},
		{"http", local, "/public/app1/%2E%2E/%2E%2E/app1/x", client, "app1", ""},
		{"http", local, "/public/app1/..%2F..%2Fapp1/x", client, "app1", ""},
		{"http", local, "/public/app1/..\\..\\app1/x", client, "app1", ""},
		{"http", local, "/public/app1/;/../../app1/x", client, "app1", ""},
		{"http", local, "/app1/assets/../admin", client, "app1", ""},
		{"http", local, "/app1/assets/%2e%2e/admin", client, "app1", ""},
		{"http", local, "/app1/assets/%C0%AE%C0%AE/admin", client, "app1", ""},                                    // overlong UTF-8 dots: unclear, so not public
		{"http", local, "/public/app1/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/app1/", nobody, "", "ambiguous path"}, // fullwidth dots: ".." to an NFKC reader
		{"http", local, "/shared/%2e%2e/app2/", client, "app2", ""},
		{"http", local, "/%66avicon.ico", nobody, "", "ambiguous path"},
		{"https", "app3.example.test", "/%66avicon.ico", client, "app3", ""},
		{"https", "app3.example.test", "/static/%2e%2e/secret", client, "app3", ""},
		{"https", "app3.example.test", "/static%2Fx", client, "app3", ""},

		// Owned by a client: every form of its paths needs a session.
		{"http", local, "/app1/", client, "app1", "clients[0].path_prefixes[0]"},
		{"http", local, "/app1", client, "app1", ""},
		{"http", local, "/app1?x=1", client, "app1", ""},
		{"http", local, "/app1/page?x=1#f", client, "app1", ""},
		{"http", local, "/app1%2F", client, "app1", ""},
		{"http", local, "/app1%2f", client, "app1", ""},
		{"http", local, "/app1%2Fsecret", client, "app1", ""},
		{"http", local, "/app1%5Csecret", client, "app1", ""},
		{"http", local, "/%61pp1/", client, "app1", ""},
		{"http", local, "/ap%70%31/", client, "app1", ""},
		{"http", local, "//app1/", client, "app1", ""},
		{"http", local, "/./app1/", client, "app1", ""},
		{"http", local, "/x/../app1/", client, "app1", ""},
		{"http", local, "/app1;x/", client, "app1", ""},
		{"http", local, "/app1\\x", client, "app1", ""},
		{"http", local, "/app1/../app2/", client, "app2", ""},
		{"http", local, "/app1/%20space", client, "app1", "clients[0].path_prefixes[0]"},
		{"http", local, "/app2/x", client, "app2", "clients[1].path_prefixes[0]"},
		{"https", "app3.example.test", "/", client, "app3", "clients[2].path_prefixes[0]"},
		{"https", "APP3.Example.TEST:443", "/x", client, "app3", ""},
		{"http", "app3.example.test:8080", "/x", client, "app3", ""}, // listed without a port: any port
		{"", "app3.example.test", "/x", client, "app3", ""},          // no :scheme: https
		{"https", "[::1]:8443", "/v6/x", client, "app4", ""},

		// Owned by nobody: a path no client has, or a host written any other way.
		{"http", local, "/", nobody, "", "no client owns this host and path"},
		{"http", local, "/APP1/", nobody, "", ""},
		{"http", local, "/app1x", nobody, "", ""},
		{"http", local, "/app", nobody, "", ""},
		{"http", local, "", nobody, "", ""},
		{"http", local, "*", nobody, "", ""},
		{"http", local, "app1/", nobody, "", ""},
		{"http", "127.0.0.1:10000", "/app1/", nobody, "", ""},
		{"http", "localhost", "/app1/", nobody, "", ""},
		{"http", "localhost:80", "/app1/", nobody, "", ""},
		{"http", "localhost.:10000", "/app1/", nobody, "", ""},
		{"http", "localhost:010000", "/app1/", nobody, "", "unknown host"},
		{"http", "localhost:+10000", "/app1/", nobody, "", "unknown host"},
		{"http", "localhost:10000:", "/app1/", nobody, "", "unknown host"},
		{"http", "localhost:", "/app1/", nobody, "", "unknown host"},
		{"http", "user@localhost:10000", "/app1/", nobody, "", "unknown host"},
		{"http", "[::1]:10000", "/app1/", nobody, "", ""},
		{"http", "evil.example", "/app1/", nobody, "", ""},
		{"http", "", "/app1/", nobody, "", "unknown host"},
		{"ftp", local, "/app1/", nobody, "", "unknown host"},
		{"https", "app3.example.test.", "/x", nobody, "", ""},
		{"https", "app3.example.test:0443", "/x", nobody, "", "unknown host"},
		{"https", "[0:0::1]:8443", "/v6/x", nobody, "", ""},
		{"https", "[::1]:8443x", "/v6/x", nobody, "", "unknown host"},
		{"https", "[::1", "/v6/x", nobody, "", "unknown host"},
		{"https", "::1", "/v6/x", nobody, "", "unknown host"},
	}
	for _, tt := range tests {
		// The method never changes the answer.
		for _, method := range []string{"GET", "HEAD", "POST", "OPTIONS", "PROPFIND"} {
			got := cfg.Classify(Request{Method: method, Scheme: tt.scheme, Authority: tt.host, Path: tt.path})
			name := ""
			if got.Client != nil {
				name = got.Client.ClientID
			}
			if got.Class != tt.want || name != tt.client || (tt.rule != "" && got.Rule != tt.rule) {
				t.Errorf("%s %s://%s%s: got %v %q (%s), want %v %q (%s)", method, tt.scheme, tt.host, tt.path,
					got.Class, name, got.Rule, tt.want, tt.client, tt.rule)
			}
		}
	}
}

func TestClassifyPassThroughMode(t *testing.T) {
	cfg, err := ParseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Classify(Request{Path: "/exeunt/healthz"}); got.Class != ClassOwnEndpoint {
		t.Errorf("health: %+v", got)
	}
	if got := cfg.Classify(Request{Path: "/x", Authority: "anything"}); got.Class != ClassPublic {
		t.Errorf("pass-through: %+v", got)
	}
}

func TestReadPath(t *testing.T) {
	tests := []struct {
		in        string
		clear     bool
		canonical string
	}{
		{"/", true, "/"},
		{"/app1/x", true, "/app1/x"},
		{"/a%20b/%C3%A9", true, "/a%20b/%C3%A9"},
		{"/a%22b%3C%7B", true, "/a%22b%3C%7B"},
		{"/a-b_c.d~e/f.html", true, "/a-b_c.d~e/f.html"},
		{"/a/.hidden/..x/x..", true, "/a/.hidden/..x/x.."},
		{"/a:b@c!$&'()*+,=", true, "/a:b@c!$&'()*+,="},
		{"/%c3%a9", false, "/%C3%A9"},
		{"/%61%2D%7e", false, "/a-~"},
		{"/a%2Fb", false, "/a/b"},
		{"/a%5cb", false, "/a/b"},
		{"/a%252F", false, "/a%252F"},
		{"/a%3Bx/b", false, "/a%3Bx/b"},
		{"/a%3F", false, "/a%3F"},
		{"/a%00b", false, "/a%00b"},
		{"/a%", false, "/a%"},
		{"/a%G1", false, "/a%G1"},
		{"/%C0%AF", false, "/%C0%AF"},
		{"/%E9", false, "/%E9"},
		{"/a/%EF%BC%8E%EF%BC%8E/b", false, "/a/%EF%BC%8E%EF%BC%8E/b"}, // fullwidth full stops: ".." after NFKC
		{"/a%EF%BC%8Fb", false, "/a%EF%BC%8Fb"},                       // fullwidth solidus
		{"/a%EF%B9%92/b", false, "/a%EF%B9%92/b"},                     // small full stop
		{"/a/%E2%80%A5/b", false, "/a/%E2%80%A5/b"},                   // two dot leader
		{"/caf%C3%A9/%E2%82%AC", true, "/caf%C3%A9/%E2%82%AC"},
		{"/a//b", false, "/a/b"},
		{"//", false, "/"},
		{"/a/./b", false, "/a/b"},
		{"/a/../b", false, "/b"},
		{"/../../b", false, "/b"},
		{"/a/..", false, "/"},
		{"/a/.", false, "/a/"},
		{"/a\\b", false, "/a/b"},
		{"/a;p=1/b;q", false, "/a/b"},
		{"/a b", false, "/a b"},
		{"/\x80", false, "/\x80"},
		{"a", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		got := readPath(tt.in)
		if got.clear != tt.clear || got.canonical != tt.canonical {
			t.Errorf("readPath(%q) = clear %v, %q; want %v, %q", tt.in, got.clear, got.canonical, tt.clear, tt.canonical)
		}
	}
}

func TestRouteMatches(t *testing.T) {
	tests := []struct {
		prefix, path string
		want         bool
	}{
		{"/app/", "/app/", true},
		{"/app/", "/app/x", true},
		{"/app/", "/app", true},
		{"/app/", "/ap", false},
		{"/app/", "/apple", false},
		{"/app", "/app", true},
		{"/app", "/app/x", true},
		{"/app", "/apple", false},
		{"/", "/", true},
		{"/", "/x", true},
		{"/", "", false},
		{"/a/b/", "/a/b", true},
		{"/a/b/", "/a", false},
	}
	for _, tt := range tests {
		if got := routeMatches(tt.prefix, tt.path); got != tt.want {
			t.Errorf("routeMatches(%q, %q) = %v, want %v", tt.prefix, tt.path, got, tt.want)
		}
	}
}

func TestPublicRulesConfig(t *testing.T) {
	const c0 = `exeunt configuration: field "clients[0].`
	runConfigCases(t, []configCase{
		{name: "global public", edits: []edit{set("public_path_prefixes", []any{"/favicon.ico", "/assets/"})}},
		{name: "client public", edits: []edit{set("clients[0].public_path_prefixes", []any{"/static/", "/health"})}},
		{name: "unowned sign_in", edits: []edit{set("unowned_requests", "sign_in")}},
		{name: "unowned refuse", edits: []edit{set("unowned_requests", "refuse")}},
		{name: "unowned other", edits: []edit{set("unowned_requests", "pass")},
			err: `exeunt configuration: field "unowned_requests": must be "refuse" (the default: answer 404, never reach an app) or "sign_in" (require a session, pass identity headers without an assertion); not "pass"`},
		{name: "unowned not a string", edits: []edit{set("unowned_requests", true)},
			err: `exeunt configuration: field "unowned_requests": must be a string, not a boolean`},
		{name: "global root", edits: []edit{set("public_path_prefixes", []any{"/"})},
			err: `exeunt configuration: field "public_path_prefixes[0]": must not be "/", which would make every path public; list narrower prefixes, or exempt whole routes from the filter in envoy.yaml (typed_per_filter_config with disabled: true)`},
		{name: "client root", edits: []edit{set("clients[0].public_path_prefixes", []any{"/"})},
			err: c0 + `public_path_prefixes[0]": must not be "/", which would make every path public; list narrower prefixes, or exempt whole routes from the filter in envoy.yaml (typed_per_filter_config with disabled: true)`},
		{name: "relative", edits: []edit{set("public_path_prefixes", []any{"public/"})},
			err: `exeunt configuration: field "public_path_prefixes[0]": must start with "/" (for example "/public/")`},
		{name: "query", edits: []edit{set("public_path_prefixes", []any{"/p?x"})},
			err: `exeunt configuration: field "public_path_prefixes[0]": must be a path only, without a "?" query or "#" fragment`},
		{name: "not a list", edits: []edit{set("public_path_prefixes", "/p/")},
			err: `exeunt configuration: field "public_path_prefixes": must be a list ([...]), not a string`},
		{name: "twice", edits: []edit{set("public_path_prefixes", []any{"/p/", "/p/"})},
			err: `exeunt configuration: field "public_path_prefixes[1]": "/p/" is listed twice`},
		{name: "dot segment", edits: []edit{set("public_path_prefixes", []any{"/p/../q/"})},
			err: `exeunt configuration: field "public_path_prefixes[0]": must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); a request path written that way is never public`},
		{name: "escaped slash", edits: []edit{set("clients[0].public_path_prefixes", []any{"/p%2Fq/"})},
			err: c0 + `public_path_prefixes[0]": must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); a request path written that way is never public`},
		{name: "global covers a client", edits: []edit{
			set("clients[0].path_prefixes", []any{"/app1/"}), set("public_path_prefixes", []any{"/app1"})},
			err: `exeunt configuration: field "public_path_prefixes[0]": "/app1" covers "/app1/", client "app1"'s path prefix (clients[0].path_prefixes[0]): all of it would be public; list narrower prefixes, or declare them in that client's public_path_prefixes`},
		{name: "client covers its own prefix", edits: []edit{
			set("clients[0].path_prefixes", []any{"/app1/x/"}), set("clients[0].public_path_prefixes", []any{"/app1/"})},
			err: c0 + `public_path_prefixes[0]": "/app1/" covers client "app1"'s path prefix "/app1/x/" (clients[0].path_prefixes[0]) on host "app1.example.test": all of it would be public; list narrower prefixes`},
		{name: "client under another client's prefix", edits: []edit{
			set("clients[0].path_prefixes", []any{"/app1/"}),
			appendTo("clients", map[string]any{"client_id": "app2", "hosts": []any{"app1.example.test:443"}, "path_prefixes": []any{"/app2/"}, "public_path_prefixes": []any{"/app1/static/"}})},
			err: `exeunt configuration: field "clients[1].public_path_prefixes[0]": "/app1/static/" lies under client "app1"'s path prefix "/app1/" (clients[0].path_prefixes[0]) on host "app1.example.test": declare public paths in the client that owns them`},
		{name: "client public beside another client on a shared host", edits: []edit{
			set("clients[0].path_prefixes", []any{"/app1/"}),
			appendTo("clients", map[string]any{"client_id": "app2", "hosts": []any{"app1.example.test"}, "path_prefixes": []any{"/app2/"}, "public_path_prefixes": []any{"/public/app2/"}})}},
		{name: "client public under its own longer prefix beside a root owner", edits: []edit{
			appendTo("clients", map[string]any{"client_id": "billing", "hosts": []any{"app1.example.test"}, "path_prefixes": []any{"/billing"}, "public_path_prefixes": []any{"/billing/static/"}})}},
	})
	cfg, err := ParseConfig(configWith(t, set("public_path_prefixes", []any{"/p/"}), set("unowned_requests", "sign_in")))
	if err != nil || cfg.UnownedRequests != UnownedSignIn || strings.Join(cfg.PublicPathPrefixes, ",") != "/p/" {
		t.Fatalf("parsed %v %v %v", cfg.UnownedRequests, cfg.PublicPathPrefixes, err)
	}
	if _, err := ParseConfig([]byte(`{"unowned_requests": "refuse"}`)); err == nil || !strings.Contains(err.Error(), `"unowned_requests": has no effect while sign-in is off`) {
		t.Fatalf("unowned_requests in pass-through mode: %v", err)
	}
}

// BenchmarkClassify is the classifier's cost on every request: a client's page, a
// public one, and an unclear path that needs its canonical reading.
func BenchmarkClassify(b *testing.B) {
	cfg := classifyConfig(b, nil)
	for _, bc := range []struct{ name, path string }{
		{"client", "/app1/page?x=1"},
		{"public", "/public/app1/events"},
		{"unclear", "/x/../app1/%2e/page"},
	} {
		r := Request{Scheme: "http", Authority: "localhost:10000", Path: bc.path}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if cfg.Classify(r).Class == ClassUnowned {
					b.Fatal("unowned")
				}
			}
		})
	}
}
