package envoyconfig

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamhttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Envoy's defaults for fields the file leaves unset.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultRouteTimeout   = 15 * time.Second
)

// wasmRuntimes are the runtimes an Envoy build may contain; Envoy refuses to start with any
// other name.
var wasmRuntimes = []string{
	"envoy.wasm.runtime.v8",
	"envoy.wasm.runtime.wamr",
	"envoy.wasm.runtime.wasmtime",
	"envoy.wasm.runtime.null",
}

// builder makes the model out of a validated bootstrap. It checks what Envoy refuses beyond the
// schema (into errs) and records what Envoy accepts and hostsim does not do (into unsupported).
type builder struct {
	errs, unsupported errs
	cfg               Config
	clusters          map[string]int // name -> index in static_resources.clusters
	dynamicClusters   bool           // clusters may also come from CDS
}

func build(bs *bootstrapv3.Bootstrap) (*Config, error) {
	b := &builder{
		clusters:        map[string]int{},
		dynamicClusters: bs.GetDynamicResources().GetCdsConfig() != nil,
	}
	// Fields that do not change how requests are handled are accepted and ignored.
	b.rest("", bs, "static_resources", "admin", "node", "layered_runtime", "stats_config",
		"stats_flush_interval", "overload_manager")
	b.admin(bs)
	sr := bs.GetStaticResources()
	b.rest("static_resources", sr, "listeners", "clusters")
	for i, c := range sr.GetClusters() {
		b.cluster(elem("static_resources.clusters", i, c.GetName()), i, c)
	}
	listenerNames, addresses := map[string]int{}, map[string]int{}
	for i, l := range sr.GetListeners() {
		p := elem("static_resources.listeners", i, l.GetName())
		if j, dup := listenerNames[l.GetName()]; dup && l.GetName() != "" {
			b.errs.add(p+".name", "listener name %q is also used by listeners[%d]", l.GetName(), j)
		}
		listenerNames[l.GetName()] = i
		lis := b.listener(p, l)
		if lis.Address != "" && !strings.HasSuffix(lis.Address, ":0") {
			if j, dup := addresses[lis.Address]; dup {
				b.errs.add(p+".address", "address %s is also used by listeners[%d]", lis.Address, j)
			}
			addresses[lis.Address] = i
		}
		b.cfg.Listeners = append(b.cfg.Listeners, lis)
	}
	if len(b.errs) > 0 {
		return nil, b.errs.join()
	}
	b.cfg.unsupported = b.unsupported
	return &b.cfg, nil
}

// rest records as unsupported every field set in m other than the handled ones.
func (b *builder) rest(path string, m proto.Message, handled ...string) {
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !slices.Contains(handled, string(fd.Name())) {
			b.unsupported.add(field(path, string(fd.Name())), "not supported by hostsim")
		}
		return true
	})
}

// admin records the admin interface's address; its other settings (access log, profile path)
// do not change what hostsim serves.
func (b *builder) admin(bs *bootstrapv3.Bootstrap) {
	a := bs.GetAdmin()
	if a == nil || a.GetAddress() == nil {
		return
	}
	if addr := b.address("admin.address", a.GetAddress(), true); addr != "" {
		b.cfg.Admin = &Admin{Address: addr}
	}
}

