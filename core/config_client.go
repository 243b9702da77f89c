package core

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Client is an app behind Envoy: the routes it owns and how it is signed out. Treat it
// as read-only.
type Client struct {
	// ClientID names the client: the "aud" of its assertions and logout tokens.
	ClientID string
	// Name is shown to users; the client id by default.
	Name string
	// Hosts are the hosts the client is served on, in lower case, each "host" or
	// "host:port"; a host without a port matches any port.
	Hosts []string
	// PathPrefixes are the paths the client owns on its hosts ("/" by default). A prefix
	// matches itself and what lies below it: "/app" matches "/app" and "/app/x", not
	// "/apple"; "/app/" matches "/app/x" and "/app" itself.
	PathPrefixes []string
	// PublicPathPrefixes are paths on the client's hosts that pass without a session and
	// without identity (none by default), matched as PathPrefixes are, on clear paths
	// only (see Config.Classify).
	PublicPathPrefixes []string
	// PostLogoutRedirectURIs are where the client may ask to be sent after signing out,
	// verbatim: a requested URI must equal one of them exactly.
	PostLogoutRedirectURIs []string
	// FrontchannelLogoutURI is loaded in an iframe when a session that visited the
	// client ends; "" for none.
	FrontchannelLogoutURI string
	// FrontchannelLogoutSessionRequired: add "iss" and "sid" to FrontchannelLogoutURI.
	FrontchannelLogoutSessionRequired bool
	// BackchannelLogoutURI receives a logout token when a session that visited the
	// client ends; "" for none.
	BackchannelLogoutURI string
	// BackchannelLogoutSessionRequired: logout tokens carry "sid".
	BackchannelLogoutSessionRequired bool
	// BackchannelCluster is the Envoy cluster that reaches BackchannelLogoutURI.
	BackchannelCluster string
	// DefaultProvider is where the client's users sign in without being asked; nil when
	// the client has none (with several providers, the user then chooses).
	DefaultProvider *Provider
}

// AllowsPostLogoutRedirectURI reports whether uri is one of the client's registered
// post-logout redirect URIs, compared exactly, as RP-Initiated Logout 1.0 requires.
func (c *Client) AllowsPostLogoutRedirectURI(uri string) bool {
	return slices.Contains(c.PostLogoutRedirectURIs, uri)
}

// Client returns the client with that client_id, or nil.
func (c *Config) Client(clientID string) *Client { return c.clientByID[clientID] }

// ClientFor returns the client that owns a request, from its :authority (host, with or
// without port, any case) and :path (query ignored), or nil when no client does. It
// reads host and path as Classify does (for an https request): the host's entries with
// that exact port are tried first, then those without a port; among a host's entries
// the longest matching path prefix wins.
func (c *Config) ClientFor(host, path string) *Client {
	h, ok := readHost("https", host)
	if !ok {
		return nil
	}
	if r := h.lookup(c.routesByHost, readPath(stripQuery(path)).canonical); r != nil {
		return r.client
	}
	return nil
}

// route is one host's path prefix, the client it belongs to and the configuration
// field that declared it.
type route struct {
	prefix string
	client *Client
	rule   string
}

// hostRoutes builds a host-keyed route table: for each of a client's hosts, the
// prefixes prefixes(i, c) gives (named by their field), longest first.
func hostRoutes(clients []*Client, prefixes func(c *Client) ([]string, string)) hostTable {
	t := hostTable{byHost: map[string][]route{}}
	for i, c := range clients {
		list, field := prefixes(c)
		for _, h := range c.Hosts {
			for j, p := range list {
				t.byHost[h] = append(t.byHost[h], route{p, c, fmt.Sprintf("clients[%d].%s[%d]", i, field, j)})
			}
		}
	}
	for h, routes := range t.byHost {
		sortLongestFirst(routes)
		// Any colon counts (an IPv6 host has some without a port): a table wrongly
		// marked withPorts only spells one key too many.
		if strings.Contains(h, ":") {
			t.withPorts = true
		}
	}
	return t
}

