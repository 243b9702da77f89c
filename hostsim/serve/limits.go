package serve

import (
	"net/http"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
)

// headerLimits is the HTTP/1 codec's check of a request's headers
// (ConnectionImpl::checkMaxHeadersSize and the header count check in
// source/common/http/http1/codec_impl.cc, Envoy v1.33.0): the sum of the
// header names' and values' lengths (the request line not included) past
// max_request_headers_kb, or more headers than max_headers_count, is a codec
// error that ServerConnectionImpl::sendProtocolError answers with a local 431
// "Request Header Fields Too Large" before any filter runs. nil when within.
func (l *listener) headerLimits(r *http.Request) *hostsim.Response {
	size, count := 0, 0
	if r.Host != "" {
		size, count = len("host")+len(r.Host), 1
	}
	for name, vs := range r.Header {
		for _, v := range vs {
			size += len(name) + len(v)
			count++
		}
	}
	if size > int(l.hcm.MaxRequestHeadersKB)*1024 || count > int(l.hcm.MaxRequestHeadersCount) {
		return localReply(http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large")
	}
	return l.underscores(r)
}

// underscores applies headers_with_underscores_action to header names with '_'
// (ConnectionImpl::checkHeaderNameForUnderscores in the same file): REJECT_REQUEST is a codec
// error answered 400 "Bad Request", DROP_HEADER removes the header, ALLOW (the default) keeps
// it. Rejecting them keeps a client from sending x_exeunt_sub to an app that reads
// underscores as dashes, past the filter that strips x-exeunt-sub.
func (l *listener) underscores(r *http.Request) *hostsim.Response {
	if l.hcm.HeadersWithUnderscores != "REJECT_REQUEST" && l.hcm.HeadersWithUnderscores != "DROP_HEADER" {
		return nil
	}
	for name := range r.Header {
		if !strings.Contains(name, "_") {
			continue
		}
		if l.hcm.HeadersWithUnderscores == "REJECT_REQUEST" {
			return localReply(http.StatusBadRequest, "Bad Request")
		}
		r.Header.Del(name)
	}
	return nil
}

// codecProtocol is the protocol Envoy's HTTP/1 codec gives the stream, which a filter reads
// as request.protocol (and the access log as %PROTOCOL%): ConnectionImpl::onHeadersCompleteImpl
// (source/common/http/http1/codec_impl.cc, envoyproxy/envoy ee2107ff) sets Protocol::Http10,
// "HTTP/1.0", whenever BalsaParser::isHttp11 does not find the request line ending in
// "HTTP/1.1". So an HTTP/1.2 request taken under accept_http_10 is "HTTP/1.0" to the filter,
// where Go's r.Proto says "HTTP/1.2". Other protocols (HTTP/2) are Go's r.Proto.
func codecProtocol(r *http.Request) string {
	if r.ProtoMajor == 1 && r.ProtoMinor != 1 {
		return "HTTP/1.0"
	}
	return r.Proto
}

// protocolVersion is ServerConnectionImpl::checkProtocolVersion (source/common/http/http1/
// codec_impl.cc; in older releases the same check sat in ActiveStream::decodeHeaders,
// source/common/http/conn_manager_impl.cc): an HTTP/1.0 request is a codec error answered 426
// "Upgrade Required" unless http_protocol_options.accept_http_10 is set; then one without a
// Host gets default_host_for_http_10 when that is set. A request still without a Host is
// answered 400 by the connection manager (MissingHost). Go's server already refuses an HTTP/1.1
// request without one, and reads no HTTP/0.9. "HTTP/1.0" is every version but 1.1 there
// (protocol() is Http11 only when BalsaParser::isHttp11 finds the request line ending in
// "HTTP/1.1"; checkProtocolVersion's comment names 1.3): Go's server takes HTTP/1.2 to 1.9 as
// 1.1-compatible, which Envoy answers 426.
func (l *listener) protocolVersion(r *http.Request) *hostsim.Response {
	if r.ProtoMajor == 1 && r.ProtoMinor == 1 {
		return nil
	}
	if !l.hcm.AcceptHTTP10 {
		return localReply(http.StatusUpgradeRequired, "Upgrade Required")
	}
	if r.Host == "" {
		r.Host = l.hcm.DefaultHostForHTTP10
	}
	if r.Host == "" {
		return &hostsim.Response{Status: http.StatusBadRequest}
	}
	return nil
}

// http10KeepAlive is HeaderUtility::shouldCloseConnection (source/common/http/header_utility.cc,
// called at the top of ActiveStream::decodeHeaders in source/common/http/conn_manager_impl.cc;
// read in stored copies of recent Envoy, the index naming no commit): for Protocol::Http10, which
// the codec gives every version but 1.1, the connection closes after the response unless the
// request's Connection header has the token "keep-alive". Go's server does so for HTTP/1.0, but
// keeps HTTP/1.2 to 1.9 alive as it would 1.1; false when the connection must close. The same
// function also closes any HTTP/1 connection whose request has the token "close" in
// Proxy-Connection ("supported here since it is supported by http-parser"), which Go's server
// does not read.
func http10KeepAlive(r *http.Request) bool {
	if r.ProtoMajor == 1 && hasToken(r.Header.Values("Proxy-Connection"), "close") {
		return false
	}
	if r.ProtoMajor != 1 || r.ProtoMinor == 1 {
		return true
	}
	return hasToken(r.Header.Values("Connection"), "keep-alive")
}

// hasToken reports whether one of values, a comma-separated list, has token (any case), as
// Envoy's StringUtil::caseFindToken.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
