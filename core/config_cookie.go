package core

import (
	"fmt"
	"net/netip"
	"strings"
)

// Cookie is how the session cookie is set. Treat it as read-only.
type Cookie struct {
	_ noCompare
	// Name is the session cookie's name ("__Host-exeunt" by default).
	Name string
	// Domain is the cookie's Domain attribute, without a leading dot; "" for a host-only
	// cookie (the default, and the only choice with a "__Host-" name).
	Domain string
	// Path is the cookie's Path attribute ("/" by default).
	Path string
	// SameSite is the cookie's SameSite attribute.
	SameSite SameSite
	// Secure sets the Secure attribute (true by default).
	Secure bool
	// ForwardToApps keeps Exeunt's own cookies (the session and its chunks, sign-in
	// flow cookies, the logoutId cookie, browser_state) in requests forwarded to apps.
	// Off by default: they are removed (own_cookies.go).
	ForwardToApps bool
}

// SameSite is a cookie's SameSite attribute, spelled as in Set-Cookie.
type SameSite string

const (
	SameSiteStrict SameSite = "Strict"
	SameSiteLax    SameSite = "Lax" // the default: sent on top-level navigations, such as a provider's redirect back
	SameSiteNone   SameSite = "None"
)

// DefaultCookieName is the session cookie's name when none is configured. The
// "__Host-" prefix makes browsers refuse it unless it is Secure, host-only and on "/".
const DefaultCookieName = "__Host-exeunt"

func defaultCookie() Cookie {
	return Cookie{Name: DefaultCookieName, Path: "/", SameSite: SameSiteLax, Secure: true}
}

func (cfg *Config) readCookie(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("cookie")
	if err != nil || !ok {
		return err
	}
	c := &cfg.Cookie
	if s, ok, err := o.optionalString("name"); err != nil {
		return err
	} else if ok {
		if problem := checkCookieName(s); problem != "" {
			return o.fieldError("name", problem)
		}
		c.Name = s
	}
	if s, _, err := o.optionalString("domain"); err != nil {
		return err
	} else if s != "" { // "" is a host-only cookie, as when absent
		// RFC 6265 section 5.2.3 ignores a leading dot, so it is accepted and dropped.
		c.Domain = strings.ToLower(strings.TrimPrefix(s, "."))
		if problem := checkCookieDomain(c.Domain); problem != "" {
			return o.fieldError("domain", problem)
		}
	}
	if s, ok, err := o.optionalString("path"); err != nil {
		return err
	} else if ok {
		problem := checkPath(s, "/")
		if problem == "" && strings.Contains(s, ";") {
			problem = `must not contain ";", which ends a Set-Cookie attribute`
		}
		if problem != "" {
			return o.fieldError("path", problem)
		}
		c.Path = s
	}
	if s, ok, err := o.optionalString("same_site"); err != nil {
		return err
	} else if ok {
		switch {
		case strings.EqualFold(s, "strict"):
			c.SameSite = SameSiteStrict
		case strings.EqualFold(s, "lax"):
			c.SameSite = SameSiteLax
		case strings.EqualFold(s, "none"):
			c.SameSite = SameSiteNone
		default:
			return o.fieldError("same_site", `must be "Strict", "Lax" (the default) or "None"`)
		}
	}
	if secure, ok, err := o.optionalBool("secure"); err != nil {
		return err
	} else if ok {
		c.Secure = secure
	}
	if forward, ok, err := o.optionalBool("forward_to_apps"); err != nil {
		return err
	} else if ok {
		c.ForwardToApps = forward
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	return c.check(o)
}

// check applies the rules browsers enforce between the attributes: a cookie that
// breaks them is silently dropped, which would look like a sign-in loop.
func (c *Cookie) check(o *jsonObject) error {
	lower := strings.ToLower(c.Name)
	switch {
	case c.SameSite == SameSiteNone && !c.Secure:
		return o.fieldError("secure", `must be true with same_site "None": browsers drop SameSite=None cookies that are not Secure`)
	case strings.HasPrefix(lower, "__host-") && !c.Secure:
		return o.fieldError("secure", fmt.Sprintf(`must be true with a "__Host-" name (%q): browsers drop such cookies unless they are Secure; rename the cookie to turn it off`, c.Name))
	case strings.HasPrefix(lower, "__host-") && c.Path != "/":
		return o.fieldError("path", fmt.Sprintf(`must be "/" with a "__Host-" name (%q): browsers drop such cookies on any other path`, c.Name))
	case strings.HasPrefix(lower, "__host-") && c.Domain != "":
		return o.fieldError("domain", fmt.Sprintf(`must be empty with a "__Host-" name (%q): such cookies are host-only; use a "__Secure-" name to share the cookie with subdomains`, c.Name))
	case strings.HasPrefix(lower, "__secure-") && !c.Secure:
		return o.fieldError("secure", fmt.Sprintf(`must be true with a "__Secure-" name (%q): browsers drop such cookies unless they are Secure`, c.Name))
	}
	return nil
}

// checkCookieName follows RFC 6265 section 4.1.1: a cookie name is an HTTP token.
func checkCookieName(s string) string {
	if s == "" {
		return fmt.Sprintf("must not be empty (remove the field for the default, %q)", DefaultCookieName)
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return fmt.Sprintf("must be a cookie name: letters, digits and !#$%%&'*+-.^_`|~ only (%q at offset %d is not allowed)", s[i], i)
		}
	}
	if len(s) > maxCookieNameLength {
		return fmt.Sprintf("must be at most %d characters (it has %d): each of Exeunt's cookies carries up to %d bytes of value, and browsers keep no cookie whose name and value pass 4096 bytes",
			maxCookieNameLength, len(s), maxCookieChunk)
	}
	return ""
}

// maxCookieNameLength bounds cookie.name: the longest of Exeunt's cookie names adds 14
// characters to it ("-browser-state", "-flow-" and 8), its values reach maxCookieChunk
// and 2 ("8~"), and browsers drop a cookie whose name and value pass 4096 bytes (RFC
// 6265 §6.1; Chromium counts those two), which would look like a sign-in loop.
const maxCookieNameLength = 64

func checkCookieDomain(s string) string {
	if strings.ContainsAny(s, ":/") {
		return "must be a domain name only, without scheme, port or path, such as example.test"
	}
	if problem := checkHostname(s); problem != "" {
		return problem
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "must be a DNS name, not an IP address; leave it empty for a host-only cookie"
	}
	if !strings.Contains(s, ".") {
		return "must be a domain with at least one dot, such as example.test; leave it empty for a host-only cookie"
	}
	return ""
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 section 5.6.2).
func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