// sortLongestFirst orders routes by prefix length, longest first, keeping the configured
// order among prefixes of one length: slices.SortStableFunc by length, which it replaced
// (TestSortLongestFirstIsStableSort compares them). It sorts one int per route, its length
// rank and position in one, with slices.Sort on []int, which fmt.Errorf already links into
// the module; the stable sort instantiated a merge sort for this struct (9 KB of code).
func sortLongestFirst(routes []route) {
	n := len(routes)
	longest := 0
	for _, r := range routes {
		longest = max(longest, len(r.prefix))
	}
	keys := make([]int, n)
	for i, r := range routes {
		keys[i] = (longest-len(r.prefix))*n + i
	}
	slices.Sort(keys)
	sorted := make([]route, n)
	for i, k := range keys {
		sorted[i] = routes[k%n]
	}
	copy(routes, sorted)
}

// prefixMatches is RFC 6265's cookie path-match: a prefix matches itself and what lies
// below it, whole segments only; "/app/" does not match "/app", as a cookie with that
// Path is not sent there. Routes use routeMatches instead.
func prefixMatches(prefix, path string) bool {
	return strings.HasPrefix(path, prefix) &&
		(len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/')
}

func (cfg *Config) readClients(obj *jsonObject) error {
	list, ok, err := obj.optionalObjects("clients")
	if err != nil || !ok {
		return err
	}
	owner := map[string]int{} // host + " " + prefix: index of the client owning it
	for i, o := range list {
		c, err := cfg.readClient(o)
		if err != nil {
			return err
		}
		for j, other := range cfg.Clients {
			if other.ClientID == c.ClientID {
				return o.fieldError("client_id", fmt.Sprintf("%q is already the client_id of clients[%d]; each client needs its own", c.ClientID, j))
			}
			if seg := clientMetricSegment(c.ClientID); seg == clientMetricSegment(other.ClientID) {
				return o.fieldError("client_id", fmt.Sprintf(
					"%q and the client_id %q of clients[%d] would share their counters (exeunt.client.%s.*: every character outside letters, digits, \"_\" and \"-\" is counted as \"_\"); give one of them an id that differs in a letter, digit, \"_\" or \"-\"",
					c.ClientID, other.ClientID, j, seg))
			}
		}
		for hi, h := range c.Hosts {
			for _, p := range c.PathPrefixes {
				if j, taken := owner[h+" "+p]; taken {
					return o.fieldError(indexed("hosts", hi), fmt.Sprintf(
						"%q with path prefix %q already belongs to client %q (clients[%d]); give one of them a longer path prefix",
						h, p, cfg.Clients[j].ClientID, j))
				}
				owner[h+" "+p] = i
			}
		}
		cfg.Clients = append(cfg.Clients, c)
	}
	return nil
}

func (cfg *Config) readClient(o *jsonObject) (*Client, error) {
	c := &Client{PathPrefixes: []string{"/"}}
	var err error
	if c.ClientID, err = requiredString(o, "client_id", `the id apps use for themselves, such as "app1"`); err != nil {
		return nil, err
	}
	if limit := paramLimits["client_id"]; len(c.ClientID) > limit {
		// Apps name themselves by it at the end session endpoint, which takes no longer.
		return nil, o.fieldError("client_id", fmt.Sprintf("is %d bytes long; keep it to at most %d (the end session endpoint refuses a longer client_id)", len(c.ClientID), limit))
	}
	if c.Name, err = optionalText(o, "name", c.ClientID); err != nil {
		return nil, err
	}
	if err := readHosts(o, c); err != nil {
		return nil, err
	}
	if err := readPathPrefixes(o, c); err != nil {
		return nil, err
	}
	if c.PublicPathPrefixes, err = readPublicPrefixes(o); err != nil {
		return nil, err
	}
	if err := readPostLogoutRedirectURIs(o, c); err != nil {
		return nil, err
	}
	if err := readFrontchannel(o, c); err != nil {
		return nil, err
	}
	if err := readBackchannel(o, c); err != nil {
		return nil, err
	}
	if err := cfg.readDefaultProvider(o, c); err != nil {
		return nil, err
	}
	if err := o.rejectUnknown(); err != nil {
		return nil, err
	}
	return c, nil
}

func readHosts(o *jsonObject, c *Client) error {
	hosts, ok, err := o.optionalStrings("hosts")
	if err != nil {
		return err
	}
	if !ok || len(hosts) == 0 {
		return o.fieldError("hosts", `must list the hosts the client is served on, such as ["app1.example.test"]`)
	}
	for i, h := range hosts {
		field := indexed("hosts", i)
		h = strings.ToLower(h)
		switch {
		case strings.Contains(h, "://"):
			return o.fieldError(field, "must be a host name without a scheme, such as app1.example.test")
		case strings.Contains(h, "/"):
			return o.fieldError(field, "must be a host name without a path; put paths in path_prefixes")
		case strings.Contains(h, "*"):
			return o.fieldError(field, "wildcards are not supported; list each host")
		}
		if _, _, problem := splitHost(h); problem != "" {
			return o.fieldError(field, problem)
		}
		if slices.Contains(hosts[:i], h) {
			return o.fieldError(field, fmt.Sprintf("%q is listed twice", h))
		}
		hosts[i] = h
	}
	c.Hosts = hosts
	return nil
}

func readPathPrefixes(o *jsonObject, c *Client) error {
	prefixes, ok, err := o.optionalStrings("path_prefixes")
	if err != nil || !ok {
		return err
	}
	if len(prefixes) == 0 {
		return o.fieldError("path_prefixes", `must list at least one path prefix (remove the field for the default, ["/"])`)
	}
	for i, p := range prefixes {
		if problem := checkPath(p, "/app/"); problem != "" {
			return o.fieldError(indexed("path_prefixes", i), problem)
		}
		if !readPath(p).clear {
			return o.fieldError(indexed("path_prefixes", i), `must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); requests are read in that form before they are matched`)
		}
		if slices.Contains(prefixes[:i], p) {
			return o.fieldError(indexed("path_prefixes", i), fmt.Sprintf("%q is listed twice", p))
		}
	}
	c.PathPrefixes = prefixes
	return nil
}

func readPostLogoutRedirectURIs(o *jsonObject, c *Client) error {
	uris, _, err := o.optionalStrings("post_logout_redirect_uris")
	if err != nil {
		return err
	}
	for i, u := range uris {
		if _, problem := checkURL(u, urlRules{query: true}); problem != "" {
			return o.fieldError(indexed("post_logout_redirect_uris", i), problem)
		}
		if slices.Contains(uris[:i], u) {
			return o.fieldError(indexed("post_logout_redirect_uris", i), "is listed twice")
		}
		// returnURL adds the request's state: a second one would come back beside it.
		if pu, err := url.Parse(u); err == nil {
			if queryNames(pu.RawQuery, "state") {
				return o.fieldError(indexed("post_logout_redirect_uris", i),
					`already has "state" in its query; Exeunt adds the state the app sends when it signs out: remove it`)
			}
		}
	}
	c.PostLogoutRedirectURIs = uris
	return nil
}

// readFrontchannel reads frontchannel_logout_uri, which Front-Channel Logout 1.0
// (section 2) wants on the scheme, host and port of a URI registered for the client: here
// one of its post-logout redirect URIs, or one of its hosts.
func readFrontchannel(o *jsonObject, c *Client) error {
	s, err := optionalURL(o, "frontchannel_logout_uri", urlRules{query: true})
	if err != nil {
		return err
	}
	required, given, err := o.optionalBool("frontchannel_logout_session_required")
	if err != nil {
		return err
	}
	if s == "" {
		if given {
			return o.fieldError("frontchannel_logout_session_required", "has no effect without frontchannel_logout_uri; set that too, or remove this")
		}
		return nil
	}
	u, _ := url.Parse(s)
	if !c.ownsOrigin(u) {
		return o.fieldError("frontchannel_logout_uri", fmt.Sprintf(
			"%s is neither on one of the client's hosts nor the scheme, host and port of one of its post_logout_redirect_uris; front-channel logout must stay on the client's own origin",
			origin(u)))
	}
	c.FrontchannelLogoutURI = s
	c.FrontchannelLogoutSessionRequired = required || !given
	// Exeunt adds iss and sid (frontchannelURL): a URI that carries either already would
	// give the app two of them, and an app that reads the first would act on the wrong one.
	if c.FrontchannelLogoutSessionRequired {
		for _, name := range []string{"iss", "sid"} {
			if queryNames(u.RawQuery, name) {
				return o.fieldError("frontchannel_logout_uri", fmt.Sprintf(
					"already has %q in its query; Exeunt adds iss and sid itself (frontchannel_logout_session_required): remove it", name))
			}
		}
	}
	return nil
}

// ownsOrigin reports whether u is on one of the client's hosts (https, or http for a
// local host; any port when the host is configured without one) or shares the origin
// of one of its post-logout redirect URIs.
func (c *Client) ownsOrigin(u *url.URL) bool {
	o := origin(u)
	for _, r := range c.PostLogoutRedirectURIs {
		if o == "" {
			break // no request comes from there (checkURL refuses such a URL first)
		}
		if pu, err := url.Parse(r); err == nil && origin(pu) == o {
			return true
		}
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "http" && !isLocalHost(host) {
		return false
	}
	port := u.Port()
	if port == "" {
		port, _ = defaultPort(u.Scheme)
	}
	for _, h := range c.Hosts {
		hh, hp, _ := splitHost(h)
		if hh == host && (hp == "" || hp == port) {
			return true
		}
	}
	return false
}

func readBackchannel(o *jsonObject, c *Client) error {
	// Back-channel calls go through an Envoy cluster, which decides about TLS: plain
	// http to an app inside the mesh is normal.
	s, err := optionalURL(o, "backchannel_logout_uri", urlRules{query: true, plainHTTP: true})
	if err != nil {
		return err
	}
	required, given, err := o.optionalBool("backchannel_logout_session_required")
	if err != nil {
		return err
	}
	cluster, _, err := o.optionalString("backchannel_cluster")
	if err != nil {
		return err
	}
	switch {
	case s == "" && given:
		return o.fieldError("backchannel_logout_session_required", "has no effect without backchannel_logout_uri; set that too, or remove this")
	case s == "" && cluster != "":
		return o.fieldError("backchannel_cluster", "has no effect without backchannel_logout_uri; set that too, or remove this")
	case s == "":
		return nil
	case cluster == "":
		return o.fieldError("backchannel_cluster", "is required with backchannel_logout_uri: name the Envoy cluster through which logout tokens reach the client")
	}
	if problem := checkCluster(cluster); problem != "" {
		return o.fieldError("backchannel_cluster", problem)
	}
	c.BackchannelLogoutURI, c.BackchannelCluster = s, cluster
	c.BackchannelLogoutSessionRequired = required || !given
	return nil
}

func (cfg *Config) readDefaultProvider(o *jsonObject, c *Client) error {
	s, _, err := o.optionalString("default_provider")
	if err != nil || s == "" {
		return err
	}
	var schemes []string
	for _, p := range cfg.Providers {
		if p.Scheme == s {
			c.DefaultProvider = p
			return nil
		}
		schemes = append(schemes, fmt.Sprintf("%q", p.Scheme))
	}
	if len(schemes) == 0 {
		// No provider at all is the top level's mistake, reported by checkMode after the
		// unknown fields: a misspelled "providers" ("provider") must be named as such, not
		// blamed on a default_provider that would be right once it is spelled correctly.
		return nil
	}
	return o.fieldError("default_provider", fmt.Sprintf("names no provider; use the scheme of one: %s", strings.Join(schemes, ", ")))
}

// queryNames tells whether a raw query has a parameter called name, splitting at "&" and
// also at ";", which some applications' parsers still take as a separator (Go's
// url.ParseQuery skips such pairs instead).
func queryNames(rawQuery, name string) bool {
	for _, pair := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == name || key == name {
			return true
		}
	}
	return false
}
