package core

import (
	"fmt"
	"net/url"
	"strings"
)

// Where the session cookie goes. Exeunt sets its cookies (the session, the sign-in flow
// cookies, the logoutId cookie) with cookie.domain and cookie.path, and needs them back
// on the issuer's host (its callbacks and end session endpoint) and on every client's
// hosts and path prefixes. A browser sends a cookie only to the hosts its Domain covers
// (the setting host alone for a host-only cookie) and the paths its Path covers, and it
// drops a Set-Cookie whose Domain does not cover the host that sets it (RFC 6265 §5.3,
// steps 6 and 7; §5.4). A configuration where they do not reach is not refused by any
// browser rule checked in config_cookie.go, yet no sign-in can complete: the flow
// cookie set on an app's host never reaches the issuer's callback ("Sign-in failed"),
// and a session cookie set on the issuer's host never reaches the app (a sign-in loop).
// The end session endpoint without the cookie would find no session and say "signed
// out" while the session lives on. So these are configuration errors, naming the field.

// checkCookieReach refuses a cookie.domain the issuer's host is not under, a client host
// the cookie does not reach, and a cookie.path that leaves out a path where Exeunt or a
// client needs the cookie.
func (cfg *Config) checkCookieReach() error {
	u, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil // readIssuer refused it already
	}
	issuerHost := strings.ToLower(u.Hostname())
	c := cfg.Cookie
	if c.Domain != "" && !cookieDomainCovers(c.Domain, issuerHost) {
		return &ConfigError{Field: "cookie.domain", Problem: fmt.Sprintf(
			"is %q, which does not cover the issuer's host %q: browsers drop a cookie whose domain does not cover the host that sets it, so no sign-in could complete; use a domain the issuer's host lies under, or leave it empty for a host-only cookie",
			c.Domain, issuerHost)}
	}
	for i, cl := range cfg.Clients {
		for j, h := range cl.Hosts {
			name, _, problem := splitHost(h)
			if problem != "" {
				continue // readClient refused it already
			}
			name = strings.ToLower(name)
			switch {
			case c.Domain == "" && name != issuerHost:
				return &ConfigError{Field: fmt.Sprintf("clients[%d].hosts[%d]", i, j), Problem: fmt.Sprintf(
					"%q is not the issuer's host %q, and the session cookie is host-only (no cookie.domain), so browsers never send it there and no sign-in could complete; serve the client on the issuer's host, or set cookie.domain to a domain both lie under (with a cookie.name that does not start with \"__Host-\", such as \"__Secure-exeunt\")",
					h, issuerHost)}
			case c.Domain != "" && !cookieDomainCovers(c.Domain, name):
				return &ConfigError{Field: fmt.Sprintf("clients[%d].hosts[%d]", i, j), Problem: fmt.Sprintf(
					"%q is not under cookie.domain %q, so browsers never send the session cookie there and no sign-in could complete; use a cookie.domain both it and the issuer's host lie under",
					h, c.Domain)}
			}
		}
	}
	if c.Path == "/" {
		return nil
	}
	need := []namedString{{"paths.end_session", &cfg.Paths.EndSession}}
	for i, p := range cfg.Providers {
		need = append(need,
			namedString{fmt.Sprintf("providers[%d].callback_path", i), &p.CallbackPath},
			namedString{fmt.Sprintf("providers[%d].signout_callback_path", i), &p.SignoutCallbackPath})
	}
	for i, cl := range cfg.Clients {
		for j := range cl.PathPrefixes {
			need = append(need, namedString{fmt.Sprintf("clients[%d].path_prefixes[%d]", i, j), &cl.PathPrefixes[j]})
		}
	}
	for _, n := range need {
		if !prefixMatches(c.Path, *n.value) {
			return &ConfigError{Field: "cookie.path", Problem: fmt.Sprintf(
				"is %q, which does not cover %s (%q): browsers send Exeunt's cookies only under their path, so no sign-in could complete; use \"/\" (the default) or a path that covers every client and Exeunt's paths",
				c.Path, n.name, *n.value)}
		}
	}
	return nil
}

// cookieDomainCovers is RFC 6265's domain-match (§5.1.3) of a host by a cookie's Domain
// (lower case, without a leading dot): the host is the domain, or a name under it. An IP
// address matches only itself, and a Domain is never one (checkCookieDomain).
func cookieDomainCovers(domain, host string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}
