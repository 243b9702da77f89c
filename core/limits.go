package core

import "net/url"

// Length limits on the request parameters Exeunt stores (in a logout context, a
// sign-in flow cookie, the store) or echoes (in a page, a redirect). Without them one
// request could make a context, a cookie or a stored entry as large as Envoy lets a
// request be (60 KiB of headers, 64 KiB of form body here). A value over its limit is a
// 400 that names the parameter, before anything is stored or changed.
//
// The limits are generous for honest use: a client_id is a configured name, a
// post_logout_redirect_uri must equal a registered URI, a state is an opaque value an
// app makes (usually 16 to 64 characters), ui_locales is a few language tags, a
// logout_hint an e-mail address or a subject (at most 254 characters for an address,
// RFC 5321 §4.5.3.1). A `return` URL is the page a user asked for before signing in; it
// rides in the sign-in flow cookie, whose size browsers cap at 4 KiB (RFC 6265 §6.1).
var paramLimits = map[string]int{
	"client_id":                256,
	"post_logout_redirect_uri": 2048,
	"state":                    1024,
	"ui_locales":               256,
	"logout_hint":              512,
	"return":                   2048,
	"provider":                 64, // a provider's scheme
}

// maxReturnURL is the limit on a `return` URL, also applied to the URL of a request
// that starts a sign-in (see returnURLFor).
var maxReturnURL = paramLimits["return"]

// overLimit returns the first of the named parameters with a value longer than its
// limit (every value counts, not only the first), and that limit; "" when all fit.
func overLimit(params url.Values, names ...string) (string, int) {
	for _, name := range names {
		limit := paramLimits[name]
		for _, v := range params[name] {
			if len(v) > limit {
				return name, limit
			}
		}
	}
	return "", 0
}

// endSessionLimited are the end session endpoint's parameters that are stored in the
// logout context or echoed back to the app.
var endSessionLimited = []string{"client_id", "post_logout_redirect_uri", "state", "ui_locales", "logout_hint"}

// tooLongPage is the 400 page naming a parameter over its limit.
func (e *Engine) tooLongPage(lang, name string, limit int) *Response {
	e.metrics.Add(counterParamTooLong, 1)
	return e.page(lang, pageFailure(400, "param_too_long", name, limit))
}
