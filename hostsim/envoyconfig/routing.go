package envoyconfig

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matchingv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/matching/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Routing is where every filter chain of a bootstrap sends requests, with what a check
// needs to judge it that the served model (Config) leaves out: every filter chain, not only
// the first; routes that hostsim does not serve (regex matches, weighted clusters, rewrites);
// and each route's rewrites and per-filter switches. It is read for checks (exeunt-check),
// never served.
type Routing struct {
	Chains []RoutingChain
}

// RoutingChain is one filter chain of one listener.
type RoutingChain struct {
	Listener string
	Index    int // in filter_chains; -1 for default_filter_chain
	// HCM is the chain's HTTP connection manager, or nil.
	HCM *RoutingHCM
	// TCPClusters are the clusters a tcp_proxy network filter sends whole connections to.
	TCPClusters []string
	// Chains is how many filter chains the listener has (default_filter_chain included).
	Chains int
	// Match says which connections Envoy gives this chain, for a message: its
	// filter_chain_match's fields as written (e.g. `server_names ["a.example"],
	// destination_port 8443`), "the listener's filter_chain_matcher, by the chain's name"
	// when the listener selects chains with a matcher (filter_chain_match is then ignored),
	// or "" when nothing restricts it (or for default_filter_chain, which takes the
	// connections no chain matches).
	Match string
	// ServerNames is filter_chain_match.server_names, lower-cased as Envoy matches them
	// (nil under a filter_chain_matcher).
	ServerNames []string
}

// RoutingHCM is an HTTP connection manager's filters, path options and routes.
type RoutingHCM struct {
	Options HCMOptions
	Filters []RoutingFilter
	// RDS is true when the routes are not inline (rds or scoped_routes).
	RDS bool
	// FilterSwitch is route_config.typed_per_filter_config.
	FilterSwitch map[string]FilterSwitch
	// RequestHeadersToRemove and ResponseHeadersToRemove are the route_config's.
	RequestHeadersToRemove, ResponseHeadersToRemove []string
	VirtualHosts                                    []RoutingVirtualHost
}

// RoutingFilter is an HTTP filter of the chain; RootID and Configuration are set for a wasm
// filter, also one wrapped in an ExtensionWithMatcher (Matched), which runs only where its
// matcher does not skip it.
type RoutingFilter struct {
	Name          string
	Wasm          bool
	Matched       bool
	RootID        string
	Configuration []byte
	Disabled      bool
}

// FilterSwitch is a typed_per_filter_config entry for one filter.
type FilterSwitch int

const (
	// FilterSwitchOff: an envoy.config.route.v3.FilterConfig with disabled: true.
	FilterSwitchOff FilterSwitch = iota + 1
	// FilterSwitchOn: a FilterConfig with a config (the filter runs, even if disabled by default).
	FilterSwitchOn
	// FilterSwitchOther: a route-specific configuration of another type.
	FilterSwitchOther
)

// RoutingVirtualHost is a virtual host with every route in order.
type RoutingVirtualHost struct {
	Name                                            string
	Domains                                         []string
	FilterSwitch                                    map[string]FilterSwitch
	RequestHeadersToRemove, ResponseHeadersToRemove []string
	Routes                                          []RoutingRoute
}

// RoutingRoute is one route: its match, where it sends the request, and what it rewrites.
type RoutingRoute struct {
	Index int
	Name  string
	// MatchKind is the path_specifier's field name (prefix, path, path_separated_prefix,
	// safe_regex, path_match_policy, connect_matcher), MatchValue its value (the regex for
	// safe_regex).
	MatchKind, MatchValue string
	// CaseInsensitive is match.case_sensitive: false.
	CaseInsensitive bool
	// Conditional: the match also tests headers, query parameters, runtime, gRPC, TLS,
	// metadata or filter state, so the route does not take every request its path matches.
	Conditional bool
	// Forwards: a route action (to an upstream), not a redirect or a direct response.
	Forwards bool
	// Clusters are route.cluster and weighted_clusters' names; DynamicCluster is true for
	// cluster_header or cluster_specifier_plugin, which pick one per request.
	Clusters       []string
	DynamicCluster bool
	// PrefixRewrite (HasPrefixRewrite), RegexRewrite and its substitution, PathRewriteOther
	// (path_rewrite_policy, or a path_rewrite format): the router's path rewrites
	// (RouteEntryImplBase::finalizePathHeader, source/common/router/config_impl.cc).
	PrefixRewrite                 string
	HasPrefixRewrite              bool
	RegexRewrite, RegexSubstitute string
	HasRegexRewrite               bool
	PathRewriteOther              bool
	// PathRewriteLiteral: path_rewrite without command operators, a whole new path held
	// in PrefixRewrite.
	PathRewriteLiteral bool
	// HostRewrite is host_rewrite_literal; HostRewriteOther another host rewrite.
	HostRewrite      string
	HostRewriteOther bool
	FilterSwitch     map[string]FilterSwitch
	// RequestHeadersToRemove and ResponseHeadersToRemove are the route's own.
	RequestHeadersToRemove, ResponseHeadersToRemove []string
}

