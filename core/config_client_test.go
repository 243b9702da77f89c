package core

import "testing"

func TestClients(t *testing.T) {
	const c0 = `exeunt configuration: field "clients[0].`
	app2 := func(fields ...any) map[string]any {
		m := map[string]any{"client_id": "app2", "hosts": []any{"app2.example.test"}}
		for i := 0; i < len(fields); i += 2 {
			m[fields[i].(string)] = fields[i+1]
		}
		return m
	}
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{
			del("clients[0].name"), del("clients[0].path_prefixes"), del("clients[0].post_logout_redirect_uris"),
			del("clients[0].frontchannel_logout_session_required"), del("clients[0].backchannel_logout_session_required"),
			del("clients[0].default_provider"), set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc"),
		}, check: func(t *testing.T, c *Config) {
			cl := c.Client("app1")
			is(t, "Name", cl.Name, "app1")
			is(t, "PathPrefixes", cl.PathPrefixes, []string{"/"})
			is(t, "PostLogoutRedirectURIs", cl.PostLogoutRedirectURIs, []string(nil))
			is(t, "FrontchannelLogoutSessionRequired", cl.FrontchannelLogoutSessionRequired, true)
			is(t, "BackchannelLogoutSessionRequired", cl.BackchannelLogoutSessionRequired, true)
			is(t, "DefaultProvider", cl.DefaultProvider, (*Provider)(nil))
		}},
		{name: "no logout URIs", edits: []edit{
			del("clients[0].frontchannel_logout_uri"), del("clients[0].frontchannel_logout_session_required"),
			del("clients[0].backchannel_logout_uri"), del("clients[0].backchannel_logout_session_required"), del("clients[0].backchannel_cluster"),
		}, check: func(t *testing.T, c *Config) {
			cl := c.Client("app1")
			is(t, "logout URIs", []string{cl.FrontchannelLogoutURI, cl.BackchannelLogoutURI, cl.BackchannelCluster}, []string{"", "", ""})
			is(t, "session required", []bool{cl.FrontchannelLogoutSessionRequired, cl.BackchannelLogoutSessionRequired}, []bool{false, false})
		}},
		{name: "empty logout URIs are absent", edits: []edit{
			set("clients[0].frontchannel_logout_uri", ""), del("clients[0].frontchannel_logout_session_required"),
			set("clients[0].backchannel_logout_uri", ""), del("clients[0].backchannel_logout_session_required"), set("clients[0].backchannel_cluster", ""),
			set("clients[0].default_provider", ""),
		}},
		{name: "session not required", edits: []edit{
			set("clients[0].frontchannel_logout_session_required", false), set("clients[0].backchannel_logout_session_required", false),
		}, check: func(t *testing.T, c *Config) {
			cl := c.Client("app1")
			is(t, "session required", []bool{cl.FrontchannelLogoutSessionRequired, cl.BackchannelLogoutSessionRequired}, []bool{false, false})
		}},
		{name: "hosts lower-cased", edits: []edit{set("clients[0].hosts", []any{"APP1.example.test", "App1.Example.Test:8443", "[::1]:8080", "10.0.0.1"})}, unreached: true,
			check: func(t *testing.T, c *Config) {
				is(t, "Hosts", c.Clients[0].Hosts, []string{"app1.example.test", "app1.example.test:8443", "[::1]:8080", "10.0.0.1"})
			}},
		{name: "post-logout URIs kept verbatim", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"https://App1.example.test/Bye?x=1", "http://localhost:3000/"})},
			check: func(t *testing.T, c *Config) {
				cl := c.Clients[0]
				is(t, "PostLogoutRedirectURIs", cl.PostLogoutRedirectURIs, []string{"https://App1.example.test/Bye?x=1", "http://localhost:3000/"})
				is(t, "exact", cl.AllowsPostLogoutRedirectURI("https://App1.example.test/Bye?x=1"), true)
				is(t, "case differs", cl.AllowsPostLogoutRedirectURI("https://app1.example.test/Bye?x=1"), false)
				is(t, "prefix", cl.AllowsPostLogoutRedirectURI("https://App1.example.test/Bye"), false)
				is(t, "longer", cl.AllowsPostLogoutRedirectURI("https://App1.example.test/Bye?x=1&y=2"), false)
			}},
		{name: "front-channel on a post-logout origin", edits: []edit{
			set("clients[0].post_logout_redirect_uris", []any{"https://www.app1.example.test:8443/bye"}),
			set("clients[0].frontchannel_logout_uri", "https://WWW.app1.example.test:8443/fc?a=1"),
		}, check: func(t *testing.T, c *Config) {
			is(t, "FrontchannelLogoutURI", c.Clients[0].FrontchannelLogoutURI, "https://WWW.app1.example.test:8443/fc?a=1")
		}},
		{name: "front-channel on a host with any port", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test:8443/fc")}},
		{name: "front-channel on a host's default port", edits: []edit{
			set("clients[0].hosts", []any{"app1.example.test:443"}), set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc"),
		}},
		{name: "front-channel over http on a local host", edits: []edit{
			set("clients[0].hosts", []any{"localhost:3000"}), set("clients[0].frontchannel_logout_uri", "http://localhost:3000/fc"),
		}, unreached: true},
		{name: "back-channel over http", edits: []edit{set("clients[0].backchannel_logout_uri", "http://app1.internal:8080/bc")},
			check: func(t *testing.T, c *Config) {
				is(t, "BackchannelLogoutURI", c.Clients[0].BackchannelLogoutURI, "http://app1.internal:8080/bc")
			}},
		{name: "two clients on one host", edits: []edit{appendTo("clients", app2("hosts", []any{"app1.example.test"}, "path_prefixes", []any{"/two/"}))},
			check: func(t *testing.T, c *Config) { is(t, "Client(app2).ClientID", c.Client("app2").ClientID, "app2") }},
		{name: "same host with and without port", edits: []edit{set("clients[0].public_path_prefixes", []any{}), appendTo("clients", app2("hosts", []any{"app1.example.test:8443"}))}},
		{name: "a public prefix on a host without port is checked against the same host with one", edits: []edit{appendTo("clients", app2("hosts", []any{"app1.example.test:8443"}))},
			err: c0 + `public_path_prefixes[0]": "/static/" lies under client "app2"'s path prefix "/" (clients[1].path_prefixes[0]) on host "app1.example.test:8443": declare public paths in the client that owns them`},

		{name: "no client_id", edits: []edit{del("clients[0].client_id")},
			err: c0 + `client_id": is required; set the id apps use for themselves, such as "app1"`},
		{name: "empty client_id", edits: []edit{set("clients[0].client_id", "")},
			err: c0 + `client_id": must not be empty`},
		{name: "client_id twice", edits: []edit{appendTo("clients", app2("client_id", "app1"))},
			err: `exeunt configuration: field "clients[1].client_id": "app1" is already the client_id of clients[0]; each client needs its own`},
		{name: "client ids that share their counters", edits: []edit{set("clients[0].client_id", "app.1"), appendTo("clients", app2("client_id", "app_1"))},
			err: `exeunt configuration: field "clients[1].client_id": "app_1" and the client_id "app.1" of clients[0] would share their counters (exeunt.client.app_1.*: every character outside letters, digits, "_" and "-" is counted as "_"); give one of them an id that differs in a letter, digit, "_" or "-"`},
		{name: "client ids that share their counters, neither with _", edits: []edit{set("clients[0].client_id", "https://a.test/x"), appendTo("clients", app2("client_id", "https://a.test:x"))},
			err: `exeunt configuration: field "clients[1].client_id": "https://a.test:x" and the client_id "https://a.test/x" of clients[0] would share their counters (exeunt.client.https___a_test_x.*: every character outside letters, digits, "_" and "-" is counted as "_"); give one of them an id that differs in a letter, digit, "_" or "-"`},
		{name: "empty name", edits: []edit{set("clients[0].name", "")},
			err: c0 + `name": must not be empty (remove the field for the default, "app1")`},
		{name: "no hosts", edits: []edit{del("clients[0].hosts")},
			err: c0 + `hosts": must list the hosts the client is served on, such as ["app1.example.test"]`},
		{name: "empty hosts", edits: []edit{set("clients[0].hosts", []any{})},
			err: c0 + `hosts": must list the hosts the client is served on, such as ["app1.example.test"]`},
		{name: "host with scheme", edits: []edit{set("clients[0].hosts", []any{"https://app1.example.test"})},
			err: c0 + `hosts[0]": must be a host name without a scheme, such as app1.example.test`},
		{name: "host with path", edits: []edit{set("clients[0].hosts", []any{"app1.example.test/app"})},
			err: c0 + `hosts[0]": must be a host name without a path; put paths in path_prefixes`},
		{name: "wildcard host", edits: []edit{set("clients[0].hosts", []any{"*.example.test"})},
			err: c0 + `hosts[0]": wildcards are not supported; list each host`},
		{name: "bad port", edits: []edit{set("clients[0].hosts", []any{"app1.example.test:99999"})},
			err: c0 + `hosts[0]": port "99999" must be a number from 1 to 65535`},
		{name: "bare IPv6", edits: []edit{set("clients[0].hosts", []any{"::1"})},
			err: c0 + `hosts[0]": must be a host or host:port; write an IPv6 address in brackets, as "[::1]"`},
		{name: "bad IPv6", edits: []edit{set("clients[0].hosts", []any{"[::g]"})},
			err: c0 + `hosts[0]": "::g" is not a valid IPv6 address`},
		{name: "bad IPv4", edits: []edit{set("clients[0].hosts", []any{"10.0.0.256"})},
			err: c0 + `hosts[0]": is not a valid IPv4 address`},
		{name: "bad host character", edits: []edit{set("clients[0].hosts", []any{"app1.exämple.test"})},
			err: c0 + `hosts[0]": is not a valid host name: 'ä' is not allowed (letters, digits, "-", "_" and "." are; write internationalized names in their xn-- form)`},
		{name: "empty host", edits: []edit{set("clients[0].hosts", []any{""})},
			err: c0 + `hosts[0]": must not be empty`},
		{name: "trailing dot", edits: []edit{set("clients[0].hosts", []any{"app1.example.test."})},
			err: c0 + `hosts[0]": is not a valid host name: it has an empty label (a leading, trailing or doubled ".")`},
		{name: "host twice", edits: []edit{set("clients[0].hosts", []any{"app1.example.test", "APP1.example.test"})},
			err: c0 + `hosts[1]": "app1.example.test" is listed twice`},
		{name: "host and prefix of another client", edits: []edit{appendTo("clients", app2("hosts", []any{"app2.example.test", "app1.example.test"}))},
			err: `exeunt configuration: field "clients[1].hosts[1]": "app1.example.test" with path prefix "/" already belongs to client "app1" (clients[0]); give one of them a longer path prefix`},
		{name: "empty path prefixes", edits: []edit{set("clients[0].path_prefixes", []any{})},
			err: c0 + `path_prefixes": must list at least one path prefix (remove the field for the default, ["/"])`},
		{name: "relative path prefix", edits: []edit{set("clients[0].path_prefixes", []any{"app"})},
			err: c0 + `path_prefixes[0]": must start with "/" (for example "/app/")`},
		{name: "path prefix with a dot segment", edits: []edit{set("clients[0].path_prefixes", []any{"/a/../b/"})},
			err: c0 + `path_prefixes[0]": must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); requests are read in that form before they are matched`},
		{name: "path prefix with an encoded letter", edits: []edit{set("clients[0].path_prefixes", []any{"/ok/", "/%61pp/"})},
			err: c0 + `path_prefixes[1]": must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); requests are read in that form before they are matched`},
		{name: "path prefix with an encoded space", edits: []edit{set("clients[0].path_prefixes", []any{"/my%20app/"})}},
		{name: "path prefix twice", edits: []edit{set("clients[0].path_prefixes", []any{"/a", "/a"})},
			err: c0 + `path_prefixes[1]": "/a" is listed twice`},
		{name: "post-logout URI relative", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"/bye"})},
			err: c0 + `post_logout_redirect_uris[0]": must be an absolute URL such as https://app.example.test/path`},
		{name: "post-logout URI with fragment", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"https://app1.example.test/#bye"})},
			err: c0 + `post_logout_redirect_uris[0]": must not have a "#" fragment`},
		{name: "post-logout URI over http", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"http://app1.example.com/bye"})},
			err: c0 + `post_logout_redirect_uris[0]": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"`},
		{name: "post-logout URI twice", edits: []edit{set("clients[0].post_logout_redirect_uris", []any{"https://app1.example.test/a", "https://app1.example.test/a"})},
			err: c0 + `post_logout_redirect_uris[1]": is listed twice`},
		{name: "front-channel elsewhere", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://evil.example.test/fc")},
			err: c0 + `frontchannel_logout_uri": https://evil.example.test is neither on one of the client's hosts nor the scheme, host and port of one of its post_logout_redirect_uris; front-channel logout must stay on the client's own origin`},
		{name: "front-channel on another port", edits: []edit{
			set("clients[0].hosts", []any{"app1.example.test:8443"}), set("clients[0].post_logout_redirect_uris", []any{}),
			set("clients[0].frontchannel_logout_uri", "https://app1.example.test:9443/fc"),
		}, err: c0 + `frontchannel_logout_uri": https://app1.example.test:9443 is neither on one of the client's hosts nor the scheme, host and port of one of its post_logout_redirect_uris; front-channel logout must stay on the client's own origin`},
		{name: "front-channel over http on a public host", edits: []edit{
			set("clients[0].hosts", []any{"app1.example.com"}), set("clients[0].post_logout_redirect_uris", []any{}),
			set("clients[0].frontchannel_logout_uri", "http://app1.example.com/fc"),
		}, err: c0 + `frontchannel_logout_uri": must use https; http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"`},
		{name: "front-channel with fragment", edits: []edit{set("clients[0].frontchannel_logout_uri", "https://app1.example.test/fc#x")},
			err: c0 + `frontchannel_logout_uri": must not have a "#" fragment`},
		{name: "front-channel flag alone", edits: []edit{del("clients[0].frontchannel_logout_uri")},
			err: c0 + `frontchannel_logout_session_required": has no effect without frontchannel_logout_uri; set that too, or remove this`},
		{name: "front-channel flag not a boolean", edits: []edit{set("clients[0].frontchannel_logout_session_required", "yes")},
			err: c0 + `frontchannel_logout_session_required": must be true or false, not a string`},
		{name: "back-channel without cluster", edits: []edit{del("clients[0].backchannel_cluster")},
			err: c0 + `backchannel_cluster": is required with backchannel_logout_uri: name the Envoy cluster through which logout tokens reach the client`},
		{name: "back-channel cluster alone", edits: []edit{del("clients[0].backchannel_logout_uri"), del("clients[0].backchannel_logout_session_required")},
			err: c0 + `backchannel_cluster": has no effect without backchannel_logout_uri; set that too, or remove this`},
		{name: "back-channel flag alone", edits: []edit{del("clients[0].backchannel_logout_uri")},
			err: c0 + `backchannel_logout_session_required": has no effect without backchannel_logout_uri; set that too, or remove this`},
		{name: "back-channel with fragment", edits: []edit{set("clients[0].backchannel_logout_uri", "https://app1.example.test/bc#x")},
			err: c0 + `backchannel_logout_uri": must not have a "#" fragment`},
		{name: "back-channel relative", edits: []edit{set("clients[0].backchannel_logout_uri", "/bc")},
			err: c0 + `backchannel_logout_uri": must be an absolute URL such as https://app.example.test/path`},
		{name: "unknown default provider", edits: []edit{set("clients[0].default_provider", "aad")},
			err: c0 + `default_provider": names no provider; use the scheme of one: "oidc"`},
		{name: "unknown client field", edits: []edit{set("clients[0].host", "x")},
			err: c0 + `host": unknown field; remove it or fix its spelling (known fields: client_id, name, hosts, path_prefixes, public_path_prefixes, post_logout_redirect_uris, frontchannel_logout_uri, frontchannel_logout_session_required, backchannel_logout_uri, backchannel_logout_session_required, backchannel_cluster, default_provider)`},
	})
}

