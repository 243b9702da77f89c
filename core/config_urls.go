package core

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// localHostRule is how error messages state which hosts may use plain http.
const localHostRule = `http is allowed only for localhost, 127.0.0.1, [::1] and hosts ending in ".localhost" or ".test"`

// isLocalHost reports whether a host (lower case, without port or IPv6 brackets) is one
// that never leaves the machine or a test network, where plain http is acceptable:
// RFC 6761 reserves "localhost" and ".test" for exactly that.
func isLocalHost(host string) bool {
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".test")
}

// urlRules says what a URL field may be beyond an absolute http(s) URL without a
// fragment or user info.
type urlRules struct {
	query      bool // it may carry a query (kept verbatim)
	plainHTTP  bool // http is fine for any host (a server-to-server call through a cluster)
	noTrailing bool // it must not end with "/" (an issuer: "iss" is compared as a string)
}

// checkURL validates an absolute URL and returns it parsed, or the problem.
func checkURL(s string, r urlRules) (*url.URL, string) {
	if s == "" {
		return nil, "must not be empty"
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return nil, fmt.Sprintf("must contain only visible ASCII characters; percent-encode anything else (byte %#x at offset %d)", s[i], i)
		}
	}
	u, err := url.Parse(s)
	if ue, ok := err.(*url.Error); ok {
		return nil, "is not a valid URL: " + ue.Err.Error()
	}
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return nil, "must be an absolute URL such as https://app.example.test/path"
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Sprintf("must be an https URL, not %s:", u.Scheme)
	}
	if strings.Contains(s, "#") {
		return nil, `must not have a "#" fragment`
	}
	if !r.query && strings.Contains(s, "?") {
		return nil, `must not have a "?" query`
	}
	if u.User != nil {
		return nil, "must not carry a user name or password"
	}
	host := u.Hostname()
	if problem := checkHostname(strings.ToLower(host)); problem != "" {
		return nil, fmt.Sprintf("host %q %s", host, problem)
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if problem := checkPort(p); problem != "" {
			return nil, problem
		}
	}
	if u.Scheme == "http" && !r.plainHTTP && !isLocalHost(strings.ToLower(host)) {
		return nil, "must use https; " + localHostRule
	}
	if r.noTrailing && strings.HasSuffix(s, "/") {
		return nil, fmt.Sprintf(`must not end with "/" (write %s): it is compared with the "iss" claim as an exact string`, strings.TrimRight(s, "/"))
	}
	return u, ""
}

// origin is a URL's origin (originOf), "" for a URL no request could come from.
func origin(u *url.URL) string {
	o, _ := originOf(u.Scheme, u.Host)
	return o
}

// splitHost splits a configured "host" or "host:port" (IPv6 in brackets) into its host
// (brackets removed) and port ("" when there is none), or says what is wrong.
func splitHost(s string) (host, port, problem string) {
	hostPort := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", `has a "[" without its "]"`
		}
		host, rest := s[1:end], s[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", `must be a host or host:port (an IPv6 address in brackets, as "[::1]:8080")`
			}
			port = rest[1:]
			if problem := checkPort(port); problem != "" {
				return "", "", problem
			}
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", fmt.Sprintf("%q is not a valid IPv6 address", host)
		}
		return host, port, ""
	}
	if i := strings.LastIndexByte(hostPort, ':'); i >= 0 {
		hostPort, port = s[:i], s[i+1:]
		if strings.Contains(hostPort, ":") {
			return "", "", `must be a host or host:port; write an IPv6 address in brackets, as "[::1]"`
		}
		if problem := checkPort(port); problem != "" {
			return "", "", problem
		}
	}
	if problem := checkHostname(hostPort); problem != "" {
		return "", "", problem
	}
	return hostPort, port, ""
}

func checkPort(p string) string {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || p[0] == '0' || p[0] == '+' {
		return fmt.Sprintf("port %q must be a number from 1 to 65535", p)
	}
	return ""
}

// checkHostname accepts a lower-case DNS name (letters, digits, "-" and "_", which
// internal service names use), an IPv4 address, or an IPv6 address without brackets.
// It returns the problem, or "".
func checkHostname(h string) string {
	if h == "" {
		return "must not be empty"
	}
	if strings.Contains(h, ":") {
		if a, err := netip.ParseAddr(h); err != nil || !a.Is6() || a.Zone() != "" {
			return "is not a valid IPv6 address"
		}
		return ""
	}
	if strings.Trim(h, "0123456789.") == "" {
		if a, err := netip.ParseAddr(h); err != nil || !a.Is4() {
			return "is not a valid IPv4 address"
		}
		return ""
	}
	if len(h) > 253 {
		return "is longer than the 253 characters a DNS name may have"
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return `is not a valid host name: it has an empty label (a leading, trailing or doubled ".")`
		}
		if len(label) > 63 {
			return "is not a valid host name: a label is longer than 63 characters"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return `is not a valid host name: a label starts or ends with "-"`
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				if 'A' <= c && c <= 'Z' {
					return "is not a valid host name: write it in lower case"
				}
				return fmt.Sprintf("is not a valid host name: %q is not allowed (letters, digits, \"-\", \"_\" and \".\" are; write internationalized names in their xn-- form)", c)
			}
		}
	}
	return ""
}
