package envoyconfig

// The extensions whose configuration types resolve in a google.protobuf.Any ("@type"), named
// here for what hostsim reads. extensions_all.go links every other extension package of
// go-control-plane, so that a file naming any extension Envoy knows loads (hostsim serve then
// names what it does not simulate in its start-up warning); the cost is build and link time,
// not behaviour.
import (
	// The HTTP connection manager (network filter), and the HTTP filters it runs.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	// HTTP filters often found in front of the router. hostsim serves none of them, but with
	// their types known the refusal names the filter ("HTTP filter ... is not supported")
	// instead of calling its type unknown.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"

	// Other network and listener filters often found beside it.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	// Access loggers: stdout/stderr and file.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"

	// The access-log formatter that prints a path without its query (%REQ_WITHOUT_QUERY%).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/formatter/req_without_query/v3"

	// Upstream TLS and HTTP protocol options, which clusters of real identity providers use.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)
