package serve

import (
	"net/http"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
)

// The :scheme a filter sees, as Envoy sets it for an HTTP/1 request (Envoy's source as the code
// index holds it: envoyproxy/envoy's codec_impl.cc and conn_manager_utility.cc of a recent main;
// the same code under the runtime guard add_and_validate_scheme_header in 2021's releases, the
// guard since removed):
//
//   - The codec sets it only for an absolute-form request target (GET https://host/path), to the
//     target's scheme in lower case (ServerConnectionImpl::handlePath, source/common/http/http1/
//     codec_impl.cc, with envoy.reloadable_features.allow_absolute_url_with_mixed_scheme); a scheme
//     other than http or https is a codec error answered 400, and so is https on a plaintext
//     connection (403) when the codec validates schemes, which the connection manager asks for on
//     an edge Envoy: use_remote_address with xff_num_trusted_hops 0 (Http1::parseHttp1Settings's
//     validate_scheme, source/extensions/filters/network/http_connection_manager/config.cc).
//   - Otherwise the connection manager sets it after fixing x-forwarded-proto
//     (ConnectionManagerUtility::mutateRequestHeaders, source/common/http/conn_manager_utility.cc):
//     x-forwarded-proto's value when it is http or https in any case (getScheme,
//     HeaderUtility::schemeIsValid), else https on TLS and http without. On an Envoy that is not
//     the edge (use_remote_address false, or trusted hops), x-forwarded-proto is what the client
//     or the proxy before Envoy sent, so a plaintext listener behind a TLS-terminating balancer
//     gives the filter https; on an edge Envoy it was overwritten with the connection's.

// codecScheme is the scheme the HTTP/1 codec sets ("" for an origin-form target), and its
// refusal of the request when it has one.
func (l *listener) codecScheme(r *http.Request) (string, *hostsim.Response) {
	if r.Method == http.MethodConnect || strings.HasPrefix(r.RequestURI, "/") || !r.URL.IsAbs() {
		return "", nil
	}
	scheme := strings.ToLower(r.URL.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", localReply(http.StatusBadRequest, "Bad Request")
	}
	validate := l.hcm.UseRemoteAddress && l.hcm.XFFNumTrustedHops == 0
	if validate && scheme == "https" && !l.tls {
		return "", localReply(http.StatusForbidden, "Forbidden")
	}
	return scheme, nil
}

// forwardedScheme is the connection manager's :scheme for a request the codec gave none:
// x-forwarded-proto (as mutateRequestHeaders left it) when it names http or https, else the
// connection's.
func forwardedScheme(h []hostsim.Pair, tls bool) string {
	if p := pairValue(h, "x-forwarded-proto"); strings.EqualFold(p, "http") || strings.EqualFold(p, "https") {
		return p
	}
	if tls {
		return "https"
	}
	return "http"
}
