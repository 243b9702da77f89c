package core

import (
	"net/netip"
	"strings"
)

// requestHost is a request's :authority read the way Envoy routes on it: the host in
// lower case (an IPv6 address in brackets) and the port, the scheme's default when the
// authority has none.
type requestHost struct {
	scheme string // "http" or "https" (a missing :scheme is https)
	name   string // "app.example.test", "127.0.0.1", "[::1]"
	port   string // always set: the authority's port, or the scheme's default
}

// defaultPort is the port a URL leaves out for a scheme (ok false: not http or https).
// A switch rather than a map: it runs on every request, and a map lookup in a Go guest
// hashes the key and calls the runtime (BENCHMARKS.md, "Issue 15: the signed-in
// request's own work").
func defaultPort(scheme string) (port string, ok bool) {
	switch scheme {
	case "http":
		return "80", true
	case "https":
		return "443", true
	}
	return "", false
}

// readHost reads a request's scheme and :authority. ok is false when the authority is
// not a plain host[:port] in canonical form: empty, with user info, a port that is not
// a number from 1 to 65535 written without leading zeros, bytes no host name has, an
// unbracketed IPv6 address, or an unknown scheme. Such a request is owned by nobody.
//
// Envoy picks the virtual host on the lower-cased host (RouteMatcher::findVirtualHost,
// source/common/router/config_impl.cc), so case never matters; it strips a port only
// when told to (strip_matching_host_port, strip_any_host_port), and a default port
// names the same origin as none, so ":443" on https (":80" on http) is dropped here.
// Anything else written differently (a trailing dot, "0" padding, an IP literal) is a
// different host to this filter, hence never owned, hence never passed.
func readHost(scheme, authority string) (requestHost, bool) {
	if scheme == "" {
		scheme = "https"
	}
	scheme = lowerASCII(scheme)
	def, known := defaultPort(scheme)
	if !known || authority == "" {
		return requestHost{}, false
	}
	a := lowerASCII(authority)
	name, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return requestHost{}, false
		}
		name, port = a[:end+1], a[end+1:]
		if ip, err := netip.ParseAddr(a[1:end]); err != nil || !ip.Is6() || ip.Zone() != "" {
			return requestHost{}, false
		}
		if port != "" {
			if port[0] != ':' {
				return requestHost{}, false
			}
			port = port[1:]
			if port == "" {
				return requestHost{}, false
			}
		}
	} else {
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			name, port = a[:i], a[i+1:]
			if port == "" {
				return requestHost{}, false
			}
		}
		if name == "" {
			return requestHost{}, false
		}
		for i := 0; i < len(name); i++ {
			if b := name[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_') {
				return requestHost{}, false
			}
		}
	}
	if port == "" {
		port = def
	} else if checkPort(port) != "" {
		return requestHost{}, false
	}
	return requestHost{scheme: scheme, name: name, port: port}, true
}

// lowerASCII lower-cases A to Z only, as Envoy does (absl::AsciiStrToLower).
// strings.ToLower would also map the Kelvin sign U+212A to "k" and U+0130 to "i",
// making a Host that Envoy routes as some other name read as one a client owns.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// originOf is the one origin normaliser: the origin of a scheme and authority as
// browsers serialise it (RFC 6454 §6.2: scheme://host[:port], in lower case, without
// the scheme's default port), read as readHost reads a request's. ok is false when
// readHost refuses the authority: no request can come from there. Every origin Exeunt
// spells (the issuer's, a configured URL's, a request's) comes from here, and
// requestHost.isOrigin compares a request with one of them without spelling its own.
func originOf(scheme, authority string) (o string, ok bool) {
	h, ok := readHost(scheme, authority)
	if !ok {
		return "", false
	}
	return h.origin(), true
}

// origin spells the host's origin (originOf).
func (h requestHost) origin() string {
	if def, _ := defaultPort(h.scheme); h.port == def {
		return h.scheme + "://" + h.name
	}
	return h.scheme + "://" + h.name + ":" + h.port
}

// isOrigin reports whether the host is the origin o, spelt as Config.IssuerOrigin
// spells one (scheme://host, with the port unless it is the scheme's default), without
// building the host's own spelling (this runs on every request).
func (h requestHost) isOrigin(o string) bool {
	rest, ok := strings.CutPrefix(o, h.scheme)
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "://"); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, h.name); !ok {
		return false
	}
	if def, _ := defaultPort(h.scheme); h.port == def {
		return rest == ""
	}
	return len(rest) == len(h.port)+1 && rest[0] == ':' && rest[1:] == h.port
}

// lookup finds the route for path in a host-keyed table (keys as configured: "host" or
// "host:port", lower case): the entries for this host and port first, then those for the
// host on any port; within each, the first matching prefix (tables are sorted longest
// first).
func (h requestHost) lookup(table hostTable, path string) *route {
	if path == "" || len(table.byHost) == 0 {
		return nil
	}
	// The "host:port" key is spelt only when some entry has a port: building it is a
	// string concatenation per lookup, and most configurations name hosts alone.
	if table.withPorts {
		if r := matchRoute(table.byHost[h.name+":"+h.port], path); r != nil {
			return r
		}
	}
	return matchRoute(table.byHost[h.name], path)
}

// hostTable is a host-keyed route table: keys as configured ("host" or "host:port",
// lower case), each host's routes longest prefix first. withPorts says whether any key
// has a port.
type hostTable struct {
	byHost    map[string][]route
	withPorts bool
}

func matchRoute(routes []route, path string) *route {
	for i := range routes {
		if routeMatches(routes[i].prefix, path) {
			return &routes[i]
		}
	}
	return nil
}