func TestClientFor(t *testing.T) {
	// Hosts no one cookie could reach (an IPv6 literal beside DNS names), to test matching.
	cfg, err := parseConfigReaching(configWith(t,
		set("clients[0].hosts", []any{"app1.example.test", "shared.example.test"}),
		set("clients[0].public_path_prefixes", []any{}), // "/static/" would cover app2's "/static/app2/"
		appendTo("clients", map[string]any{"client_id": "app2", "hosts": []any{"shared.example.test"}, "path_prefixes": []any{"/app2", "/static/app2/"}}),
		appendTo("clients", map[string]any{"client_id": "app2-admin", "hosts": []any{"shared.example.test"}, "path_prefixes": []any{"/app2/admin"}}),
		appendTo("clients", map[string]any{"client_id": "alt", "hosts": []any{"shared.example.test:8443", "[::1]:8080", "127.0.0.1"}, "path_prefixes": []any{"/alt/"}}),
	), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, path string
		want       string // client_id, "" for none
	}{
		{"app1.example.test", "/", "app1"},
		{"app1.example.test", "/anything?q=1", "app1"},
		{"APP1.Example.Test", "/x", "app1"},
		{"app1.example.test:8443", "/x", "app1"}, // configured without a port: any port
		{"app1.example.test:443", "/x", "app1"},
		{"other.example.test", "/", ""},
		{"example.test", "/", ""},
		{"app1.example.test.evil.test", "/", ""},
		{"app1.example.test", "", ""},
		{"shared.example.test", "/", "app1"},
		{"shared.example.test", "/app2", "app2"},
		{"shared.example.test", "/app2?x=1", "app2"},
		{"shared.example.test", "/app2/page", "app2"},
		{"shared.example.test", "/app2x", "app1"}, // whole segments only
		{"shared.example.test", "/App2", "app1"},  // paths are case-sensitive
		{"shared.example.test", "/app2/admin", "app2-admin"},
		{"shared.example.test", "/app2/admin/users", "app2-admin"},
		{"shared.example.test", "/app2/administrator", "app2"},
		{"shared.example.test", "/static/app2/x.js", "app2"},
		{"shared.example.test", "/static/app2", "app2"}, // "/static/app2/" covers it
		{"shared.example.test:8443", "/alt/x", "alt"},
		{"shared.example.test:8443", "/alt", "alt"},   // "/alt/" covers it
		{"shared.example.test:8443", "/altx", "app1"}, // falls back to the host without port
		{"shared.example.test:8443", "/app2/x", "app2"},
		{"shared.example.test:9443", "/alt/x", "app1"},
		{"shared.example.test", "/alt/x", "app1"},
		{"[::1]:8080", "/alt/x", "alt"},
		{"[::1]", "/alt/x", ""},
		{"127.0.0.1:9000", "/alt/x", "alt"},
		{"", "/", ""},
		{":8080", "/", ""},
	}
	for _, tt := range tests {
		got := ""
		if c := cfg.ClientFor(tt.host, tt.path); c != nil {
			got = c.ClientID
		}
		if got != tt.want {
			t.Errorf("ClientFor(%q, %q) = %q, want %q", tt.host, tt.path, got, tt.want)
		}
	}
	if cfg.Client("app2-admin") == nil || cfg.Client("nope") != nil {
		t.Error("Client() lookups are wrong")
	}
}

func BenchmarkClientFor(b *testing.B) {
	cfg, err := ParseConfig(configWith(b,
		appendTo("clients", map[string]any{"client_id": "app2", "hosts": []any{"app1.example.test"}, "path_prefixes": []any{"/app2/"}}),
	))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if cfg.ClientFor("app1.example.test:443", "/app2/page?x=1") == nil {
			b.Fatal("no client")
		}
	}
}