func (b *builder) cluster(p string, i int, c *clusterv3.Cluster) {
	b.rest(p, c, "name", "type", "connect_timeout", "load_assignment", "dns_lookup_family", "transport_socket", "typed_extension_protocol_options")
	name := c.GetName()
	switch j, dup := b.clusters[name]; {
	case name == "":
		b.errs.add(p+".name", "is required: routes and filters refer to a cluster by its name")
	case dup:
		b.errs.add(p+".name", "cluster name %q is also used by clusters[%d]", name, j)
	default:
		b.clusters[name] = i
	}
	cl := Cluster{Name: name, ConnectTimeout: defaultConnectTimeout,
		TLS: b.upstreamTLS(p+".transport_socket", c.GetTransportSocket())}
	if d := c.GetConnectTimeout(); d != nil {
		cl.ConnectTimeout = d.AsDuration()
	}
	cl.EnableTrailers = b.upstreamHTTPOptions(p+".typed_extension_protocol_options", c.GetTypedExtensionProtocolOptions())
	typ := c.GetType()
	switch {
	case c.GetClusterType() != nil: // a custom cluster type; rest reported it
	case typ == clusterv3.Cluster_STATIC, typ == clusterv3.Cluster_STRICT_DNS,
		typ == clusterv3.Cluster_LOGICAL_DNS:
	default:
		b.unsupported.add(p+".type", "cluster type %s is not supported by hostsim (STATIC, STRICT_DNS and LOGICAL_DNS are)", typ)
	}
	la := c.GetLoadAssignment()
	lp := p + ".load_assignment"
	b.rest(lp, la, "cluster_name", "endpoints")
	for j, lle := range la.GetEndpoints() {
		ep := elem(lp+".endpoints", j, "")
		b.rest(ep, lle, "lb_endpoints")
		for k, lbe := range lle.GetLbEndpoints() {
			lbp := elem(ep+".lb_endpoints", k, "")
			b.rest(lbp, lbe, "endpoint")
			e := lbe.GetEndpoint()
			b.rest(lbp+".endpoint", e, "address")
			if e == nil {
				continue // lb_endpoints' host_identifier: a named endpoint, reported by rest
			}
			if a := b.address(lbp+".endpoint.address", e.GetAddress(), typ == clusterv3.Cluster_STATIC && c.GetClusterType() == nil); a != "" {
				cl.Endpoints = append(cl.Endpoints, a)
			}
		}
	}
	if typ == clusterv3.Cluster_LOGICAL_DNS && len(cl.Endpoints) != 1 {
		b.errs.add(lp, "a LOGICAL_DNS cluster must have exactly one endpoint, this one has %d", len(cl.Endpoints))
	}
	b.cfg.Clusters = append(b.cfg.Clusters, cl)
}

// upstreamHTTPOptions reads a cluster's typed_extension_protocol_options: of
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions, hostsim simulates an explicit HTTP/1
// configuration's enable_trailers (its upstream connections are HTTP/1.1); every other field,
// and every other key, is reported as not simulated. It returns enable_trailers.
func (b *builder) upstreamHTTPOptions(p string, m map[string]*anypb.Any) bool {
	enable := false
	for key, a := range m {
		kp := p + "[" + key + "]"
		msg, err := unpack(a)
		if err != nil {
			b.errs.add(kp, "%s", err)
			continue
		}
		o, ok := msg.(*upstreamhttpv3.HttpProtocolOptions)
		if !ok {
			b.unsupported.add(kp, "protocol options of type %s are not simulated by hostsim", a.GetTypeUrl())
			continue
		}
		b.rest(kp, o, "explicit_http_config")
		e := o.GetExplicitHttpConfig()
		if e == nil {
			continue
		}
		ep := kp + ".explicit_http_config"
		b.rest(ep, e, "http_protocol_options")
		h := e.GetHttpProtocolOptions()
		if h == nil {
			continue
		}
		b.rest(ep+".http_protocol_options", h, "enable_trailers")
		enable = h.GetEnableTrailers()
	}
	return enable
}

// address returns a socket address as host:port, or "" for another kind of address. Envoy
// resolves no names for listeners and STATIC clusters: there, ipOnly asks for an IP literal.
func (b *builder) address(p string, a *corev3.Address, ipOnly bool) string {
	b.rest(p, a, "socket_address")
	sa := a.GetSocketAddress()
	if sa == nil {
		return ""
	}
	sp := p + ".socket_address"
	b.rest(sp, sa, "address", "port_value")
	if ipOnly && sa.GetResolverName() == "" && net.ParseIP(sa.GetAddress()) == nil {
		b.errs.add(sp+".address", "%q is not an IP address; Envoy resolves no names here (use a STRICT_DNS or LOGICAL_DNS cluster for host names)", sa.GetAddress())
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10))
}

func (b *builder) listener(p string, l *listenerv3.Listener) Listener {
	b.rest(p, l, "name", "address", "filter_chains", "stat_prefix", "access_log")
	lis := Listener{Name: l.GetName(), Address: b.address(p+".address", l.GetAddress(), true)}
	chains := l.GetFilterChains()
	switch {
	case len(chains) == 0 && l.GetDefaultFilterChain() == nil:
		b.errs.add(p+".filter_chains", "is empty: a listener needs a filter chain")
	case len(chains) > 1:
		b.unsupported.add(p+".filter_chains", "hostsim serves one filter chain per listener, this one has %d", len(chains))
	}
	b.chainMatches(p, l)
	for j, fc := range chains {
		b.filterChain(&lis, elem(p+".filter_chains", j, fc.GetName()), j == 0, fc)
	}
	// Envoy builds the default filter chain as any other (FilterChainManagerImpl::
	// addFilterChains, then copyOrRebuildDefaultFilterChain, both through buildFilterChain:
	// source/common/listener_manager/filter_chain_manager_impl.cc, envoyproxy/envoy at
	// 0840030e): what it refuses there it refuses at start. hostsim does not serve it (rest reported it), but
	// its HTTP filters are kept for checks.
	if fc := l.GetDefaultFilterChain(); fc != nil {
		b.filterChain(&lis, p+".default_filter_chain", false, fc)
	}
	return lis
}

