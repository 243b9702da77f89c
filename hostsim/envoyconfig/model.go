package envoyconfig

import "time"

// Config is what hostsim needs from an Envoy bootstrap: the listeners with their HTTP filter
// chains and routes, and the clusters the routes (and the filters' HTTP callouts) reach. Slices
// keep the order of the file.
type Config struct {
	Listeners []Listener
	Clusters  []Cluster
	// Admin is the admin interface, or nil when the file has none.
	Admin *Admin

	// unsupported lists the parts of the file that Envoy accepts and hostsim does not
	// implement; see CheckServable.
	unsupported []error
}

// Cluster returns the cluster with the given name.
func (c *Config) Cluster(name string) (Cluster, bool) {
	for _, cl := range c.Clusters {
		if cl.Name == name {
			return cl, true
		}
	}
	return Cluster{}, false
}

// Listener is one listener with an HTTP connection manager.
type Listener struct {
	Name string
	// Address is "host:port", the host an IP literal (as Envoy requires for listeners).
	Address string
	// HTTPFilters is the HTTP filter chain in order; Load makes sure the router is last.
	HTTPFilters []HTTPFilter
	// VirtualHosts come from the connection manager's inline route_config, in order.
	VirtualHosts []VirtualHost
	// StatPrefix is the connection manager's stat_prefix: its stats are named
	// "http.<StatPrefix>.*".
	StatPrefix string
	// AccessLog is true when the connection manager has at least one access_log: Envoy then
	// writes a line per request.
	AccessLog bool
	// AccessLogFormat is the text format of the first stdout, stderr or file access log that
	// sets one (log_format.text_format or text_format_source.inline_string); "" for the
	// default format.
	AccessLogFormat string
	// HCM is what the HTTP connection manager does to every request before the filters see
	// it: path normalisation, header limits, timeouts, x-forwarded-* (see hcm.go).
	HCM HCMOptions
	// TLS is the filter chain's DownstreamTlsContext, or nil for plain HTTP.
	TLS *DownstreamTLS
	// RouteFilterDisabled is the route_config's own typed_per_filter_config, reduced to what
	// hostsim serves: HTTP filter name -> disabled (envoy.config.route.v3.FilterConfig).
	RouteFilterDisabled map[string]bool
	// RouteHeadersToRemove is the route_config's request_headers_to_remove.
	RouteHeadersToRemove []string
	// RouteResponseHeadersToRemove is the route_config's response_headers_to_remove.
	RouteResponseHeadersToRemove []string
	// OtherChainFilters are the HTTP filters of the listener's other filter chains
	// (filter_chains after the first, then default_filter_chain), which hostsim does not
	// serve: kept so that a check judges every wasm filter of the file, not only the
	// served chain's (exeunt-check).
	OtherChainFilters []HTTPFilter
}

// Admin is the bootstrap's admin interface.
type Admin struct {
	// Address is "host:port", the host an IP literal.
	Address string
}

// HTTPFilter is one entry of an HTTP connection manager's http_filters.
type HTTPFilter struct {
	// Name is the filter's name in the file, e.g. "envoy.filters.http.wasm".
	Name string
	// TypeURL is the type of its typed_config, e.g.
	// "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router".
	TypeURL string
	// Wasm is set for a wasm filter (envoy.extensions.filters.http.wasm.v3.Wasm).
	Wasm *WasmPlugin
	// Path is where the filter is in the file, in the form of Error.Path, so that a problem
	// found later (a missing .wasm file) can name its place.
	Path string
	// Disabled is the filter's own `disabled`: it then runs only on routes whose
	// typed_per_filter_config enables it.
	Disabled bool
}

// The type URLs of the HTTP filters hostsim knows.
const (
	TypeURLWasm   = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
	TypeURLRouter = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
)

// IsRouter reports whether f is the router filter.
func (f HTTPFilter) IsRouter() bool { return f.TypeURL == TypeURLRouter }

// WasmPlugin is a wasm HTTP filter's plugin and VM configuration
// (envoy.extensions.wasm.v3.PluginConfig).
type WasmPlugin struct {
	// Name is the plugin's name (config.name).
	Name string
	// RootID selects the root context in the module (config.root_id).
	RootID string
	// VMID groups plugins that share a VM (config.vm_config.vm_id).
	VMID string
	// Runtime is the Wasm runtime Envoy would use, e.g. "envoy.wasm.runtime.v8". hostsim runs
	// every module on wazero.
	Runtime string
	// File is the module's path (config.vm_config.code.local.filename), as written: Envoy
	// resolves a relative path against its working directory, not against the YAML file.
	File string
	// VMConfiguration is what the host hands to proxy_on_vm_start
	// (config.vm_config.configuration), and Configuration what it hands to proxy_on_configure
	// (config.configuration). Both follow Envoy: a google.protobuf.StringValue or BytesValue
	// gives its value, a google.protobuf.Struct its JSON, any other type its serialized
	// protobuf bytes; nil when absent.
	VMConfiguration []byte
	Configuration   []byte
	// FailOpen is true when a failed or crashed VM lets requests through (config.fail_open,
	// or config.failure_policy FAIL_OPEN); otherwise Envoy answers 503.
	FailOpen bool
	// AllowOnHeadersStopIteration is config.allow_on_headers_stop_iteration:
	// when false (Envoy's default), a filter pausing in its headers callback
	// is not given the body until it resumes (hostsim.Options).
	AllowOnHeadersStopIteration bool
}

