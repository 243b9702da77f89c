package envoyconfig

import (
	"regexp"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// The Envoy sources the defaults below follow (v1.33.0's files; these defaults are the same up
// to v1.38; the README's minimum, 1.39, comes from the Wasm host, see hostsim/profile.go):
//
//   - source/extensions/filters/network/http_connection_manager/config.cc: max_request_headers_kb
//     (Http::DEFAULT_MAX_REQUEST_HEADERS_KB, 60), max_headers_count
//     (Http::DEFAULT_MAX_HEADERS_COUNT, 100), stream_idle_timeout (StreamIdleTimeoutMs, 5
//     minutes), request_timeout and request_headers_timeout (0: none), normalize_path and
//     merge_slashes (off unless set; the runtime key http_connection_manager.normalize_path
//     defaults to false), and getPathWithEscapedSlashesAction: an unset action
//     (IMPLEMENTATION_SPECIFIC_DEFAULT) is the runtime override, whose default is
//     KEEP_UNCHANGED.
//   - api/envoy/config/core/v3/protocol.proto: common_http_protocol_options.idle_timeout, 1 hour.
const (
	defaultMaxRequestHeadersKB    = 60
	defaultMaxRequestHeadersCount = 100
	defaultStreamIdleTimeout      = 5 * time.Minute
	defaultConnectionIdleTimeout  = time.Hour
)

// EscapedSlashesAction is the connection manager's path_with_escaped_slashes_action, resolved:
// never IMPLEMENTATION_SPECIFIC_DEFAULT.
type EscapedSlashesAction string

// The actions, by their names in Envoy's API.
const (
	EscapedSlashesKeep               EscapedSlashesAction = "KEEP_UNCHANGED"
	EscapedSlashesReject             EscapedSlashesAction = "REJECT_REQUEST"
	EscapedSlashesUnescapeRedirect   EscapedSlashesAction = "UNESCAPE_AND_REDIRECT"
	EscapedSlashesUnescapeAndForward EscapedSlashesAction = "UNESCAPE_AND_FORWARD"
)

// HCMOptions are the HTTP connection manager's settings that change what a filter, an upstream
// or a browser sees; hostsim serve implements each as Envoy does (hostsim/serve).
type HCMOptions struct {
	// NormalizePath, MergeSlashes and EscapedSlashes: the path transformations applied before
	// routing and before any filter runs (normalize_path, merge_slashes,
	// path_with_escaped_slashes_action).
	NormalizePath  bool
	MergeSlashes   bool
	EscapedSlashes EscapedSlashesAction

	// MaxRequestHeadersKB and MaxRequestHeadersCount bound a request's headers: past either,
	// Envoy answers 431 (max_request_headers_kb, common_http_protocol_options.max_headers_count).
	MaxRequestHeadersKB    uint32
	MaxRequestHeadersCount uint32
	// HeadersWithUnderscores is common_http_protocol_options.headers_with_underscores_action:
	// "ALLOW" (Envoy's default), "REJECT_REQUEST" (400) or "DROP_HEADER".
	HeadersWithUnderscores string

	// RequestTimeout bounds receiving the whole request (request_timeout; 0: none);
	// RequestHeadersTimeout receiving its headers (request_headers_timeout; 0: none);
	// StreamIdleTimeout a stream without activity (stream_idle_timeout; 0: none); IdleTimeout a
	// connection without streams (common_http_protocol_options.idle_timeout; 0: none).
	RequestTimeout        time.Duration
	RequestHeadersTimeout time.Duration
	StreamIdleTimeout     time.Duration
	IdleTimeout           time.Duration

	// UseRemoteAddress, XFFNumTrustedHops and SkipXFFAppend decide the client's address and the
	// x-forwarded-for and x-forwarded-proto headers (ConnectionManagerUtility::mutateRequestHeaders).
	UseRemoteAddress  bool
	XFFNumTrustedHops uint32
	SkipXFFAppend     bool
	// GenerateRequestID (default true) and PreserveExternalRequestID decide x-request-id.
	GenerateRequestID         bool
	PreserveExternalRequestID bool

	// AcceptHTTP10 and DefaultHostForHTTP10 are http_protocol_options.accept_http_10 and
	// default_host_for_http_10: without the first, an HTTP/1.0 request is answered 426.
	AcceptHTTP10         bool
	DefaultHostForHTTP10 string
	// AllowCustomMethods is http_protocol_options.allow_custom_methods: without it the HTTP/1
	// codec refuses every request method outside its fixed list (serve's requestMethod).
	AllowCustomMethods bool

	// EnableTrailers is http_protocol_options.enable_trailers: without it Envoy's HTTP/1
	// codec drops a chunked request's trailers, and no filter sees them (Envoy
	// ee2107ff, source/common/http/http1/balsa_parser.cc,
	// validateAndProcessHeadersOrTrailersImpl: `if (trailers && !enable_trailers_)
	// continue;`, set from Http1ProtocolOptions.enable_trailers in
	// source/common/http/http1/settings.cc, parseHttp1Settings). HTTP/2 keeps them.
	EnableTrailers bool
	// AllowChunkedLength is http_protocol_options.allow_chunked_length: without it the HTTP/1
	// codec answers 400 to a request with both Transfer-Encoding and Content-Length (serve's
	// framing.go cites the source); with it, and a chunked encoding, it drops the Content-Length.
	AllowChunkedLength bool
}

// hcmOptions reads the connection manager's settings; the fields it reads are those listed in
// hcmHandled, which build.go does not report as unsimulated.
func hcmOptions(h *hcmv3.HttpConnectionManager) HCMOptions {
	o := HCMOptions{
		NormalizePath:             h.GetNormalizePath().GetValue(),
		MergeSlashes:              h.GetMergeSlashes(),
		EscapedSlashes:            EscapedSlashesKeep,
		MaxRequestHeadersKB:       defaultMaxRequestHeadersKB,
		MaxRequestHeadersCount:    defaultMaxRequestHeadersCount,
		RequestTimeout:            h.GetRequestTimeout().AsDuration(),
		RequestHeadersTimeout:     h.GetRequestHeadersTimeout().AsDuration(),
		StreamIdleTimeout:         defaultStreamIdleTimeout,
		IdleTimeout:               defaultConnectionIdleTimeout,
		UseRemoteAddress:          h.GetUseRemoteAddress().GetValue(),
		XFFNumTrustedHops:         h.GetXffNumTrustedHops(),
		SkipXFFAppend:             h.GetSkipXffAppend(),
		GenerateRequestID:         true,
		PreserveExternalRequestID: h.GetPreserveExternalRequestId(),
		AcceptHTTP10:              h.GetHttpProtocolOptions().GetAcceptHttp_10(),
		DefaultHostForHTTP10:      h.GetHttpProtocolOptions().GetDefaultHostForHttp_10(),
		AllowCustomMethods:        h.GetHttpProtocolOptions().GetAllowCustomMethods(),
		EnableTrailers:            h.GetHttpProtocolOptions().GetEnableTrailers(),
		AllowChunkedLength:        h.GetHttpProtocolOptions().GetAllowChunkedLength(),
	}
	if a := h.GetPathWithEscapedSlashesAction(); a != hcmv3.HttpConnectionManager_IMPLEMENTATION_SPECIFIC_DEFAULT {
		o.EscapedSlashes = EscapedSlashesAction(a.String())
	}
	if v := h.GetMaxRequestHeadersKb(); v != nil {
		o.MaxRequestHeadersKB = v.GetValue()
	}
	o.HeadersWithUnderscores = h.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction().String()
	if v := h.GetCommonHttpProtocolOptions().GetMaxHeadersCount(); v != nil {
		o.MaxRequestHeadersCount = v.GetValue()
	}
	if d := h.GetStreamIdleTimeout(); d != nil {
		o.StreamIdleTimeout = d.AsDuration()
	}
	if d := h.GetCommonHttpProtocolOptions().GetIdleTimeout(); d != nil {
		o.IdleTimeout = d.AsDuration()
	}
	if v := h.GetGenerateRequestId(); v != nil {
		o.GenerateRequestID = v.GetValue()
	}
	return o
}

// hcmHandled are the connection manager's fields hostsim serve implements (or that change
// nothing a request meets, such as stat_prefix).
var hcmHandled = []string{
	"stat_prefix", "codec_type", "route_config", "http_filters", "access_log",
	"normalize_path", "merge_slashes", "path_with_escaped_slashes_action",
	"max_request_headers_kb", "request_timeout", "request_headers_timeout", "stream_idle_timeout",
	"use_remote_address", "xff_num_trusted_hops", "skip_xff_append", "generate_request_id",
	"preserve_external_request_id", "common_http_protocol_options", "http_protocol_options",
}

// perFilterDisabled reads a typed_per_filter_config map as Envoy's PerFilterConfigs does
// (source/common/router/per_filter_config.cc, v1.33.0): an envoy.config.route.v3.FilterConfig
// with disabled: true disables the filter of that name; one with a config, even an empty one,
// enables it explicitly; one with neither is an error ("Empty route/virtual host per filter
// configuration"). Any other type is a route-specific configuration of a filter, which hostsim
// does not simulate (reported into unsupported); the key is the HTTP filter's `name` in the
// connection manager's chain.
func (b *builder) perFilterDisabled(p string, m map[string]*anypb.Any) map[string]bool {
	if len(m) == 0 {
		return nil
	}
	out := map[string]bool{}
	for name, a := range m {
		fp := p + "[" + name + "]"
		msg, err := unpack(a)
		if err != nil {
			b.errs.add(fp, "%s", err)
			continue
		}
		fc, ok := msg.(*routev3.FilterConfig)
		if !ok {
			b.unsupported.add(fp, "a route-specific configuration (%s) is not simulated by hostsim", a.GetTypeUrl())
			continue
		}
		switch {
		case fc.GetDisabled():
			out[name] = true
		case fc.GetConfig() == nil:
			b.errs.add(fp, "Empty route/virtual host per filter configuration for %s filter: set disabled: true, or a config", name)
		default:
			if fc.GetConfig().GetTypeUrl() != "" {
				b.unsupported.add(fp+".config", "a route-specific configuration (%s) is not simulated by hostsim; the filter runs with its own", fc.GetConfig().GetTypeUrl())
			}
			out[name] = false
		}
	}
	return out
}

// AccessLogCommandPattern matches a command operator in an access-log format: %NAME%,
// %NAME(arg)% or %NAME(arg):len%.
var AccessLogCommandPattern = regexp.MustCompile(`%([A-Z_0-9]+)(\([^)]*\))?(:[0-9]+)?%`)

var accessLogCommand = AccessLogCommandPattern
