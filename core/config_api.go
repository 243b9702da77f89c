package core

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// API says which requests to a client are API calls: an unauthenticated API call is
// answered 401, where a browser would be redirected to sign in. Treat it as read-only.
type API struct {
	// PathPrefixes are paths whose requests are always API calls (none by default);
	// they match whole segments, as Client.PathPrefixes do.
	PathPrefixes []string
	// AcceptJSON makes a request an API call when its Accept header prefers
	// application/json over text/html (true by default).
	AcceptJSON bool
}

// IsAPIRequest reports whether a request, by its :path (query ignored) and Accept
// header, is an API call rather than a browser navigation.
func (c *Config) IsAPIRequest(path, accept string) bool {
	path = stripQuery(path)
	for _, p := range c.API.PathPrefixes {
		if routeMatches(p, path) {
			return true
		}
	}
	return c.API.AcceptJSON && prefersJSON(accept)
}

func (cfg *Config) readAPI(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("api")
	if err != nil || !ok {
		return err
	}
	prefixes, _, err := o.optionalStrings("path_prefixes")
	if err != nil {
		return err
	}
	for i, p := range prefixes {
		if problem := checkPath(p, "/api/"); problem != "" {
			return o.fieldError(indexed("path_prefixes", i), problem)
		}
		if slices.Contains(prefixes[:i], p) {
			return o.fieldError(indexed("path_prefixes", i), fmt.Sprintf("%q is listed twice", p))
		}
	}
	cfg.API.PathPrefixes = prefixes
	if b, ok, err := o.optionalBool("accept_json"); err != nil {
		return err
	} else if ok {
		cfg.API.AcceptJSON = b
	}
	return o.rejectUnknown()
}

// prefersJSON reports whether an Accept header (RFC 9110 section 12.5.1) ranks JSON
// above HTML. Each side gets the quality of the most specific range that matches it
// (application/json or any application/*+json, then application/*, then */*); on equal
// quality the side named more specifically wins, so that "application/json, */*" (what
// API clients send) is JSON and a browser's "text/html, ..., */*;q=0.8" is HTML, while a
// bare "*/*" is neither and stays a browser request.
func prefersJSON(accept string) bool {
	var jsonQ, htmlQ acceptMatch
	for len(accept) > 0 {
		var item string
		item, accept, _ = strings.Cut(accept, ",")
		mediaRange, params, _ := strings.Cut(item, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mediaRange)), "/")
		if !ok {
			continue
		}
		q, ok := quality(params)
		if !ok {
			continue
		}
		switch {
		case typ == "application" && (sub == "json" || strings.HasSuffix(sub, "+json")):
			jsonQ.offer(3, q)
		case typ == "application" && sub == "*":
			jsonQ.offer(2, q)
		case typ == "text" && sub == "html":
			htmlQ.offer(3, q)
		case typ == "text" && sub == "*":
			htmlQ.offer(2, q)
		case typ == "*" && sub == "*":
			jsonQ.offer(1, q)
			htmlQ.offer(1, q)
		}
	}
	if jsonQ.q != htmlQ.q {
		return jsonQ.q > htmlQ.q
	}
	return jsonQ.q > 0 && jsonQ.specificity > htmlQ.specificity
}

// acceptMatch is the most specific media range seen for one kind of content.
type acceptMatch struct {
	specificity int // 0: none, 1: */*, 2: type/*, 3: exact
	q           int // quality in thousandths
}

func (m *acceptMatch) offer(specificity, q int) {
	switch {
	case specificity > m.specificity:
		m.specificity, m.q = specificity, q
	case specificity == m.specificity:
		m.q = max(m.q, q)
	}
}

// quality reads the "q" parameter of a media range in thousandths (1000 when absent);
// ok is false when it is malformed, and the range is then ignored.
func quality(params string) (int, bool) {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		return parseQValue(strings.TrimSpace(value))
	}
	return 1000, true
}

// parseQValue reads an RFC 9110 qvalue ("0", "0.5", "1.000") in thousandths.
func parseQValue(v string) (int, bool) {
	whole, frac, _ := strings.Cut(v, ".")
	if (whole != "0" && whole != "1") || len(frac) > 3 {
		return 0, false
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, false
		}
	}
	n := 0
	if frac != "" {
		n, _ = strconv.Atoi((frac + "00")[:3])
	}
	if whole == "1" {
		if n != 0 {
			return 0, false
		}
		return 1000, true
	}
	return n, true
}