// chainMatches refuses what Envoy refuses of how a listener picks a filter chain per
// connection (FilterChainManagerImpl::verifyNoDuplicateMatchers and setupFilterChainMatcher,
// source/common/listener_manager/filter_chain_manager_impl.cc, envoyproxy/envoy at
// 0840030e): address_suffix and suffix_len (not implemented); without a
// filter_chain_matcher, two chains with the same filter_chain_match and a server name with a
// partial wildcard; with one, a chain without a name or with another chain's name.
func (b *builder) chainMatches(p string, l *listenerv3.Listener) {
	seen := map[string]int{}
	for j, fc := range l.GetFilterChains() {
		fp := elem(p+".filter_chains", j, fc.GetName())
		m := fc.GetFilterChainMatch()
		if m.GetAddressSuffix() != "" || m.GetSuffixLen() != nil {
			b.errs.add(fp+".filter_chain_match", "address_suffix and suffix_len are not implemented by Envoy, which refuses the listener: remove them")
		}
		if l.GetFilterChainMatcher() != nil {
			// The matcher picks chains by name; filter_chain_match is ignored.
			if k, dup := seen[fc.GetName()]; fc.GetName() == "" {
				b.errs.add(fp+".name", "is required when the listener has a filter_chain_matcher, which picks a chain by its name")
			} else if dup {
				b.errs.add(fp+".name", "filter chain name %q is also used by filter_chains[%d]: the listener's filter_chain_matcher picks a chain by its name, so Envoy refuses the listener", fc.GetName(), k)
			}
			seen[fc.GetName()] = j
			continue
		}
		if m == nil {
			m = &listenerv3.FilterChainMatch{}
		}
		for k, other := range l.GetFilterChains()[:j] {
			om := other.GetFilterChainMatch()
			if om == nil {
				om = &listenerv3.FilterChainMatch{}
			}
			if proto.Equal(m, om) {
				b.errs.add(fp+".filter_chain_match", "has the same matching rules as filter_chains[%d], so Envoy refuses the listener (a connection could take either): make them differ, or merge the two chains", k)
				break
			}
		}
		for _, n := range m.GetServerNames() {
			if strings.Contains(n, "*") && !strings.HasPrefix(n, "*.") {
				b.errs.add(fp+".filter_chain_match.server_names", "%q: Envoy supports no partial wildcard in a server name (only a leading \"*.\", as in \"*.example.com\") and refuses the listener", n)
			}
		}
	}
}

// filterChain reads one filter chain of a listener into lis: the first (served) one in
// full, any other only for its HTTP filters (Listener.OtherChainFilters), after the same
// checks of what Envoy refuses.
func (b *builder) filterChain(lis *Listener, fp string, first bool, fc *listenerv3.FilterChain) {
	b.rest(fp, fc, "name", "filters", "transport_socket")
	if first {
		lis.TLS = b.downstreamTLS(fp+".transport_socket", fc.GetTransportSocket())
	}
	filters := fc.GetFilters()
	if len(filters) == 0 {
		b.unsupported.add(fp+".filters", "is empty: hostsim serves HTTP through envoy.filters.network.http_connection_manager")
	}
	for k, f := range filters {
		np := elem(fp+".filters", k, f.GetName())
		b.rest(np, f, "name", "typed_config")
		if f.GetTypedConfig() == nil {
			continue // config_discovery, reported by rest
		}
		m, err := unpack(f.GetTypedConfig())
		if err != nil {
			b.errs.add(np+".typed_config", "%s", err)
			continue
		}
		hcm, ok := m.(*hcmv3.HttpConnectionManager)
		if !ok {
			b.unsupported.add(np, "network filter %s is not supported by hostsim (only the HTTP connection manager is)", f.GetTypedConfig().GetTypeUrl())
			continue
		}
		if k != len(filters)-1 {
			b.errs.add(np, "the HTTP connection manager is a terminal filter: it must be the last network filter of its chain")
		}
		httpFilters, vhosts := b.hcm(np+".typed_config", hcm)
		if !first {
			lis.OtherChainFilters = append(lis.OtherChainFilters, httpFilters...)
			continue
		}
		lis.HTTPFilters, lis.VirtualHosts = httpFilters, vhosts
		lis.StatPrefix, lis.AccessLog = hcm.GetStatPrefix(), len(hcm.GetAccessLog()) > 0
		lis.AccessLogFormat = b.accessLogFormat(np+".typed_config.access_log", hcm.GetAccessLog())
		lis.HCM = hcmOptions(hcm)
		lis.RouteHeadersToRemove = hcm.GetRouteConfig().GetRequestHeadersToRemove()
		lis.RouteResponseHeadersToRemove = hcm.GetRouteConfig().GetResponseHeadersToRemove()
		lis.RouteFilterDisabled = b.perFilterDisabled(np+".typed_config.route_config.typed_per_filter_config",
			hcm.GetRouteConfig().GetTypedPerFilterConfig())
	}
}