// LoadRouting checks an Envoy bootstrap as Load does and returns its routing.
func LoadRouting(yamlBytes []byte) (*Routing, error) {
	bs, err := decode(yamlBytes)
	if err != nil {
		return nil, err
	}
	if err := validate(bs); err != nil {
		return nil, err
	}
	r := &Routing{}
	for _, l := range bs.GetStaticResources().GetListeners() {
		first := len(r.Chains)
		for i, fc := range l.GetFilterChains() {
			c := routingChain(l.GetName(), i, fc)
			// With a filter_chain_matcher, Envoy picks chains by name and ignores their
			// filter_chain_match (FilterChainManagerImpl::setupFilterChainMatcher,
			// source/common/listener_manager/filter_chain_manager_impl.cc, envoyproxy/envoy at
			// 0840030e).
			if l.GetFilterChainMatcher() != nil {
				c.Match = "the listener's filter_chain_matcher, by the chain's name"
			} else {
				c.Match = describeChainMatch(fc.GetFilterChainMatch())
				for _, n := range fc.GetFilterChainMatch().GetServerNames() {
					c.ServerNames = append(c.ServerNames, strings.ToLower(n))
				}
			}
			r.Chains = append(r.Chains, c)
		}
		if fc := l.GetDefaultFilterChain(); fc != nil {
			r.Chains = append(r.Chains, routingChain(l.GetName(), -1, fc))
		}
		for i := first; i < len(r.Chains); i++ {
			r.Chains[i].Chains = len(r.Chains) - first
		}
	}
	return r, nil
}

// describeChainMatch writes the fields a filter_chain_match sets, by their names in the
// file, in the proto's field order; "" when it sets none.
func describeChainMatch(m *listenerv3.FilterChainMatch) string {
	if m == nil {
		return ""
	}
	var parts []string
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		parts = append(parts, string(fd.Name())+" "+describeValue(fd, v))
		return true
	})
	return strings.Join(parts, ", ")
}

func describeValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	if fd.IsList() {
		l := v.List()
		items := make([]string, l.Len())
		for i := range l.Len() {
			items[i] = describeScalar(fd, l.Get(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return describeScalar(fd, v)
}

func describeScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return fmt.Sprintf("%q", v.String())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
	case protoreflect.MessageKind:
		switch m := v.Message().Interface().(type) {
		case *corev3.CidrRange:
			return fmt.Sprintf("%s/%d", m.GetAddressPrefix(), m.GetPrefixLen().GetValue())
		case *wrapperspb.UInt32Value:
			return fmt.Sprint(m.GetValue())
		}
	}
	return fmt.Sprint(v.Interface())
}

func routingChain(listener string, i int, fc *listenerv3.FilterChain) RoutingChain {
	c := RoutingChain{Listener: listener, Index: i}
	for _, f := range fc.GetFilters() {
		m, err := unpack(f.GetTypedConfig())
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *hcmv3.HttpConnectionManager:
			c.HCM = routingHCM(m)
		case *tcpproxyv3.TcpProxy:
			if cl := m.GetCluster(); cl != "" {
				c.TCPClusters = append(c.TCPClusters, cl)
			}
			for _, w := range m.GetWeightedClusters().GetClusters() {
				c.TCPClusters = append(c.TCPClusters, w.GetName())
			}
		}
	}
	return c
}

func routingHCM(h *hcmv3.HttpConnectionManager) *RoutingHCM {
	out := &RoutingHCM{Options: hcmOptions(h), RDS: h.GetRouteConfig() == nil}
	for _, hf := range h.GetHttpFilters() {
		f := RoutingFilter{Name: hf.GetName(), Disabled: hf.GetDisabled()}
		m, err := unpack(hf.GetTypedConfig())
		if em, ok := m.(*matchingv3.ExtensionWithMatcher); ok && err == nil {
			f.Matched = true
			m, err = unpack(em.GetExtensionConfig().GetTypedConfig())
		}
		if err == nil {
			if w, ok := m.(*wasmfilterv3.Wasm); ok {
				f.Wasm, f.RootID = true, w.GetConfig().GetRootId()
				f.Configuration, _ = anyBytes(w.GetConfig().GetConfiguration())
			}
		}
		out.Filters = append(out.Filters, f)
	}
	rc := h.GetRouteConfig()
	out.FilterSwitch = filterSwitches(rc.GetTypedPerFilterConfig())
	out.RequestHeadersToRemove, out.ResponseHeadersToRemove = rc.GetRequestHeadersToRemove(), rc.GetResponseHeadersToRemove()
	for _, vh := range rc.GetVirtualHosts() {
		v := RoutingVirtualHost{Name: vh.GetName(), Domains: vh.GetDomains(),
			FilterSwitch:            filterSwitches(vh.GetTypedPerFilterConfig()),
			RequestHeadersToRemove:  vh.GetRequestHeadersToRemove(),
			ResponseHeadersToRemove: vh.GetResponseHeadersToRemove()}
		for i, r := range vh.GetRoutes() {
			v.Routes = append(v.Routes, routingRoute(i, r))
		}
		out.VirtualHosts = append(out.VirtualHosts, v)
	}
	return out
}

