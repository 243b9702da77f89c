package core

// Class is what a request is to Exeunt. Config.Classify decides it once, first thing,
// for every request the filter sees; the engine then only acts on the answer. The zero
// value is ClassUnowned, the strictest, so that a forgotten case fails closed.
type Class uint8

const (
	// ClassUnowned: no rule covers the request. What happens to it is the top-level
	// setting unowned_requests (refused by default, never passed to the app signed out).
	ClassUnowned Class = iota
	// ClassOwnEndpoint: one of Exeunt's own endpoints (the health and readiness paths on any host, the
	// others on the issuer's origin), answered by the filter itself.
	ClassOwnEndpoint
	// ClassPublic: a declared public rule covers it (a public path prefix, global or of
	// a client, or one of a client's logout landing pages), or sign-in is off
	// (pass-through mode): it continues without a session and without identity.
	ClassPublic
	// ClassClient: a client owns it; it needs a session, and the client gets its
	// assertion.
	ClassClient
)

func (c Class) String() string {
	switch c {
	case ClassOwnEndpoint:
		return "own endpoint"
	case ClassPublic:
		return "public"
	case ClassClient:
		return "client"
	}
	return "unowned"
}

// Classification is Config.Classify's answer.
type Classification struct {
	Class Class
	// Client owns the request (ClassClient), or declared the public rule that covers it
	// (ClassPublic; nil for a global rule or pass-through mode).
	Client *Client
	// Rule names what decided, for logs and tests: a configuration field such as
	// "public_path_prefixes[0]" or "clients[1].path_prefixes[0]", or a reason such as
	// "unknown host" or "ambiguous path".
	Rule string

	// endpoint is which own endpoint (ClassOwnEndpoint), and provider whose, as
	// endpointAt said: the engine dispatches on it without looking the path up again.
	endpoint endpoint
	provider *Provider
}

// Classify decides, in this order, whether a request is for one of Exeunt's own
// endpoints, public by a declared rule, owned by a client, or owned by nobody. It is
// pure: it looks only at the request's :scheme, :authority and :path (never at the
// method, the headers or the query), and at the configuration.
//
// Hosts are compared after the normalisation Envoy applies to route (lower case, the
// scheme's default port left out); a host written any other way (an IP literal, a
// trailing dot, a port with leading zeros, a malformed port) is simply owned by nobody.
// Paths are matched without their query. A public rule only ever matches a path that
// reads one way only (see readPath): a path with dot segments, repeated slashes,
// backslashes, ";" parameters or percent-encoded characters that a proxy or an app
// could decode differently is never public; it belongs to the client that owns the
// path it would be read as, and otherwise to nobody.
func (c *Config) Classify(r Request) Classification { return c.classify(&r, stripQuery(r.Path)) }

// classify is Classify for a request whose path without the query is raw (the engine
// has it in its requestView).
func (c *Config) classify(r *Request, raw string) Classification {
	if raw == c.healthPath {
		return Classification{Class: ClassOwnEndpoint, Rule: "health_path", endpoint: endpointHealth}
	}
	if raw == c.readyPath {
		return Classification{Class: ClassOwnEndpoint, Rule: "ready_path", endpoint: endpointReady}
	}
	if !c.SignInEnabled() {
		return Classification{Class: ClassPublic, Rule: "pass-through mode (sign-in is off)"}
	}
	h, hostOK := readHost(r.Scheme, r.Authority)
	p := readPath(raw)
	if hostOK && h.isOrigin(c.IssuerOrigin) {
		if ep, p := c.endpointAt(raw); ep != noEndpoint {
			return Classification{Class: ClassOwnEndpoint, Rule: "paths", endpoint: ep, provider: p}
		}
	}
	if p.clear {
		for i, prefix := range c.PublicPathPrefixes {
			if routeMatches(prefix, raw) {
				return Classification{Class: ClassPublic, Rule: indexed("public_path_prefixes", i)}
			}
		}
	}
	if !hostOK {
		return Classification{Class: ClassUnowned, Rule: "unknown host"}
	}
	if p.clear {
		for _, l := range c.landingsAt(raw) {
			// A landing is public on the client's own paths or on nobody's, never on
			// another client's: a post-logout URI cannot open someone else's page.
			if h.isOrigin(l.origin) {
				if o := h.lookup(c.routesByHost, raw); o == nil || o.client == l.client {
					return Classification{Class: ClassPublic, Client: l.client, Rule: l.rule}
				}
			}
		}
		if r := h.lookup(c.publicByHost, raw); r != nil {
			return Classification{Class: ClassPublic, Client: r.client, Rule: r.rule}
		}
	}
	if r := h.lookup(c.routesByHost, p.canonical); r != nil {
		return Classification{Class: ClassClient, Client: r.client, Rule: r.rule}
	}
	if !p.clear {
		return Classification{Class: ClassUnowned, Rule: "ambiguous path"}
	}
	return Classification{Class: ClassUnowned, Rule: "no client owns this host and path"}
}

// landingsAt is landings[raw], without the lookup when no landing page's path has that
// length (nearly every request: see lengthSet).
func (c *Config) landingsAt(raw string) []landingPage {
	if !c.landingLengths.mayHave(raw) {
		return nil
	}
	return c.landings[raw]
}

// routeMatches matches a configured path prefix (of a client, a public rule, an API
// rule) against a path, by whole segments: "/app" matches "/app" and "/app/x", never
// "/apple"; "/app/" matches "/app/x" and also "/app" itself, so that the address
// without its trailing slash (which many apps redirect to the one with it) is covered
// by the same rule.
func routeMatches(prefix, path string) bool {
	if len(path) < len(prefix) {
		return len(prefix) > 1 && prefix[len(prefix)-1] == '/' && path == prefix[:len(prefix)-1]
	}
	return path[:len(prefix)] == prefix &&
		(len(path) == len(prefix) || prefix[len(prefix)-1] == '/' || path[len(prefix)] == '/')
}
