package core

import "strings"

// A speculative load is a request a browser makes before the user asks for the page:
// Chrome's speculation rules and <link rel=prefetch> (Sec-Purpose: prefetch, and
// "prefetch;prerender" for a prerender: Fetch's Sec-Purpose, a structured field whose
// first item is the token), the older headers Purpose: prefetch (Chrome, Safari) and
// X-Moz: prefetch (Firefox), and X-Purpose: preview, which Safari sends when its Top Sites
// page loads a page for its thumbnail (the page only, not its resources; Chrome's Instant
// sent it too), and which a server sees as HTTP_X_PURPOSE. An app's "Sign out" may be a GET link with id_token_hint,
// which RP-Initiated Logout 1.0 allows; a browser that prefetches it on hover or because
// the app's speculation rules cover every link would end the session the user never
// asked to end. The end session endpoint answers such a load 503 and changes nothing:
// browsers discard a prefetch that is not a 2xx and load the page again when the user
// follows the link (endsession.go).

// isSpeculativeLoad reports whether r announces itself as a prefetch or prerender.
func isSpeculativeLoad(r *Request) bool {
	if v := r.Header("sec-purpose"); v != "" {
		first, _, _ := strings.Cut(v, ";")
		first, _, _ = strings.Cut(first, ",")
		return strings.TrimSpace(first) == "prefetch"
	}
	return strings.EqualFold(strings.TrimSpace(r.Header("purpose")), "prefetch") ||
		strings.EqualFold(strings.TrimSpace(r.Header("x-moz")), "prefetch") ||
		strings.EqualFold(strings.TrimSpace(r.Header("x-purpose")), "preview")
}

// speculativeLoadRefused answers a speculative load of an endpoint that acts on GET.
func (e *Engine) speculativeLoadRefused(v *requestView) Decision {
	return e.failPage(v.language(), pageFailure(503, "unavailable"))
}
