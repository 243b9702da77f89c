package core

import (
	"fmt"
	"slices"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Unowned is what happens to a request that no rule covers: not one of Exeunt's own
// endpoints, not public, owned by no client (Classify's ClassUnowned). The zero value
// refuses.
type Unowned uint8

const (
	// UnownedRefuse answers 404 with Exeunt's error page (JSON for API calls); the
	// request never reaches an upstream. The default.
	UnownedRefuse Unowned = iota
	// UnownedSignIn treats the request as needing a session, as a client's would, but
	// for no client: it continues with the identity headers and without a signed
	// assertion (there is no client to be its audience), and it is recorded for no
	// client, so no app is told when the session ends.
	UnownedSignIn
)

// unownedNames are the values of unowned_requests, in Unowned order.
var unownedNames = []string{"refuse", "sign_in"}

func (u Unowned) String() string { return unownedNames[u] }

func (cfg *Config) readUnownedRequests(obj *jsonObject) error {
	obj.note("unowned_requests", func(f *ConfigField) { f.Enum, f.Default = slices.Clone(unownedNames), unownedNames[UnownedRefuse] })
	s, ok, err := obj.optionalString("unowned_requests")
	if err != nil || !ok {
		return err
	}
	i := slices.Index(unownedNames, s)
	if i < 0 {
		return obj.fieldError("unowned_requests", fmt.Sprintf(
			`must be "refuse" (the default: answer 404, never reach an app) or "sign_in" (require a session, pass identity headers without an assertion); not %q`, s))
	}
	cfg.UnownedRequests = Unowned(i)
	return nil
}

func (cfg *Config) readPublicPathPrefixes(obj *jsonObject) (err error) {
	cfg.PublicPathPrefixes, err = readPublicPrefixes(obj)
	return err
}

// readPublicPrefixes reads an object's public_path_prefixes: paths in the form Envoy
// normalises to, since only such paths can match, never "/" (that would make the whole
// host public: take the routes out of the filter, or leave sign-in off, instead), none
// twice.
func readPublicPrefixes(o *jsonObject) ([]string, error) {
	prefixes, _, err := o.optionalStrings("public_path_prefixes")
	if err != nil {
		return nil, err
	}
	for i, p := range prefixes {
		field := indexed("public_path_prefixes", i)
		if problem := checkPath(p, "/public/"); problem != "" {
			return nil, o.fieldError(field, problem)
		}
		if p == "/" {
			return nil, o.fieldError(field, `must not be "/", which would make every path public; list narrower prefixes, or exempt whole routes from the filter in envoy.yaml (typed_per_filter_config with disabled: true)`)
		}
		if !readPath(p).clear {
			return nil, o.fieldError(field, `must be a path as Envoy normalises it: no "." or ".." segments, repeated "/", "\", ";", lower-case or unneeded percent-encodings (such as %2F or %61); a request path written that way is never public`)
		}
		if slices.Contains(prefixes[:i], p) {
			return nil, o.fieldError(field, fmt.Sprintf("%q is listed twice", p))
		}
	}
	return prefixes, nil
}

// checkPublicRules refuses a public prefix that would make another client's pages, or
// a whole protected prefix, public: nothing becomes public by accident. A client's
// public prefix must lie on paths that client owns or that no client owns; a global
// one must not cover a client's path prefix.
func (cfg *Config) checkPublicRules() error {
	owners := hostRoutes(cfg.Clients, func(c *Client) ([]string, string) { return c.PathPrefixes, "path_prefixes" }).byHost
	for i, p := range cfg.PublicPathPrefixes {
		for ci, c := range cfg.Clients {
			for j, prefix := range c.PathPrefixes {
				if routeMatches(p, prefix) {
					return &ConfigError{Field: indexed("public_path_prefixes", i), Problem: fmt.Sprintf(
						"%q covers %q, client %q's path prefix (clients[%d].path_prefixes[%d]): all of it would be public; list narrower prefixes, or declare them in that client's public_path_prefixes",
						p, prefix, c.ClientID, ci, j)}
				}
			}
		}
	}
	for ci, c := range cfg.Clients {
		for j, p := range c.PublicPathPrefixes {
			field := fmt.Sprintf("clients[%d].public_path_prefixes[%d]", ci, j)
			for _, h := range c.Hosts {
				for _, key := range sameHostKeys(h, owners) {
					if o := matchRoute(owners[key], p); o != nil && o.client != c {
						return &ConfigError{Field: field, Problem: fmt.Sprintf(
							"%q lies under client %q's path prefix %q (%s) on host %q: declare public paths in the client that owns them",
							p, o.client.ClientID, o.prefix, o.rule, key)}
					}
					for _, r := range owners[key] {
						if routeMatches(p, r.prefix) {
							return &ConfigError{Field: field, Problem: fmt.Sprintf(
								"%q covers client %q's path prefix %q (%s) on host %q: all of it would be public; list narrower prefixes",
								p, r.client.ClientID, r.prefix, r.rule, key)}
						}
					}
				}
			}
		}
	}
	return nil
}

// sameHostKeys lists the keys of a host table that can match the same requests as the
// configured host h: h itself, and the same host with no port or with any port when one
// of the two has none.
func sameHostKeys(h string, table map[string][]route) []string {
	name, port, _ := splitHost(h)
	var keys []string
	for k := range table {
		kn, kp, _ := splitHost(k)
		if kn == name && (kp == port || kp == "" || port == "") {
			keys = append(keys, k)
		}
	}
	jsonx.SortNames(keys) // the first conflict reported is always the same one
	return keys
}

// precomputeAccess builds the tables Classify reads.
func (cfg *Config) precomputeAccess() {
	cfg.routesByHost = hostRoutes(cfg.Clients, func(c *Client) ([]string, string) { return c.PathPrefixes, "path_prefixes" })
	cfg.publicByHost = hostRoutes(cfg.Clients, func(c *Client) ([]string, string) { return c.PublicPathPrefixes, "public_path_prefixes" })
	cfg.landings = map[string][]landingPage{}
	cfg.landingLengths = lengthSet{}
	cfg.eachLanding(func(c *Client, rule, raw string, h requestHost, path string) {
		cfg.landings[path] = append(cfg.landings[path], landingPage{h.origin(), c, rule})
		cfg.landingLengths.add(path)
	})
}
