package core

import (
	"strconv"
	"strings"
)

// cookies are a request's Cookie headers (RFC 6265 §5.4: pairs separated by "; "),
// read where they lie: a lookup scans them for one name, without splitting them into
// pairs first. Every request to a client looks up the session cookie, and in a Go
// guest each allocation and each extra pass over a 1.5 KB cookie shows in the time a
// request takes (BENCHMARKS.md). Malformed pairs are skipped rather than failing the
// request: a browser's cookie jar holds cookies of other apps on the same host that
// are none of our business.
type cookies []Header

// parseCookies returns the cookies of a request's headers; nothing is copied.
func parseCookies(headers []Header) cookies { return cookies(headers) }

// cookieValue returns the value of the first cookie called name, unquoted.
func cookieValue(cs cookies, name string) (string, bool) {
	s := cookieScan{cs: cs, name: name}
	return s.next()
}

// cookieScan reads, one after the other, the values of every cookie called name: a
// browser sends several of one name when they differ in Domain or Path (longer paths
// first, RFC 6265 §5.4), and the first is not necessarily the one Exeunt set
// (sessionCandidates).
type cookieScan struct {
	cs   cookies
	name string
	h    int    // the Cookie header being read, an index in cs
	rest string // what is left of it to read
}

// next returns the value of the next cookie called name, unquoted.
func (s *cookieScan) next() (string, bool) {
	name := s.name
	if name == "" {
		return "", false
	}
	for {
		if s.rest == "" {
			for s.h < len(s.cs) && s.cs[s.h].Name != "cookie" {
				s.h++
			}
			if s.h >= len(s.cs) {
				return "", false
			}
			s.rest = s.cs[s.h].Value
			s.h++
			continue
		}
		part := s.rest
		if i := indexLong(part, ';'); i >= 0 { // the header holds the 1.5 KB session cookie
			part, s.rest = part[:i], part[i+1:]
		} else {
			s.rest = ""
		}
		part = trimSpace(part)
		if len(part) <= len(name) || part[len(name)] != '=' || part[:len(name)] != name {
			continue
		}
		return unquote(part[len(name)+1:]), true
	}
}

// trimSpace is strings.TrimSpace(s), without the call when neither end is a space or a
// byte of a multi-byte character (then TrimSpace would return s itself): the session
// cookie is read on every signed-in request, and a call costs in a Go guest
// (BENCHMARKS.md, "Issue 15: the signed-in path and the sign-out").
func trimSpace(s string) string {
	if len(s) > 0 && asciiVisible(s[0]) && asciiVisible(s[len(s)-1]) {
		return s
	}
	return strings.TrimSpace(s)
}

// asciiVisible reports whether b is printable ASCII other than the space: a byte
// strings.TrimSpace never trims.
func asciiVisible(b byte) bool { return b > ' ' && b < 0x7f }

// unquote is strings.Trim(v, `"`): every '"' at either end removed.
func unquote(v string) string {
	for len(v) > 0 && v[0] == '"' {
		v = v[1:]
	}
	for len(v) > 0 && v[len(v)-1] == '"' {
		v = v[:len(v)-1]
	}
	return v
}

// setCookie is a Set-Cookie header to send.
type setCookie struct {
	_            noCompare
	name, value  string
	path, domain string
	maxAge       int // seconds; 0 = a session cookie; < 0 deletes the cookie
	secure       bool
	httpOnly     bool
	sameSite     string // "Strict", "Lax", "None" or ""
}

func (c setCookie) header() Header {
	var b strings.Builder
	writeCold(&b, c.name)
	writeByteCold(&b, '=')
	writeCold(&b, c.value)
	if c.path != "" {
		writeCold(&b, "; Path=")
		writeCold(&b, c.path)
	}
	if c.domain != "" {
		writeCold(&b, "; Domain=")
		writeCold(&b, c.domain)
	}
	switch {
	case c.maxAge < 0:
		// Both, for old user agents that ignore Max-Age.
		writeCold(&b, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
	case c.maxAge > 0:
		writeCold(&b, "; Max-Age=")
		writeCold(&b, strconv.Itoa(c.maxAge))
	}
	if c.secure {
		writeCold(&b, "; Secure")
	}
	if c.httpOnly {
		writeCold(&b, "; HttpOnly")
	}
	if c.sameSite != "" {
		writeCold(&b, "; SameSite=")
		writeCold(&b, c.sameSite)
	}
	return Header{Name: "set-cookie", Value: b.String()}
}

// maxCookieChunk keeps each cookie of a chunked value, with its name and attributes,
// under the 4096 bytes browsers guarantee per cookie (RFC 6265 §6.1).
const maxCookieChunk = 3800

// chunkCookie splits a value too long for one cookie over name, name.1, name.2, ...;
// the first carries "N~" in front, N being the number of chunks. A value that fits is
// sent as is. Compact JWS/JWE values never contain "~", so there is no ambiguity.
func chunkCookie(base setCookie) []setCookie {
	if len(base.value) <= maxCookieChunk {
		return []setCookie{base}
	}
	var parts []string
	for v := base.value; len(v) > 0; {
		n := min(maxCookieChunk, len(v))
		parts = append(parts, v[:n])
		v = v[n:]
	}
	out := make([]setCookie, len(parts))
	for i, p := range parts {
		c := base
		c.value = p
		if i == 0 {
			c.value = strconv.Itoa(len(parts)) + "~" + p
		} else {
			c.name = base.name + "." + strconv.Itoa(i)
		}
		out[i] = c
	}
	return out
}

// maxChunks bounds what a request may claim, so a forged count cannot make us look up
// thousands of cookies.
const maxChunks = 8

// joinCookie reassembles a value written by chunkCookie. It returns the value and how
// many cookies carried it; ok is false when the cookie is absent or its chunks are
// incomplete (a truncated jar), which callers treat as "no session".
func joinCookie(cs cookies, name string) (value string, chunks int, ok bool) {
	first, found := cookieValue(cs, name)
	if !found {
		return "", 0, false
	}
	// Only a count of chunks comes before the marker ("2~" to "8~", or a forged longer
	// number), and sealed values never contain "~": the first bytes are enough to look at.
	i := strings.IndexByte(first[:min(len(first), 12)], '~')
	if i < 0 {
		return first, 1, true
	}
	count, rest := first[:i], first[i+1:]
	n, err := strconv.Atoi(count)
	if err != nil || n < 2 || n > maxChunks {
		return "", 1, false
	}
	var b strings.Builder
	b.WriteString(rest)
	for i := 1; i < n; i++ {
		part, ok := cookieValue(cs, name+"."+strconv.Itoa(i))
		if !ok {
			return "", n, false
		}
		b.WriteString(part)
	}
	return b.String(), n, true
}
