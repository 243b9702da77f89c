package envoyconfig

import (
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// Route actions the router answers itself. Sources (envoyproxy/envoy, read from the code index
// as RATIONALE.md's "Which Envoy" says): source/common/router/config_impl.cc builds the redirect
// configuration out of the RedirectAction (port_redirect kept as ":" and the number, a query in
// path_redirect noted) and maps response_code with ConfigUtility::parseRedirectResponseCode
// (MOVED_PERMANENTLY, the proto's default, is 301); api/envoy/config/route/v3/
// route_components.proto defines the fields. The answer itself is in hostsim/serve/redirect.go.

// redirectStatus is parseRedirectResponseCode.
var redirectStatus = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

func (b *builder) redirect(p string, rd *routev3.RedirectAction) *Redirect {
	b.rest(p, rd, "https_redirect", "scheme_redirect", "host_redirect", "port_redirect", "path_redirect",
		"response_code", "strip_query")
	out := &Redirect{Scheme: rd.GetSchemeRedirect(), Host: rd.GetHostRedirect(), Path: rd.GetPathRedirect(),
		StripQuery: rd.GetStripQuery(), Status: redirectStatus[rd.GetResponseCode()]}
	if rd.GetHttpsRedirect() {
		out.Scheme = "https"
	}
	if port := rd.GetPortRedirect(); port != 0 {
		out.Port = ":" + strconv.FormatUint(uint64(port), 10)
	}
	if out.Status == 0 {
		b.unsupported.add(p+".response_code", "%s is not a redirect code hostsim knows", rd.GetResponseCode())
		out.Status = 301
	}
	return out
}

func (b *builder) directResponse(p string, dr *routev3.DirectResponseAction) *DirectResponse {
	b.rest(p, dr, "status", "body")
	out := &DirectResponse{Status: int(dr.GetStatus())}
	if body := dr.GetBody(); body != nil {
		b.rest(p+".body", body, "inline_string", "inline_bytes")
		switch {
		case body.GetInlineBytes() != nil:
			out.Body = body.GetInlineBytes()
		default:
			out.Body = []byte(body.GetInlineString())
		}
	}
	return out
}

// PathRedirectHasQuery reports whether path_redirect carries its own query, which then
// replaces the request's and is never stripped (Utility::newUri).
func (r *Redirect) PathRedirectHasQuery() bool { return strings.Contains(r.Path, "?") }