// VirtualHost is a route_config virtual host: the routes for a set of Host header values.
type VirtualHost struct {
	Name string
	// Domains are Envoy's domain patterns: exact names, "*.suffix", "prefix*" or "*".
	Domains []string
	// Routes are tried in order; the first match wins.
	Routes []Route
	// FilterDisabled is the virtual host's typed_per_filter_config: HTTP filter name ->
	// disabled (see Route.FilterDisabled).
	FilterDisabled map[string]bool
	// RequestHeadersToRemove are removed by the router from what it sends upstream
	// (request_headers_to_remove), for every route of the virtual host.
	RequestHeadersToRemove []string
	// ResponseHeadersToRemove are removed by the router from every response of the virtual
	// host's routes (response_headers_to_remove).
	ResponseHeadersToRemove []string
}

// Route is a route that forwards to a cluster, or that the router answers itself with a
// redirect or a direct response.
type Route struct {
	Name  string
	Match PathMatch
	// Cluster is the target cluster; Load makes sure it exists. "" for a redirect or a direct
	// response.
	Cluster string
	// Redirect is the route's redirect action (route.redirect), or nil.
	Redirect *Redirect
	// DirectResponse is the route's direct_response action, or nil.
	DirectResponse *DirectResponse
	// Timeout is the upstream response timeout: Envoy's default of 15s when the file sets
	// none, and 0 for none at all (an explicit "0s").
	Timeout time.Duration
	// IdleTimeout is the route's idle_timeout, which overrides the connection manager's
	// stream_idle_timeout for this route's streams; nil when the route sets none.
	IdleTimeout *time.Duration
	// FilterDisabled is the route's typed_per_filter_config, keyed as Envoy keys it by the
	// HTTP filter's `name` in the connection manager's chain: true for an
	// envoy.config.route.v3.FilterConfig with disabled: true, false for one that enables the
	// filter explicitly. A name that is absent defers to the virtual host, then the route
	// configuration, then the filter's own `disabled` (Envoy's
	// RouteEntryImplBase::filterDisabled).
	FilterDisabled map[string]bool
	// RequestHeadersToRemove are removed by the router from what it sends upstream
	// (request_headers_to_remove): the filters still see them.
	RequestHeadersToRemove []string
	// ResponseHeadersToRemove are removed by the router from the route's responses
	// (response_headers_to_remove), before the filters see the response.
	ResponseHeadersToRemove []string
}

// Redirect is a route's envoy.config.route.v3.RedirectAction, as Envoy's route table keeps it
// (RouteEntryImplBase's redirect config, source/common/router/config_impl.cc).
type Redirect struct {
	// Scheme is scheme_redirect, or "https" for https_redirect; "" keeps the request's.
	Scheme string
	// Host is host_redirect; "" keeps the request's Host.
	Host string
	// Port is ":" and port_redirect, or "" when the redirect sets no port.
	Port string
	// Path is path_redirect; "" keeps the request's path and query.
	Path string
	// StripQuery is strip_query.
	StripQuery bool
	// Status is response_code as a status: 301 (Envoy's default), 302, 303, 307 or 308.
	Status int
}

// DirectResponse is a route's envoy.config.route.v3.DirectResponseAction.
type DirectResponse struct {
	Status int
	// Body is body.inline_string or body.inline_bytes; nil for none.
	Body []byte
}

// PathMatch is a route's path condition.
type PathMatch struct {
	Kind MatchKind
	// Value is the prefix or the path to compare the request path (without query) with.
	Value string
}

// MatchKind says how a PathMatch compares.
type MatchKind string

const (
	// MatchPrefix: the path starts with Value (route.match.prefix).
	MatchPrefix MatchKind = "prefix"
	// MatchPath: the path equals Value (route.match.path).
	MatchPath MatchKind = "path"
	// MatchPathSeparatedPrefix: the path equals Value or continues it with "/"
	// (route.match.path_separated_prefix).
	MatchPathSeparatedPrefix MatchKind = "path_separated_prefix"
)

// Cluster is a cluster of upstream endpoints.
type Cluster struct {
	Name string
	// Endpoints are "host:port" values; the host is an IP literal for a STATIC cluster, and may
	// be a DNS name for STRICT_DNS and LOGICAL_DNS ones.
	Endpoints []string
	// ConnectTimeout is the TCP connect timeout: 5s (Envoy's default) when the file sets none.
	ConnectTimeout time.Duration
	// TLS is the cluster's UpstreamTlsContext (transport_socket envoy.transport_sockets.tls),
	// or nil for plain HTTP to the endpoints.
	TLS *UpstreamTLS
	// EnableTrailers is the cluster's HTTP/1 enable_trailers (typed_extension_protocol_options
	// envoy.extensions.upstreams.http.v3.HttpProtocolOptions, explicit_http_config
	// .http_protocol_options): without it Envoy's upstream HTTP/1 codec sends no request
	// trailers and drops the response's (serve's router cites the source).
	EnableTrailers bool
}
