package core

import (
	"net/url"
	"testing"
)

// The one origin normaliser, and the spellings built on it: a request's origin
// (requestOrigin, for session_state), a URL's (origin: the issuer's, a landing page's,
// a return URL's), and the comparison that does not spell one (isOrigin, for every
// request's classification). All of them agree on every row.
func TestOriginOf(t *testing.T) {
	for _, c := range []struct {
		scheme, authority string
		want              string // "" for an authority no request comes from
	}{
		{"https", "exeunt.test", "https://exeunt.test"},
		{"", "exeunt.test", "https://exeunt.test"}, // a missing :scheme is https
		{"HTTPS", "Exeunt.TEST", "https://exeunt.test"},
		{"https", "exeunt.test:443", "https://exeunt.test"}, // the default port names the same origin
		{"http", "exeunt.test:80", "http://exeunt.test"},
		{"https", "exeunt.test:80", "https://exeunt.test:80"}, // another scheme's default is a port like any
		{"http", "exeunt.test:443", "http://exeunt.test:443"},
		{"https", "exeunt.test:8443", "https://exeunt.test:8443"},
		{"https", "127.0.0.1:8080", "https://127.0.0.1:8080"},
		{"https", "[::1]", "https://[::1]"},
		{"https", "[::1]:443", "https://[::1]"},
		{"http", "[::1]:8080", "http://[::1]:8080"},
		{"https", "a_b.test", "https://a_b.test"},
		{"https", "", ""},
		{"https", "exeunt.test:", ""},
		{"https", "exeunt.test:0443", ""}, // leading zeros: another spelling, owned by nobody
		{"https", "exeunt.test:65536", ""},
		{"https", "user@exeunt.test", ""},
		{"https", "::1", ""},
		{"https", "[::1", ""},
		{"https", "[fe80::1%25eth0]", ""},
		{"ftp", "exeunt.test", ""},
		{"https", "exeunt.test/x", ""},
		// Envoy lower-cases ASCII only (absl::AsciiStrToLower): the Kelvin sign and the
		// dotted capital I, which Unicode lower-cases to "k" and "i", are bytes no host
		// name has, not another spelling of "k.test" or "i.test".
		{"https", "\u212a.test", ""},
		{"https", "\u0130.test", ""},
		{"https", "[::\u212a]", ""},
	} {
		got, ok := originOf(c.scheme, c.authority)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("originOf(%q, %q) = %q, %v; want %q", c.scheme, c.authority, got, ok, c.want)
		}
		if r := requestOrigin(Request{Scheme: c.scheme, Authority: c.authority}); r != c.want {
			t.Errorf("requestOrigin of %q %q = %q; want %q", c.scheme, c.authority, r, c.want)
		}
		if c.want == "" {
			continue
		}
		if h, _ := readHost(c.scheme, c.authority); !h.isOrigin(c.want) || h.isOrigin(c.want+"0") || h.isOrigin(c.want+":1") {
			t.Errorf("isOrigin disagrees with originOf on %q %q", c.scheme, c.authority)
		}
		if c.scheme != "" {
			if u, err := url.Parse(c.scheme + "://" + c.authority + "/p?q"); err == nil {
				if got := origin(u); got != c.want {
					t.Errorf("origin(%s) = %q; want %q", u, got, c.want)
				}
			}
		}
	}
}

// A return URL on the issuer's origin is accepted however its default port is
// written: one origin, one rule (it was compared as written before the normalisers
// were one; RATIONALE.md).
func TestAllowedReturnOnTheIssuersOrigin(t *testing.T) {
	e := mustEngine(t, signinConfig(t))
	for raw, want := range map[string]bool{
		"https://exeunt.test/x":      true,
		"https://EXEUNT.test:443/x":  true,
		"https://exeunt.test:8443/x": false,
		"http://exeunt.test/x":       false,
		"https://evil.test/x":        false,
		"https://exeunt.test:0443/x": false,
	} {
		if got := e.allowedReturn(raw); got != want {
			t.Errorf("allowedReturn(%q) = %v, want %v", raw, got, want)
		}
	}
}
