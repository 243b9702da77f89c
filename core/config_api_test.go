package core

import "testing"

func TestAPIConfig(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{del("api")},
			check: func(t *testing.T, c *Config) { is(t, "API", c.API, API{AcceptJSON: true}) }},
		{name: "accept_json off", edits: []edit{set("api.accept_json", false)},
			check: func(t *testing.T, c *Config) { is(t, "API", c.API, API{PathPrefixes: []string{"/api/"}}) }},

		{name: "relative prefix", edits: []edit{set("api.path_prefixes", []any{"api/"})},
			err: `exeunt configuration: field "api.path_prefixes[0]": must start with "/" (for example "/api/")`},
		{name: "prefix with query", edits: []edit{set("api.path_prefixes", []any{"/api?x"})},
			err: `exeunt configuration: field "api.path_prefixes[0]": must be a path only, without a "?" query or "#" fragment`},
		{name: "prefix twice", edits: []edit{set("api.path_prefixes", []any{"/api/", "/api/"})},
			err: `exeunt configuration: field "api.path_prefixes[1]": "/api/" is listed twice`},
		{name: "accept_json not a boolean", edits: []edit{set("api.accept_json", 1)},
			err: `exeunt configuration: field "api.accept_json": must be true or false, not a number`},
		{name: "unknown api field", edits: []edit{set("api.prefixes", []any{})},
			err: `exeunt configuration: field "api.prefixes": unknown field; remove it or fix its spelling (known fields: path_prefixes, accept_json)`},
	})
}

func TestIsAPIRequest(t *testing.T) {
	withPrefixes, err := ParseConfig(configWith(t, set("api.path_prefixes", []any{"/api/", "/graphql"})))
	if err != nil {
		t.Fatal(err)
	}
	acceptOff, err := ParseConfig(configWith(t, set("api.accept_json", false)))
	if err != nil {
		t.Fatal(err)
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	tests := []struct {
		name   string
		cfg    *Config
		path   string
		accept string
		want   bool
	}{
		{"browser navigation", withPrefixes, "/", browser, false},
		{"browser navigation under an API prefix", withPrefixes, "/api/users", browser, true},
		{"API prefix with query", withPrefixes, "/api/users?x=1", "", true},
		{"API prefix exactly", withPrefixes, "/graphql", "", true},
		{"API prefix below", withPrefixes, "/graphql/x", "", true},
		{"not a segment of the prefix", withPrefixes, "/graphqlx", "", false},
		{"prefix ending in slash covers the path without it", withPrefixes, "/api", "", true},
		{"no Accept", withPrefixes, "/", "", false},
		{"anything", withPrefixes, "/", "*/*", false},
		{"JSON", withPrefixes, "/", "application/json", true},
		{"JSON with charset", withPrefixes, "/", "application/json; charset=utf-8", true},
		{"upper case", withPrefixes, "/", "Application/JSON", true},
		{"axios", withPrefixes, "/", "application/json, text/plain, */*", true},
		{"problem+json", withPrefixes, "/", "application/problem+json", true},
		{"vendor json", withPrefixes, "/", "application/vnd.api+json", true},
		{"JSON and HTML alike", withPrefixes, "/", "application/json, text/html", false},
		{"HTML preferred", withPrefixes, "/", "application/json;q=0.5, text/html", false},
		{"JSON preferred by q", withPrefixes, "/", "text/html;q=0.5, application/json", true},
		{"JSON refused", withPrefixes, "/", "application/json;q=0, */*", false},
		{"HTML refused", withPrefixes, "/", "text/html;q=0, */*", true},
		{"application wildcard", withPrefixes, "/", "application/*", true},
		{"application wildcard against text wildcard", withPrefixes, "/", "application/*, text/*", false},
		{"specific JSON beats wildcard HTML", withPrefixes, "/", "text/*, application/json", true},
		{"q with spaces", withPrefixes, "/", "text/html ; q=0.2 , application/json ; q=0.3", true},
		{"q with three decimals", withPrefixes, "/", "text/html;q=0.301, application/json;q=0.3", false},
		{"malformed q ignored", withPrefixes, "/", "text/html;q=abc, application/json;q=0.1", true},
		{"q above 1 ignored", withPrefixes, "/", "application/json;q=2, text/html;q=0.5", false},
		{"q with too many decimals ignored", withPrefixes, "/", "application/json;q=0.0001", false},
		{"garbage", withPrefixes, "/", ";;;,,,/,json", false},
		{"image only", withPrefixes, "/", "image/png", false},
		{"plain XML", withPrefixes, "/", "application/xml", false}, // neither JSON nor HTML
		{"accept_json off", acceptOff, "/", "application/json", false},
		{"accept_json off, prefix still counts", acceptOff, "/api/x", "", true},
	}
	for _, tt := range tests {
		if got := tt.cfg.IsAPIRequest(tt.path, tt.accept); got != tt.want {
			t.Errorf("%s: IsAPIRequest(%q, %q) = %v, want %v", tt.name, tt.path, tt.accept, got, tt.want)
		}
	}
}

func FuzzIsAPIRequest(f *testing.F) {
	cfg, err := ParseConfig(configWith(f))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "*/*", "application/json;q=0.5, text/html", "a/b;q=1.000;x=y", ";q=", "text/html;q=0."} {
		f.Add("/", s)
	}
	f.Fuzz(func(t *testing.T, path, accept string) {
		cfg.IsAPIRequest(path, accept)
		prefersJSON(accept)
	})
}
