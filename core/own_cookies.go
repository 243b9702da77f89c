package core

import (
	"strings"
	"time"
)

// Exeunt's own cookies are the session cookie and its chunks, the sign-in flow
// cookies, the logoutId cookie, browser_state and the unconfirmed sign-out marker; all are named after the session
// cookie (Cookie.Name). None is any app's business:
//   - on the way in, they are removed from requests forwarded to apps (unless
//     cookie.forward_to_apps keeps them), so that an app, its logs or anything it
//     calls never holds a sealed session it could replay or try to open;
//   - on the way out, a Set-Cookie from an app for one of these names is dropped and
//     logged: an app (or whoever controls one) must not plant or overwrite a session,
//     a flow or a logoutId in the browser.

// isOwnCookie reports whether a cookie name is one of Exeunt's.
func (e *Engine) isOwnCookie(name string) bool {
	base := e.cfg.Cookie.Name
	if len(name) < len(base) || name[:len(base)] != base {
		return false
	}
	switch rest := name[len(base):]; {
	case rest == "", rest == "-logout", rest == "-browser-state", rest == "-unconfirmed", strings.HasPrefix(rest, "-flow-"):
		return true
	case rest[0] == '.': // a chunk: name.1, name.2, ...
		for i := 1; i < len(rest); i++ {
			if rest[i] < '0' || rest[i] > '9' {
				return false
			}
		}
		return len(rest) > 1
	}
	return false
}

// forwardedCookies changes d, a decision that lets a request go on to an app, so that
// the app receives the cookies among its headers without Exeunt's own. Only requests that carry one of them are
// touched; when the kept cookies lie together in one Cookie header (the usual case:
// browsers list them by path, then age), the new header is a slice of the old one, so
// a signed-in request costs no copy.
func (e *Engine) forwardedCookies(headers []Header, d *Decision) {
	if e.cfg.Cookie.ForwardToApps || !d.Continues() {
		return
	}
	n, only := 0, ""
	for _, h := range headers {
		if h.Name == "cookie" {
			n, only = n+1, h.Value
		}
	}
	var kept string
	switch n {
	case 0:
		return
	case 1: // the usual case: one pass, and no copy
		var own bool
		if kept, own = e.keptSpan(only); !own {
			return
		}
	default: // several Cookie headers (HTTP/2 may split them): joined into one
		own := false
		var b strings.Builder
		for _, h := range headers {
			if h.Name != "cookie" {
				continue
			}
			k, o := e.keptSpan(h.Value)
			own = own || o
			if k != "" {
				if b.Len() > 0 {
					b.WriteString("; ")
				}
				b.WriteString(k)
			}
		}
		if !own {
			return
		}
		kept = b.String()
	}
	if kept != "" {
		d.SetHeaders = append(d.SetHeaders, Header{Name: "cookie", Value: kept})
	} else if d.RemoveHeaders == nil {
		d.RemoveHeaders = removeCookie // shared: its capacity makes any append copy
	} else {
		d.RemoveHeaders = append(d.RemoveHeaders, "cookie")
	}
}

// removeCookie is RemoveHeaders for a request whose only cookies were Exeunt's, without
// an allocation per request.
var removeCookie = []string{"cookie"}[:1:1]

// keptSpan is a Cookie header value without Exeunt's cookies, and whether it had any:
// a slice of v when the kept pairs are contiguous in it, else a new string.
func (e *Engine) keptSpan(v string) (kept string, own bool) {
	start, end, runs := -1, -1, 0
	inRun := false
	for pos := 0; pos < len(v); {
		next := indexLong(v[pos:], ';') // past the 1.5 KB session cookie
		stop := len(v)
		if next >= 0 {
			stop = pos + next
		}
		part := v[pos:stop]
		left := trimOWS(part)
		trimmed := left
		for len(trimmed) > 0 && (trimmed[len(trimmed)-1] == ' ' || trimmed[len(trimmed)-1] == '\t') {
			trimmed = trimmed[:len(trimmed)-1]
		}
		name, _, _ := strings.Cut(trimmed, "=")
		switch {
		case trimmed == "":
		case e.isOwnCookie(trimRightOWS(name)): // "name =v" is "name" to most readers
			inRun, own = false, true
		default:
			s := pos + len(part) - len(left)
			if !inRun {
				runs++
				start = s
				inRun = true
			}
			end = s + len(trimmed)
		}
		if next < 0 {
			break
		}
		pos = stop + 1
	}
	switch {
	case !own:
		return v, false
	case runs == 0:
		return "", true
	case runs == 1:
		return v[start:end], true
	}
	return e.keptJoined(v), true
}

// keptJoined is v's pairs other than Exeunt's cookies, joined with "; ".
func (e *Engine) keptJoined(v string) string {
	var b strings.Builder
	for v != "" {
		var part string
		part, v, _ = strings.Cut(v, ";")
		part = strings.TrimSpace(part)
		name, _, _ := strings.Cut(part, "=")
		if part == "" || e.isOwnCookie(strings.TrimSpace(name)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(part)
	}
	return b.String()
}

// FilterResponseCookies looks at the Set-Cookie values of an app's response to r and
// returns those to keep: every one except those that would set one of Exeunt's
// cookies, which are dropped and logged (the name, never the value). dropped says
// whether anything was dropped; when it is false the glue leaves the response as it is.
func (e *Engine) FilterResponseCookies(r Request, setCookies []string, now time.Time) (keep []string, dropped bool) {
	if !e.cfg.SignInEnabled() {
		return setCookies, false
	}
	e.now = now
	for i, sc := range setCookies {
		nv, _, _ := strings.Cut(sc, ";")
		name, value, _ := strings.Cut(nv, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			// A nameless cookie: browsers send it back as its value alone, so
			// "=__Host-exeunt=x" comes back as the cookie __Host-exeunt.
			name, _, _ = strings.Cut(value, "=")
			name = strings.TrimSpace(name)
		}
		if !e.isOwnCookie(name) {
			if dropped {
				keep = append(keep, sc)
			}
			continue
		}
		if !dropped {
			keep, dropped = append(keep, setCookies[:i]...), true
		}
		e.metrics.Add(counterOwnCookieDropped, 1)
		e.logf("exeunt: dropped a Set-Cookie for Exeunt's cookie %s from the upstream's answer to %s", logQuote(name), logQuote(r.Method+" "+r.Authority+stripQuery(r.Path)))
	}
	if !dropped {
		return setCookies, false
	}
	return keep, true
}

// trimRightOWS drops the optional white space after s.
func trimRightOWS(s string) string {
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// trimOWS drops the optional white space (RFC 6265 §4.2.1: spaces and tabs) in front of
// s, without the cutset strings.TrimLeft would build on every call.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}