func routingRoute(i int, r *routev3.Route) RoutingRoute {
	rr := RoutingRoute{Index: i, Name: r.GetName(), FilterSwitch: filterSwitches(r.GetTypedPerFilterConfig()),
		RequestHeadersToRemove: r.GetRequestHeadersToRemove(), ResponseHeadersToRemove: r.GetResponseHeadersToRemove()}
	m := r.GetMatch()
	switch ps := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		rr.MatchKind, rr.MatchValue = "prefix", ps.Prefix
	case *routev3.RouteMatch_Path:
		rr.MatchKind, rr.MatchValue = "path", ps.Path
	case *routev3.RouteMatch_PathSeparatedPrefix:
		rr.MatchKind, rr.MatchValue = "path_separated_prefix", ps.PathSeparatedPrefix
	case *routev3.RouteMatch_SafeRegex:
		rr.MatchKind, rr.MatchValue = "safe_regex", ps.SafeRegex.GetRegex()
	case *routev3.RouteMatch_PathMatchPolicy:
		rr.MatchKind = "path_match_policy"
	case *routev3.RouteMatch_ConnectMatcher_:
		rr.MatchKind = "connect_matcher"
	default:
		rr.MatchKind = fmt.Sprintf("%T", ps)
	}
	rr.CaseInsensitive = m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue()
	rr.Conditional = len(m.GetHeaders()) > 0 || len(m.GetQueryParameters()) > 0 || m.GetRuntimeFraction() != nil ||
		m.GetGrpc() != nil || m.GetTlsContext() != nil || len(m.GetDynamicMetadata()) > 0 ||
		len(m.GetFilterState()) > 0 || len(m.GetCookies()) > 0
	ra := r.GetRoute()
	if ra == nil {
		return rr
	}
	rr.Forwards = true
	if c := ra.GetCluster(); c != "" {
		rr.Clusters = append(rr.Clusters, c)
	}
	for _, w := range ra.GetWeightedClusters().GetClusters() {
		if w.GetName() != "" {
			rr.Clusters = append(rr.Clusters, w.GetName())
		} else {
			rr.DynamicCluster = true
		}
	}
	rr.DynamicCluster = rr.DynamicCluster || ra.GetClusterHeader() != "" || ra.GetClusterSpecifierPlugin() != "" ||
		ra.GetInlineClusterSpecifierPlugin() != nil
	if ra.GetPrefixRewrite() != "" {
		rr.PrefixRewrite, rr.HasPrefixRewrite = ra.GetPrefixRewrite(), true
	}
	if rx := ra.GetRegexRewrite(); rx != nil {
		rr.RegexRewrite, rr.RegexSubstitute, rr.HasRegexRewrite = rx.GetPattern().GetRegex(), rx.GetSubstitution(), true
	}
	// path_rewrite is a substitution format (Envoy applies it before path_rewrite_policy,
	// prefix_rewrite and regex_rewrite: currentUrlPathAfterRewriteWithMatchedPath); one
	// without a command operator is a literal path.
	if pr := ra.GetPathRewrite(); pr != "" && !strings.Contains(pr, "%") {
		rr.PrefixRewrite, rr.HasPrefixRewrite, rr.PathRewriteLiteral = pr, true, true
	} else {
		rr.PathRewriteOther = pr != "" || ra.GetPathRewritePolicy() != nil
	}
	rr.HostRewrite = ra.GetHostRewriteLiteral()
	rr.HostRewriteOther = ra.GetAutoHostRewrite().GetValue() || ra.GetHostRewriteHeader() != "" ||
		ra.GetHostRewritePathRegex() != nil || ra.GetHostRewrite() != ""
	return rr
}

// filterSwitches reads a typed_per_filter_config map (see perFilterDisabled for Envoy's rules).
func filterSwitches(m map[string]*anypb.Any) map[string]FilterSwitch {
	if len(m) == 0 {
		return nil
	}
	out := map[string]FilterSwitch{}
	for name, a := range m {
		msg, err := unpack(a)
		if err != nil {
			continue
		}
		switch fc, ok := msg.(*routev3.FilterConfig); {
		case !ok:
			out[name] = FilterSwitchOther
		case fc.GetDisabled():
			out[name] = FilterSwitchOff
		default:
			out[name] = FilterSwitchOn
		}
	}
	return out
}
