package serve

import (
	"net/http"
	"strings"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// The router's own answers for a route with a redirect or a direct_response, as Envoy's router
// filter gives them (Filter::decodeHeaders, source/common/router/router.cc: a route with a
// direct response entry is answered with sendLocalReply(responseCode, responseBody), a Location
// from newUri added for 201 and every 3xx, the route's response headers finalized; no upstream
// is contacted). The filters before the router run first, as for any route, unless the route
// disables them (typed_per_filter_config). Source files read from the envoyproxy/envoy code
// index (RATIONALE.md, "Which Envoy").

// answerDirect writes the router's local reply for a redirect or direct-response route.
func (t *routeTable) answerDirect(w http.ResponseWriter, r *http.Request, route *envoyconfig.Route, vh *envoyconfig.VirtualHost) {
	status, body := 0, []byte(nil)
	if rd := route.Redirect; rd != nil {
		status = rd.Status
		w.Header().Set("location", newURI(rd, r))
	} else {
		status, body = route.DirectResponse.Status, route.DirectResponse.Body
		if status == http.StatusCreated || status/100 == 3 {
			w.Header().Set("location", newURI(nil, r))
		}
	}
	if len(body) > 0 {
		// sendLocalReply's body is plain text.
		w.Header().Set("content-type", "text/plain")
	}
	for _, name := range t.responseHeadersToRemove(route, vh) {
		w.Header().Del(name)
	}
	w.WriteHeader(status)
	w.Write(body)
}

// newURI is Http::Utility::newUri (source/common/http/utility.cc): the scheme is the redirect's
// (https_redirect is "https"), else the request's :scheme; the host the redirect's, else the
// request's Host as processRequestHost leaves it; then the redirect's port; the path the
// redirect's, with the request's query appended unless path_redirect has its own, else the
// request's path and query; a path without a leading "/" gets one; strip_query drops the query
// unless path_redirect carries one.
func newURI(rd *envoyconfig.Redirect, r *http.Request) string {
	scheme := r.URL.Scheme
	if scheme == "" {
		scheme = "http"
	}
	var port, host, path string
	if rd != nil && rd.Scheme != "" {
		scheme = rd.Scheme
	}
	if rd != nil {
		port = rd.Port
	}
	if rd != nil && rd.Host != "" {
		host = rd.Host
	} else {
		host = processRequestHost(r, scheme, port)
	}
	current := r.RequestURI
	switch {
	case rd != nil && rd.Path != "" && rd.PathRedirectHasQuery():
		path = rd.Path
	case rd != nil && rd.Path != "":
		path = rd.Path
		if i := strings.IndexByte(current, '?'); i >= 0 {
			path += current[i:]
		}
	default:
		path = current
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if rd != nil && !rd.PathRedirectHasQuery() && rd.StripQuery {
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
	}
	return scheme + "://" + host + port + path
}

// processRequestHost is processRequestHost in source/common/http/utility.cc: the request's
// Host, its port removed when the redirect sets a port, or when the new scheme differs from
// x-forwarded-proto and the port is that protocol's default (":443" for https, ":80" for
// http).
func processRequestHost(r *http.Request, newScheme, newPort string) string {
	host := r.Host
	if host == "" {
		return host
	}
	var end int
	if host[0] == '[' {
		end = strings.LastIndex(host, "]:")
		if end >= 0 {
			end++
		}
	} else {
		end = strings.LastIndexByte(host, ':')
	}
	if end < 0 {
		return host
	}
	port := host[end:]
	proto := r.Header.Get("x-forwarded-proto")
	remove := newPort != ""
	if newScheme != proto {
		remove = remove || strings.EqualFold(proto, "https") && port == ":443"
		remove = remove || strings.EqualFold(proto, "http") && port == ":80"
	}
	if remove {
		return host[:end]
	}
	return host
}

// responseHeadersToRemove are the response headers the router removes for route r: the
// route's, its virtual host's and the route configuration's response_headers_to_remove
// (RouteEntryImplBase::finalizeResponseHeaders, source/common/router/config_impl.cc), before
// the filters see the response.
func (t *routeTable) responseHeadersToRemove(r *envoyconfig.Route, vh *envoyconfig.VirtualHost) []string {
	var out []string
	if r != nil {
		out = append(out, r.ResponseHeadersToRemove...)
	}
	if vh != nil {
		out = append(out, vh.ResponseHeadersToRemove...)
	}
	return append(out, t.rcResponseHeadersToRemove...)
}