func (b *builder) hcm(p string, h *hcmv3.HttpConnectionManager) ([]HTTPFilter, []VirtualHost) {
	b.rest(p, h, hcmHandled...)
	if cp := h.GetCommonHttpProtocolOptions(); cp != nil {
		b.rest(p+".common_http_protocol_options", cp, "max_headers_count", "idle_timeout", "headers_with_underscores_action")
	}
	if hp := h.GetHttpProtocolOptions(); hp != nil {
		b.rest(p+".http_protocol_options", hp, "accept_http_10", "default_host_for_http_10", "allow_custom_methods", "enable_trailers", "allow_chunked_length")
	}
	switch c := h.GetCodecType(); c {
	case hcmv3.HttpConnectionManager_AUTO, hcmv3.HttpConnectionManager_HTTP1:
	default:
		b.unsupported.add(p+".codec_type", "codec %s is not supported by hostsim (AUTO and HTTP1 are)", c)
	}
	var filters []HTTPFilter
	hfs := h.GetHttpFilters()
	for i, hf := range hfs {
		fp := elem(p+".http_filters", i, hf.GetName())
		b.rest(fp, hf, "name", "typed_config", "is_optional", "disabled")
		tc := hf.GetTypedConfig()
		if tc == nil {
			continue // config_discovery, reported by rest
		}
		f := HTTPFilter{Name: hf.GetName(), TypeURL: tc.GetTypeUrl(), Path: fp, Disabled: hf.GetDisabled()}
		m, err := unpack(tc)
		if err != nil {
			b.errs.add(fp+".typed_config", "%s", err)
			continue
		}
		switch m := m.(type) {
		case *wasmfilterv3.Wasm:
			f.Wasm = b.wasm(fp+".typed_config", m)
		case *routerv3.Router:
			b.rest(fp+".typed_config", m)
			if i != len(hfs)-1 {
				b.errs.add(fp, "the router is a terminal filter: it must be the last HTTP filter, not %d of %d", i+1, len(hfs))
			}
		default:
			b.unsupported.add(fp, "HTTP filter %s is not supported by hostsim (wasm filters and the router are)", tc.GetTypeUrl())
		}
		filters = append(filters, f)
	}
	if len(hfs) == 0 {
		b.unsupported.add(p+".http_filters", "is empty: hostsim needs the router (envoy.filters.http.router) at the end")
	} else if last := hfs[len(hfs)-1]; last.GetTypedConfig().GetTypeUrl() != TypeURLRouter && last.GetTypedConfig() != nil {
		b.errs.add(elem(p+".http_filters", len(hfs)-1, last.GetName()),
			"the last HTTP filter must be a terminal filter, the router (%s); Envoy refuses a chain that ends with %s",
			TypeURLRouter, last.GetTypedConfig().GetTypeUrl())
	}
	return filters, b.routes(p+".route_config", h.GetRouteConfig())
}

