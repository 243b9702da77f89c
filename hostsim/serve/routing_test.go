package serve

import (
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

func TestVirtualHostsMatchAsEnvoys(t *testing.T) {
	vh := func(name string, domains ...string) envoyconfig.VirtualHost {
		return envoyconfig.VirtualHost{Name: name, Domains: domains}
	}
	table := newRouteTable([]envoyconfig.VirtualHost{
		vh("exact", "api.example.com", "api.example.com:8080"),
		vh("suffix", "*.example.com"),
		vh("longer-suffix", "*.eu.example.com"),
		vh("dash-suffix", "*-admin.example.com"),
		vh("prefix", "static.*"),
		vh("longer-prefix", "static.cdn.*"),
		vh("any", "*"),
	}, nil)
	for host, want := range map[string]string{
		"api.example.com":       "exact",
		"API.Example.COM":       "exact", // case does not matter
		"api.example.com:8080":  "exact",
		"api.example.com:9090":  "any", // the port counts, as in Envoy: neither the exact domain nor *.example.com
		"www.example.com":       "suffix",
		"a.eu.example.com":      "longer-suffix", // the longest wildcard wins
		"ops-admin.example.com": "dash-suffix",
		"example.com":           "any", // "*.example.com" needs something before the dot
		"static.net":            "prefix",
		"static.cdn.net":        "longer-prefix",
		"other.test":            "any",
	} {
		got := table.virtualHost(host)
		if got == nil || got.Name != want {
			t.Errorf("%s: virtual host %v, want %s", host, got, want)
		}
	}
	if got := newRouteTable([]envoyconfig.VirtualHost{vh("only", "a.test")}, nil).virtualHost("b.test"); got != nil {
		t.Errorf("no domain matches: got %s, want none (404)", got.Name)
	}
}

func TestRoutesMatchInOrder(t *testing.T) {
	route := func(name string, kind envoyconfig.MatchKind, v string) envoyconfig.Route {
		return envoyconfig.Route{Name: name, Match: envoyconfig.PathMatch{Kind: kind, Value: v}, Cluster: "c"}
	}
	table := newRouteTable([]envoyconfig.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []envoyconfig.Route{
		route("exact", envoyconfig.MatchPath, "/login"),
		route("separated", envoyconfig.MatchPathSeparatedPrefix, "/api"),
		route("prefix", envoyconfig.MatchPrefix, "/static/"),
	}}}, nil)
	for path, want := range map[string]string{
		"/login":         "exact",
		"/login?next=/":  "exact", // the query is not part of the path
		"/login/":        "",
		"/LOGIN":         "", // case-sensitive, as Envoy's default
		"/api":           "separated",
		"/api/v1":        "separated",
		"/api?x=1":       "separated",
		"/apis":          "",
		"/static/app.js": "prefix",
		"/static":        "",
		"/elsewhere":     "",
	} {
		got := table.route("h", path)
		name := ""
		if got != nil {
			name = got.Name
		}
		if name != want {
			t.Errorf("%s: route %q, want %q", path, name, want)
		}
	}
}
