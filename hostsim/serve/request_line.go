package serve

import (
	"net/http"
	"slices"
	"strings"

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

// requestTarget is the codec's check of the request target (isUrlValid in the same file,
// envoyproxy/envoy ee2107ff), HPE_INVALID_URL, a 400 before any filter. A target that begins
// with '/' or '*' is a path; otherwise (not CONNECT) a scheme (a letter, then letters, digits,
// '+', '-', '.') and "://"; then a host up to the first '/' or '?', then the path and query.
// A path and query take only TAB, form feed and '!' to '~' (compared as signed chars, so no
// byte above 0x7E). The host takes only isUrlValid's valid_host_char:
//
//	std::isalnum(c) || c == '!' || c == '$' || c == '%' || c == '&' || c == '\'' ||
//	c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == '-' || c == '.' ||
//	c == ':' || c == ';' || c == '=' || c == '@' || c == '[' || c == ']' || c == '_' ||
//	c == '~'
//
// and never "@@" (http-parser's quirk, kept). Go's server already refuses controls, space and
// DEL in the request line (and TAB and form feed, which Envoy takes); it takes the bytes above
// 0x7F anywhere, and '<', '"', '{', '|', "@@" and the like in an absolute-form target's host,
// which went on to the filter and the app.
func (l *listener) requestTarget(r *http.Request) *hostsim.Response {
	if !envoyURLValid(r.RequestURI, r.Method == http.MethodConnect) {
		return localReply(http.StatusBadRequest, "Bad Request")
	}
	return nil
}

// envoyURLValid is isUrlValid's rule (see requestTarget), byte for byte.
func envoyURLValid(url string, isConnect bool) bool {
	if url == "" {
		return false
	}
	if url[0] == '/' || url[0] == '*' {
		return allBytes(url[1:], pathQueryByte)
	}
	if !isConnect {
		if !isAlpha(url[0]) {
			return false
		}
		i := 1
		for i < len(url) && (isAlpha(url[i]) || isDigit(url[i]) || strings.IndexByte("+-.", url[i]) >= 0) {
			i++
		}
		rest, ok := strings.CutPrefix(url[i:], "://")
		if !ok {
			return false
		}
		url = rest
	}
	end := strings.IndexAny(url, "/?")
	if end < 0 {
		end = len(url)
	}
	host, pathQuery := url[:end], url[end:]
	return allBytes(host, hostByte) && !strings.Contains(host, "@@") && allBytes(pathQuery, pathQueryByte)
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// pathQueryByte is isUrlValid's is_valid_path_query_char.
func pathQueryByte(c byte) bool { return c == '\t' || c == '\f' || '!' <= c && c <= '~' }

// hostByte is isUrlValid's valid_host_char (quoted in requestTarget's comment).
func hostByte(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!$%&'()*+,-.:;=@[]_~", c) >= 0
}

// isAlpha and isDigit are C's isalpha and isdigit in the "C" locale: ASCII only.
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
