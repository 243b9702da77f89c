package serve

import (
	"sort"
	"strings"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// routeTable is one connection manager's route_config, ready for Envoy's
// lookups: a virtual host by the request's Host, then its first route that
// matches the path.
type routeTable struct {
	exact    map[string]*envoyconfig.VirtualHost
	suffixes []wildcard // "*.example.com": longest first
	prefixes []wildcard // "api.*": longest first
	any      *envoyconfig.VirtualHost
}

type wildcard struct {
	part string // the domain without its "*"
	vh   *envoyconfig.VirtualHost
}

func newRouteTable(vhosts []envoyconfig.VirtualHost) *routeTable {
	t := &routeTable{exact: map[string]*envoyconfig.VirtualHost{}}
	for i := range vhosts {
		vh := &vhosts[i]
		for _, d := range vhosts[i].Domains {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				t.any = vh
			case strings.HasPrefix(d, "*"):
				t.suffixes = append(t.suffixes, wildcard{d[1:], vh})
			case strings.HasSuffix(d, "*"):
				t.prefixes = append(t.prefixes, wildcard{d[:len(d)-1], vh})
			default:
				t.exact[d] = vh
			}
		}
	}
	// Envoy tries the longest wildcard first; among equals, the file's order.
	longestFirst := func(w []wildcard) {
		sort.SliceStable(w, func(i, j int) bool { return len(w[i].part) > len(w[j].part) })
	}
	longestFirst(t.suffixes)
	longestFirst(t.prefixes)
	return t
}

// virtualHost finds the virtual host for a Host header as Envoy does: an
// exact domain, then the longest "*suffix" wildcard, then the longest
// "prefix*" wildcard, then "*". The comparison ignores case and includes
// the port, as Envoy's does by default: "example.com" does not match
// "example.com:8080". A wildcard stands for at least one character.
func (t *routeTable) virtualHost(host string) *envoyconfig.VirtualHost {
	host = strings.ToLower(host)
	if vh, ok := t.exact[host]; ok {
		return vh
	}
	for _, w := range t.suffixes {
		if len(host) > len(w.part) && strings.HasSuffix(host, w.part) {
			return w.vh
		}
	}
	for _, w := range t.prefixes {
		if len(host) > len(w.part) && strings.HasPrefix(host, w.part) {
			return w.vh
		}
	}
	return t.any
}

// route finds the route for a request, or nil (Envoy answers 404). The path
// is the :path without its query or fragment; prefixes and paths compare
// case-sensitively, as Envoy's do by default.
func (t *routeTable) route(host, path string) *envoyconfig.Route {
	vh := t.virtualHost(host)
	if vh == nil {
		return nil
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for i := range vh.Routes {
		if r := &vh.Routes[i]; matches(r.Match, path) {
			return r
		}
	}
	return nil
}

func matches(m envoyconfig.PathMatch, path string) bool {
	switch m.Kind {
	case envoyconfig.MatchPrefix:
		return strings.HasPrefix(path, m.Value)
	case envoyconfig.MatchPath:
		return path == m.Value
	case envoyconfig.MatchPathSeparatedPrefix:
		return path == m.Value || strings.HasPrefix(path, m.Value) && path[len(m.Value)] == '/'
	}
	return false
}