func (b *builder) routes(p string, rc *routev3.RouteConfiguration) []VirtualHost {
	if rc == nil {
		return nil // rds or scoped_routes, reported by rest
	}
	b.rest(p, rc, "name", "virtual_hosts", "validate_clusters", "typed_per_filter_config", "request_headers_to_remove", "response_headers_to_remove")
	// Envoy checks the clusters of a static route table unless told not to.
	checkClusters := !b.dynamicClusters && (rc.GetValidateClusters() == nil || rc.GetValidateClusters().GetValue())
	var vhosts []VirtualHost
	domains := map[string]int{}
	for i, vh := range rc.GetVirtualHosts() {
		vp := elem(p+".virtual_hosts", i, vh.GetName())
		b.rest(vp, vh, "name", "domains", "routes", "typed_per_filter_config", "request_headers_to_remove", "response_headers_to_remove")
		for _, d := range vh.GetDomains() {
			if j, dup := domains[strings.ToLower(d)]; dup {
				b.errs.add(vp+".domains", "domain %q is also in virtual_hosts[%d]: Envoy permits each domain once per route configuration", d, j)
			}
			domains[strings.ToLower(d)] = i
		}
		v := VirtualHost{Name: vh.GetName(), Domains: vh.GetDomains(),
			FilterDisabled:          b.perFilterDisabled(vp+".typed_per_filter_config", vh.GetTypedPerFilterConfig()),
			RequestHeadersToRemove:  vh.GetRequestHeadersToRemove(),
			ResponseHeadersToRemove: vh.GetResponseHeadersToRemove()}
		for j, r := range vh.GetRoutes() {
			if route, ok := b.route(elem(vp+".routes", j, r.GetName()), r, checkClusters); ok {
				v.Routes = append(v.Routes, route)
			}
		}
		vhosts = append(vhosts, v)
	}
	return vhosts
}

// route returns a route to a cluster, a redirect or a direct response; ok is false for what the
// model cannot express (regex matches, ...), which rest reports.
func (b *builder) route(p string, r *routev3.Route, checkClusters bool) (route Route, ok bool) {
	b.rest(p, r, "name", "match", "route", "redirect", "direct_response", "typed_per_filter_config",
		"request_headers_to_remove", "response_headers_to_remove")
	route.RequestHeadersToRemove = r.GetRequestHeadersToRemove()
	route.ResponseHeadersToRemove = r.GetResponseHeadersToRemove()
	route.Name = r.GetName()
	route.FilterDisabled = b.perFilterDisabled(p+".typed_per_filter_config", r.GetTypedPerFilterConfig())
	mp := p + ".match"
	ok = true
	switch m := r.GetMatch().GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		route.Match = PathMatch{Kind: MatchPrefix, Value: m.Prefix}
	case *routev3.RouteMatch_Path:
		route.Match = PathMatch{Kind: MatchPath, Value: m.Path}
	case *routev3.RouteMatch_PathSeparatedPrefix:
		route.Match = PathMatch{Kind: MatchPathSeparatedPrefix, Value: m.PathSeparatedPrefix}
	default:
		ok = false
	}
	// Name the match kind itself, so that the message says what to use instead.
	var kind protoreflect.FieldDescriptor
	if r.GetMatch() != nil {
		kind = r.GetMatch().ProtoReflect().WhichOneof(r.GetMatch().ProtoReflect().Descriptor().Oneofs().ByName("path_specifier"))
	}
	if kind != nil && !ok {
		b.unsupported.add(field(mp, string(kind.Name())), "route match kind %s is not supported by hostsim (prefix, path and path_separated_prefix are)", kind.Name())
		b.rest(mp, r.GetMatch(), "prefix", "path", "path_separated_prefix", string(kind.Name()))
	} else {
		b.rest(mp, r.GetMatch(), "prefix", "path", "path_separated_prefix")
	}
	if rd := r.GetRedirect(); rd != nil {
		route.Redirect = b.redirect(p+".redirect", rd)
		return route, ok
	}
	if dr := r.GetDirectResponse(); dr != nil {
		route.DirectResponse = b.directResponse(p+".direct_response", dr)
		return route, ok
	}
	ra := r.GetRoute()
	if ra == nil {
		return route, false
	}
	ap := p + ".route"
	b.rest(ap, ra, "cluster", "timeout", "idle_timeout")
	if d := ra.GetIdleTimeout(); d != nil {
		t := d.AsDuration()
		route.IdleTimeout = &t
	}
	if checkClusters {
		if c := ra.GetCluster(); c != "" {
			b.checkCluster(ap+".cluster", c)
		}
		for i, wc := range ra.GetWeightedClusters().GetClusters() {
			b.checkCluster(elem(ap+".weighted_clusters.clusters", i, wc.GetName())+".name", wc.GetName())
		}
	}
	route.Cluster = ra.GetCluster()
	route.Timeout = defaultRouteTimeout
	if t := ra.GetTimeout(); t != nil {
		route.Timeout = t.AsDuration()
	}
	return route, ok && route.Cluster != ""
}

