package core

// A request that arrives without the session cookie means "not signed in" only if the
// browser would have sent the cookie had there been one. SameSite cookies (Lax by
// default, RFC 6265bis §5.2) are left out of cross-site requests except top-level GET
// navigations (Lax), or of every cross-site request (Strict). An app on another site
// that POSTs a logout form to the end session endpoint therefore arrives without the
// cookie while the session lives on: saying "You are signed out" then would be a lie.
//
// cookieMayBeWithheld tells these cases apart from the request's own metadata:
//   - Sec-Fetch-Site (Fetch Metadata, sent by Chromium, Firefox and Safari): "same-origin",
//     "same-site" and "none" (typed, bookmarked) carry every SameSite cookie; "cross-site"
//     carries a Lax cookie only on a top-level navigation by GET or HEAD (Sec-Fetch-Mode
//     "navigate", Sec-Fetch-Dest "document"), a Strict cookie never, a None cookie always.
//   - Without it (an older browser, or no browser), a POST whose Origin is another origin
//     (or "null") may have lost its cookie; a GET or HEAD, or a request without Origin
//     (not a browser's form), is taken at its word.
func (e *Engine) cookieMayBeWithheld(r Request) bool {
	switch r.Header("sec-fetch-site") {
	case "same-origin", "same-site", "none":
		return false
	case "cross-site":
		switch e.cfg.Cookie.SameSite {
		case SameSiteNone:
			return false
		case SameSiteStrict:
			return true
		}
		topLevel := r.Header("sec-fetch-mode") == "navigate" && r.Header("sec-fetch-dest") == "document"
		return !(topLevel && (r.Method == "GET" || r.Method == "HEAD"))
	}
	if r.Method == "GET" || r.Method == "HEAD" {
		return false
	}
	o := r.Header("origin")
	return o != "" && o != e.cfg.IssuerOrigin
}
