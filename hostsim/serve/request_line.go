package serve

import (
	"net/http"
	"slices"

	"github.com/exeunt/exeunt/hostsim"
)

// envoyMethods are the request methods Envoy's HTTP/1 codec takes without
// http_protocol_options.allow_custom_methods, in its order (isMethodValid's kValidMethods in
// source/common/http/http1/balsa_parser.cc, envoyproxy/envoy ee2107ff; BalsaParser is the only
// HTTP/1 parser since Envoy 1.35 removed envoy.reloadable_features.http1_use_balsa_parser's
// legacy path). The match is exact: "get" and "M-SEARCH" are not in it.
var envoyMethods = []string{
	"ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET",
	"HEAD", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
	"MOVE", "MSEARCH", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND",
	"PROPPATCH", "PURGE", "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE",
	"SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
}

// requestMethod is the codec's method check (BalsaParser::OnRequestFirstLineInput, and
// BalsaParser::execute's check of the first byte, same file): a method outside envoyMethods is
// HPE_INVALID_METHOD, a codec error that ServerConnectionImpl::sendProtocolError answers 400
// before any filter runs, unless allow_custom_methods is set (then any RFC 9110 token, which is
// what Go's server already requires). Go's server takes any token, so without this check a
// lower-case "get", or "QUERY", reached the filter and the app where Envoy refuses it. nil
// when the method passes.
func (l *listener) requestMethod(r *http.Request) *hostsim.Response {
	if l.hcm.AllowCustomMethods {
		return nil
	}
	if _, found := slices.BinarySearch(envoyMethods, r.Method); found {
		return nil
	}
	return localReply(http.StatusBadRequest, "Bad Request")
}

// requestTarget is the codec's check of the request target's bytes (isUrlValid in the same
// file: a path and query take only TAB, form feed and '!' to '~', compared as signed chars, so
// no byte above 0x7E; so does an absolute-form target's path, and its host only ASCII):
// HPE_INVALID_URL, a 400 before any filter. Go's server already refuses controls, space and
// DEL in the request line (and TAB and form feed, which Envoy takes); it takes the bytes
// above 0x7F, which went on to the filter and the app (escaped by normalize_path when that is
// on, raw in :path when not).
func (l *listener) requestTarget(r *http.Request) *hostsim.Response {
	for i := 0; i < len(r.RequestURI); i++ {
		if r.RequestURI[i] > '~' {
			return localReply(http.StatusBadRequest, "Bad Request")
		}
	}
	return nil
}