func (b *builder) checkCluster(p, name string) {
	if _, ok := b.clusters[name]; ok {
		return
	}
	known := make([]string, 0, len(b.clusters))
	for n := range b.clusters {
		known = append(known, n)
	}
	slices.Sort(known)
	if len(known) == 0 {
		b.errs.add(p, "no cluster named %q (static_resources.clusters is empty)", name)
		return
	}
	b.errs.add(p, "no cluster named %q (clusters: %s)", name, strings.Join(known, ", "))
}

func (b *builder) wasm(p string, w *wasmfilterv3.Wasm) *WasmPlugin {
	b.rest(p, w, "config")
	cp := p + ".config"
	pc := w.GetConfig()
	if pc == nil {
		b.errs.add(cp, "is required: the wasm plugin's configuration")
		return nil
	}
	b.rest(cp, pc, "name", "root_id", "vm_config", "configuration", "fail_open", "failure_policy", "allow_on_headers_stop_iteration")
	plugin := &WasmPlugin{Name: pc.GetName(), RootID: pc.GetRootId(), FailOpen: pc.GetFailOpen(),
		AllowOnHeadersStopIteration: pc.GetAllowOnHeadersStopIteration().GetValue()}
	switch fp := pc.GetFailurePolicy(); fp {
	case wasmv3.FailurePolicy_UNSPECIFIED: // fail_open decides
	case wasmv3.FailurePolicy_FAIL_OPEN:
		plugin.FailOpen = true
	case wasmv3.FailurePolicy_FAIL_CLOSED:
		plugin.FailOpen = false
	default:
		b.unsupported.add(cp+".failure_policy", "%s is not supported by hostsim (FAIL_CLOSED and FAIL_OPEN are)", fp)
	}
	var err error
	if plugin.Configuration, err = anyBytes(pc.GetConfiguration()); err != nil {
		b.errs.add(cp+".configuration", "%s", err)
	}

	vp := cp + ".vm_config"
	vm := pc.GetVmConfig()
	if vm == nil {
		b.errs.add(vp, "is required: Envoy needs the VM's runtime and code")
		return plugin
	}
	b.rest(vp, vm, "vm_id", "runtime", "code", "configuration", "allow_precompiled")
	plugin.VMID, plugin.Runtime = vm.GetVmId(), vm.GetRuntime()
	switch rt := vm.GetRuntime(); {
	case rt == "":
		b.errs.add(vp+".runtime", "is required, e.g. envoy.wasm.runtime.v8")
	case !slices.Contains(wasmRuntimes, rt):
		b.errs.add(vp+".runtime", "unknown Wasm runtime %q (Envoy knows %s)", rt, strings.Join(wasmRuntimes, ", "))
	case rt == "envoy.wasm.runtime.null":
		b.unsupported.add(vp+".runtime", "the null runtime runs plugins compiled into Envoy; hostsim runs .wasm modules")
	}
	if plugin.VMConfiguration, err = anyBytes(vm.GetConfiguration()); err != nil {
		b.errs.add(vp+".configuration", "%s", err)
	}
	code := vm.GetCode()
	if code == nil {
		b.errs.add(vp+".code", "is required: the .wasm module to run")
		return plugin
	}
	b.rest(vp+".code", code, "local")
	if local := code.GetLocal(); local != nil {
		b.rest(vp+".code.local", local, "filename")
		plugin.File = local.GetFilename()
	}
	return plugin
}

// anyBytes is what Envoy hands a plugin for a configuration Any: the value of a StringValue or
// BytesValue, the JSON of a Struct, the serialized message otherwise.
func anyBytes(a *anypb.Any) ([]byte, error) {
	if a == nil {
		return nil, nil
	}
	m, err := unpack(a)
	if err != nil {
		return nil, err
	}
	switch v := m.(type) {
	case *wrapperspb.StringValue:
		return []byte(v.GetValue()), nil
	case *wrapperspb.BytesValue:
		return v.GetValue(), nil
	case *structpb.Struct:
		b, err := protojson.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("cannot encode the Struct as JSON: %s", protoMessage(err))
		}
		return b, nil
	}
	return a.GetValue(), nil
}
