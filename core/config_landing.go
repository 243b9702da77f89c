package core

import (
	"fmt"
	"net/url"
	"strings"
)

// landingPage is a client's front-channel logout URI or post-logout redirect URI: it
// stays reachable signed out (the session has just ended when it is loaded).
type landingPage struct {
	origin string // as Config.IssuerOrigin spells one
	client *Client
	rule   string
}

// eachLanding calls f with every client's logout landing pages (frontchannel_logout_uri,
// then post_logout_redirect_uris), each with its field, its URI as configured, and the
// host and path a request for it has. A landing no request can match as a clear path
// (see readPath) is left out: it is never public. Classify's table and the check of
// entry pages both come from here, so they cannot disagree about which page is public.
func (cfg *Config) eachLanding(f func(c *Client, rule, raw string, h requestHost, path string)) {
	add := func(c *Client, rule, raw string) {
		u, err := url.Parse(raw)
		if raw == "" || err != nil {
			return
		}
		h, ok := readHost(u.Scheme, u.Host)
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		if !ok || !readPath(path).clear {
			return // no request can ever match it as a clear path
		}
		f(c, rule, raw, h, path)
	}
	for i, c := range cfg.Clients {
		add(c, fmt.Sprintf("clients[%d].frontchannel_logout_uri", i), c.FrontchannelLogoutURI)
		for j, u := range c.PostLogoutRedirectURIs {
			add(c, fmt.Sprintf("clients[%d].post_logout_redirect_uris[%d]", i, j), u)
		}
	}
}

// checkLandingEntries refuses a logout landing page that is its own client's entry
// page: the path of one of the client's path prefixes, with or without the trailing
// "/" ("/app1/" or "/app1" for the prefix "/app1/"; "/" for a client that owns its whole
// host). A landing page passes without a session, whatever its query, so such a
// configuration would serve the app's front page to anyone, signed out and without
// identity headers, because of a field that only says where to go after signing out.
// Nothing else in the configuration can make that page public: a public prefix that
// matches it covers the whole path prefix, which checkPublicRules refuses.
//
// The check reads the landing as Classify reads a request for it: the client that
// owns its host and path (the longest prefix). A landing on another client's path is
// not public anyway, and one on a path nobody owns is nobody's entry page. Only the
// exact path is public (landings are matched by whole path, never as a prefix), so a
// landing deeper under the prefix, such as "/app1/signed-out", exposes that page
// alone.
func (cfg *Config) checkLandingEntries() error {
	routes := hostRoutes(cfg.Clients, func(c *Client) ([]string, string) { return c.PathPrefixes, "path_prefixes" })
	var err error
	cfg.eachLanding(func(c *Client, rule, raw string, h requestHost, path string) {
		r := h.lookup(routes, path)
		if err != nil || r == nil || r.client != c || !isEntryPath(r.prefix, path) {
			return
		}
		err = &ConfigError{Field: rule, Problem: fmt.Sprintf(
			"%q is the entry page of client %q (its path prefix %q, %s): a logout landing page passes without a session, so that page would be served to anyone signed out, with any query and without identity headers; point it at a page of its own that only says the user is signed out, such as %q",
			raw, c.ClientID, r.prefix, r.rule, h.origin()+strings.TrimSuffix(r.prefix, "/")+"/signed-out")}
	})
	return err
}

// isEntryPath reports whether path is the entry page of a path prefix: the prefix
// itself, or the prefix with its trailing "/" added or removed (routeMatches gives both
// to the prefix, and apps redirect one to the other).
func isEntryPath(prefix, path string) bool {
	return strings.TrimSuffix(path, "/") == strings.TrimSuffix(prefix, "/")
}
