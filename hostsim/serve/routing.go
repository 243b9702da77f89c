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
	// filterDisabled is the route_config's own typed_per_filter_config.
	rcFilterDisabled map[string]bool
	// rcHeadersToRemove is the route_config's request_headers_to_remove.
	rcHeadersToRemove []string
	// rcResponseHeadersToRemove is the route_config's response_headers_to_remove.
	rcResponseHeadersToRemove []string
}

type wildcard struct {
	part string // the domain without its "*"
	vh   *envoyconfig.VirtualHost
}

func newRouteTable(vhosts []envoyconfig.VirtualHost, filterDisabled map[string]bool) *routeTable {
	t := &routeTable{exact: map[string]*envoyconfig.VirtualHost{}, rcFilterDisabled: filterDisabled}
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
	r, _ := t.lookup(host, path)
	return r
}

// lookup is route, with the virtual host it found (nil when none).
func (t *routeTable) lookup(host, path string) (*envoyconfig.Route, *envoyconfig.VirtualHost) {
	vh := t.virtualHost(host)
	if vh == nil {
		return nil, nil
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for i := range vh.Routes {
		if r := &vh.Routes[i]; matches(r.Match, path) {
			return r, vh
		}
	}
	return nil, vh
}

// headersToRemove are the request headers the router removes for route r: the route's, its
// virtual host's and the route configuration's request_headers_to_remove
// (RouteEntryImplBase::finalizeRequestHeaders, source/common/router/config_impl.cc, v1.33.0).
func (t *routeTable) headersToRemove(r *envoyconfig.Route, vh *envoyconfig.VirtualHost) []string {
	var out []string
	if r != nil {
		out = append(out, r.RequestHeadersToRemove...)
	}
	if vh != nil {
		out = append(out, vh.RequestHeadersToRemove...)
	}
	return append(out, t.rcHeadersToRemove...)
}

// filterDisabled says whether the HTTP filter of this name (its `name` in the connection
// manager's http_filters) is skipped for a request on route r, as Envoy decides when it creates
// the filter chain: the route's typed_per_filter_config, else the virtual host's, else the
// route configuration's, else the filter's own `disabled` (RouteEntryImplBase::filterDisabled
// and CommonVirtualHostImpl::filterDisabled in source/common/router/config_impl.cc, and
// FilterChainUtility::createFilterChainForFactories in source/common/http/filter_chain_helper.cc,
// Envoy v1.33.0). Without a route, only the filter's own setting counts.
func (t *routeTable) filterDisabled(r *envoyconfig.Route, vh *envoyconfig.VirtualHost, name string, byDefault bool) bool {
	if r == nil {
		return byDefault
	}
	for _, m := range []map[string]bool{r.FilterDisabled, vh.FilterDisabled, t.rcFilterDisabled} {
		if d, ok := m[name]; ok {
			return d
		}
	}
	return byDefault
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
