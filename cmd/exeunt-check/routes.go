package main

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/exeunt/exeunt/configschema"
	"github.com/exeunt/exeunt/core"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// warningPrefix starts a finding that may be legitimate: printed, but the exit status
// stays 0 (RATIONALE.md, "Why exeunt-check follows Envoy's routes").
const warningPrefix = "warning: "

// routeFindings judges where an Envoy bootstrap's routes send requests against Exeunt's
// configurations in it. Errors: a path a client owns reaches an upstream without the
// filter (a route that disables it, a filter chain or listener without it, a tcp_proxy
// to a client's cluster), or a route rewrites a path the filter passes onto one a client
// owns. Warnings: the connection manager's path options, filter-free routes that strip
// nothing, routes it cannot see (RDS) or judge (dynamic clusters, path templates).
//
// Paths are judged by probing: for each route, the paths Exeunt's configuration names
// (each client's prefixes, each public prefix, each logout landing) and the route's own
// value, each with and without a segment below, are run through the route's match, the
// earlier routes of its virtual host (first match wins), the router's rewrite, and
// core's Classify, the filter's own decision.
func routeFindings(data []byte) []string {
	rt, err := envoyconfig.LoadRouting(data)
	if err != nil {
		return nil // Extract reported it
	}
	j := &routeJudge{clientClusters: map[string][]*core.Client{}}
	var all []exeuntFilter
	var matched []string            // errors: Exeunt's filter behind a matcher, or not starting
	own := map[int][]exeuntFilter{} // chain index -> Exeunt's filters in it
	broken := map[int]bool{}        // chains whose Exeunt filter would not start (fail closed)
	passThrough := map[int]bool{}
	for i := range rt.Chains {
		ch := &rt.Chains[i]
		if ch.HCM == nil {
			continue
		}
		for _, f := range ch.HCM.Filters {
			if !f.Wasm || f.RootID != configschema.RootID {
				continue
			}
			if f.Matched {
				matched = append(matched, fmt.Sprintf("%s: Exeunt's filter %q is wrapped in an ExtensionWithMatcher, so it is skipped wherever the matcher says, which exeunt-check cannot follow and Exeunt cannot see: install it unwrapped, and disable it on the routes that must be public (typed_per_filter_config)", chainName(ch), f.Name))
				continue
			}
			cfg, err := core.ParseConfig(f.Configuration)
			if err != nil {
				// check only calls routeFindings when every configuration Extract found
				// (every filter chain's) parses; kept so that one it missed fails closed.
				matched = append(matched, fmt.Sprintf("%s: Exeunt's filter %q: %v", chainName(ch), f.Name, err))
				broken[i] = true
				continue
			}
			if !cfg.SignInEnabled() {
				passThrough[i] = true // signs nobody in: judged as a chain without the filter
				continue
			}
			e := exeuntFilter{name: f.Name, disabled: f.Disabled, cfg: cfg}
			all = append(all, e)
			own[i] = append(own[i], e)
		}
	}
	if len(all) == 0 {
		return matched
	}
	j.out = matched
	// Pass 1: the clusters each client's protected requests are sent to, through the filter.
	for i := range rt.Chains {
		ch := &rt.Chains[i]
		if ch.HCM == nil {
			continue
		}
		for _, e := range own[i] {
			for _, vh := range ch.HCM.VirtualHosts {
				for ri, r := range vh.Routes {
					if !r.Forwards || !filterRuns(e, ch.HCM, &vh, &r) {
						continue
					}
					for _, pr := range j.probes(e.cfg, &vh, vh.Routes[:ri], &r) {
						if c := e.cfg.Classify(pr.request()); c.Class == core.ClassClient {
							for _, cl := range r.Clusters {
								if !slices.Contains(j.clientClusters[cl], c.Client) {
									j.clientClusters[cl] = append(j.clientClusters[cl], c.Client)
								}
							}
						}
					}
				}
			}
		}
	}
	// Which listeners run Exeunt's filter (signing in) on some chain: a chain of such a
	// listener without it is a sibling chain, which Envoy gives the connections its
	// filter_chain_match takes.
	runsOn := map[string]string{} // listener -> the first chain that runs the filter
	j.runsOnChain = runsOn
	for i := range rt.Chains {
		if ch := &rt.Chains[i]; len(own[i]) > 0 && runsOn[ch.Listener] == "" {
			runsOn[ch.Listener] = chainName(ch)
		}
	}
	// Pass 2: each chain and route.
	for i := range rt.Chains {
		ch := &rt.Chains[i]
		sibling := len(own[i]) == 0 && !broken[i] && runsOn[ch.Listener] != ""
		before := len(j.out)
		j.chain(ch, own[i], all, broken[i], passThrough[i], sibling)
		if sibling && !namesChain(j.out[before:], chainName(ch)) && forwards(ch) {
			what := "it has no Exeunt filter"
			if passThrough[i] {
				what = "its Exeunt filter is in pass-through mode (it signs nobody in)"
			}
			j.warnf("%s: %s, while %s of the same listener runs it: Envoy gives each connection one filter chain (by destination port and address, server name, transport and application protocol, source), which exeunt-check does not decide, so whether a request to this listener meets Exeunt depends on its connection, not only on its host and path; make sure no client's traffic can select this chain, or add Exeunt's filter to it", chainName(ch), what, runsOn[ch.Listener])
		}
	}
	return j.out
}

// chain judges one filter chain: its tcp_proxy clusters and every forwarding route.
func (j *routeJudge) chain(ch *envoyconfig.RoutingChain, own, all []exeuntFilter, broken, passThrough, sibling bool) {
	where := chainName(ch)
	for _, cl := range ch.TCPClusters {
		for _, c := range j.clientClusters[cl] {
			j.errorf("%s: a tcp_proxy sends whole connections to cluster %q, which serves client %q's protected paths, with no HTTP filter at all: every path of the app is reachable without a session; remove it, or send the traffic through Exeunt's filter", where, cl, c.ClientID)
		}
	}
	if ch.HCM == nil {
		return
	}
	if len(own) > 0 {
		j.pathOptions(where, ch.HCM.Options)
	}
	if ch.HCM.RDS {
		j.warnf("%s: the routes come from RDS or scoped routes, which exeunt-check cannot see: check them against Exeunt's configuration yourself", where)
		return
	}
	if broken {
		return // its plugin does not start: Envoy answers 503 (reported above)
	}
	judgeWith := own
	hasFilter := len(own) > 0
	if !hasFilter {
		judgeWith = all // a chain without the filter is judged against every configuration
	}
	for vi := range ch.HCM.VirtualHosts {
		vh := &ch.HCM.VirtualHosts[vi]
		for ri := range vh.Routes {
			if !vh.Routes[ri].Forwards {
				continue // a redirect or a direct response reaches no app
			}
			for _, e := range judgeWith {
				j.route(where, ch, vh, ri, e, hasFilter, passThrough, sibling)
			}
		}
	}
}

// namesChain reports whether one of findings is an error about the chain named where.
func namesChain(findings []string, where string) bool {
	return slices.ContainsFunc(findings, func(f string) bool {
		// Errors only: a warning starts with warningPrefix.
		return strings.HasPrefix(f, where+",") || strings.HasPrefix(f, where+":")
	})
}

// forwards reports whether a chain may send anything upstream: a route to a cluster,
// routes it cannot see (RDS), or a network filter other than the connection manager.
func forwards(ch *envoyconfig.RoutingChain) bool {
	if ch.HCM == nil || ch.HCM.RDS {
		return true
	}
	for _, vh := range ch.HCM.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Forwards {
				return true
			}
		}
	}
	return false
}

// namesHost says how a chain takes host by name, not only through a "*" domain: a virtual
// host domain other than "*", or the chain's filter_chain_match.server_names (Envoy's exact
// and "*." wildcard server names, matched against the host without its port); "" if not.
func namesHost(ch *envoyconfig.RoutingChain, vh *envoyconfig.RoutingVirtualHost, host string) string {
	for _, d := range vh.Domains {
		d = strings.ToLower(d)
		if d != "*" && (d == host ||
			strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(host) > len(d)-1 ||
			strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(host) > len(d)-1) {
			return fmt.Sprintf("its virtual host's domain %q", d)
		}
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	for _, n := range ch.ServerNames {
		if n == name || strings.HasPrefix(n, "*.") && strings.HasSuffix(name, n[1:]) {
			return fmt.Sprintf("its filter_chain_match's server name %q", n)
		}
	}
	return ""
}

type exeuntFilter struct {
	name     string // in http_filters: the key of typed_per_filter_config
	disabled bool
	cfg      *core.Config
}

type routeJudge struct {
	clientClusters map[string][]*core.Client
	// runsOnChain: listener -> the name of its first chain that runs Exeunt's filter.
	runsOnChain map[string]string
	out         []string
}

func (j *routeJudge) runsOn(ch *envoyconfig.RoutingChain) string { return j.runsOnChain[ch.Listener] }

func (j *routeJudge) errorf(format string, a ...any) {
	j.out = appendOnce(j.out, fmt.Sprintf(format, a...))
}

func (j *routeJudge) warnf(format string, a ...any) {
	j.out = appendOnce(j.out, warningPrefix+fmt.Sprintf(format, a...))
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// pathOptions warns when the connection manager lets the filter and an app read one path
// two ways (docs/security-model.md, "Envoy's path options").
func (j *routeJudge) pathOptions(where string, o envoyconfig.HCMOptions) {
	var missing []string
	if !o.NormalizePath {
		missing = append(missing, "normalize_path: true")
	}
	if !o.MergeSlashes {
		missing = append(missing, "merge_slashes: true")
	}
	if o.EscapedSlashes != envoyconfig.EscapedSlashesReject && o.EscapedSlashes != envoyconfig.EscapedSlashesUnescapeRedirect {
		missing = append(missing, "path_with_escaped_slashes_action: REJECT_REQUEST (or UNESCAPE_AND_REDIRECT; it is "+string(o.EscapedSlashes)+")")
	}
	if len(missing) > 0 {
		j.warnf("%s: the HTTP connection manager lacks %s: Envoy's router and an app may then read a path with dot segments, \"//\" or %%2F as another path than the one Exeunt matched, and a route without the filter or with a rewrite may reach more than it names; set them (docs/security-model.md, \"Envoy's path options\")", where, strings.Join(missing, ", "))
	}
}

// filterRuns is Envoy's RouteEntryImplBase::filterDisabled for Exeunt's filter: the
// route's typed_per_filter_config, else the virtual host's, else the route
// configuration's, else the filter's own disabled.
func filterRuns(e exeuntFilter, h *envoyconfig.RoutingHCM, vh *envoyconfig.RoutingVirtualHost, r *envoyconfig.RoutingRoute) bool {
	for _, m := range []map[string]envoyconfig.FilterSwitch{r.FilterSwitch, vh.FilterSwitch, h.FilterSwitch} {
		switch m[e.name] {
		case envoyconfig.FilterSwitchOff:
			return false
		case envoyconfig.FilterSwitchOn:
			return true
		}
	}
	return !e.disabled
}

// otherSwitch names where a route-specific configuration of another type than FilterConfig
// (such as ExtensionWithMatcherPerRoute) is given for Exeunt's filter, or "".
func otherSwitch(e exeuntFilter, h *envoyconfig.RoutingHCM, vh *envoyconfig.RoutingVirtualHost, r *envoyconfig.RoutingRoute) string {
	for i, m := range []map[string]envoyconfig.FilterSwitch{r.FilterSwitch, vh.FilterSwitch, h.FilterSwitch} {
		if m[e.name] == envoyconfig.FilterSwitchOther {
			return []string{"the route's", "the virtual host's", "the route configuration's"}[i]
		}
	}
	return ""
}

// route judges one forwarding route against one configuration.
func (j *routeJudge) route(where string, ch *envoyconfig.RoutingChain, vh *envoyconfig.RoutingVirtualHost, ri int, e exeuntFilter, hasFilter, passThrough, sibling bool) {
	h := ch.HCM
	r := &vh.Routes[ri]
	rname := routeName(where, vh, r)
	runs := hasFilter && filterRuns(e, h, vh, r)
	why := "Exeunt's filter is disabled on it (typed_per_filter_config)"
	switch {
	case passThrough:
		why = "Exeunt's filter on its filter chain is in pass-through mode (it signs nobody in)"
	case !hasFilter:
		why = "its filter chain has no Exeunt filter"
	}
	if w := otherSwitch(e, h, vh, r); hasFilter && w != "" {
		j.warnf("%s: %s typed_per_filter_config gives Exeunt's filter %q a configuration that is not an envoy.config.route.v3.FilterConfig, which exeunt-check cannot follow: use a FilterConfig (disabled: true) to switch the filter off", rname, w, e.name)
	}
	clusters := strings.Join(r.Clusters, ", ")
	if r.DynamicCluster {
		clusters += " (or a cluster chosen per request)"
	}
	exposed := false
	seen := map[string]bool{} // one finding per route, kind and client
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	probes := j.probes(e.cfg, vh, vh.Routes[:ri], r)
	for _, pr := range probes {
		c := e.cfg.Classify(pr.request())
		up, known := rewrite(r, pr.path)
		upHost := pr.host
		if r.HostRewrite != "" {
			upHost = r.HostRewrite
		}
		if !known {
			if c.Class == core.ClassPublic || !runs {
				j.warnf("%s: rewrites the path with path_rewrite_policy or a path_rewrite format, which exeunt-check cannot follow: make sure no path Exeunt passes (%s, %s) becomes a client's protected path upstream", rname, pr.path, c.Rule)
			}
			continue
		}
		uc := e.cfg.Classify(core.Request{Method: "GET", Scheme: pr.scheme, Authority: upHost, Path: up})
		switch {
		case !runs && c.Class == core.ClassClient && hasFilter:
			exposed = true
			if once("off|" + c.Client.ClientID) {
				j.errorf("%s: %s, so %s on host %s, which client %q owns (%s), reaches cluster %s without a session and without the identity headers stripped: remove the typed_per_filter_config that disables the filter, narrow the route to paths no client owns, or declare the path public in Exeunt's configuration (public_path_prefixes)", rname, why, pr.path, pr.host, c.Client.ClientID, c.Rule, clusters)
			}
		case !runs && sibling && c.Class == core.ClassClient && namesHost(ch, vh, pr.host) != "":
			// The listener serves the client through another chain, and this one is set up
			// for the client's host: Envoy gives it the connections its match takes.
			exposed = true
			if once("sib|" + c.Client.ClientID) {
				j.errorf("%s: %s, while %s of the same listener runs it, and this chain takes client %q's host %s by name (%s): on a connection Envoy gives this chain, %s, which the client owns (%s), reaches cluster %s without a session; add Exeunt's filter to this chain, or take the client's host out of it", rname, why, j.runsOn(ch), c.Client.ClientID, pr.host, namesHost(ch, vh, pr.host), pr.path, c.Rule, clusters)
			}
		case !runs && uc.Class == core.ClassClient && up != pr.path:
			exposed = true
			if once("offrw|" + uc.Client.ClientID) {
				j.errorf("%s: %s, and it rewrites %s to %s, which client %q owns (%s): the app receives its protected path without a session; remove the rewrite or run the filter on this route", rname, why, pr.path, up, uc.Client.ClientID, uc.Rule)
			}
		case runs && c.Class == core.ClassPublic && uc.Class == core.ClassClient:
			exposed = true
			if once("rw|" + uc.Client.ClientID) {
				j.errorf("%s: rewrites %s, which Exeunt passes without a session (%s), to %s, which client %q owns (%s): Envoy's router rewrites after the filter has decided, so the app receives its protected path without a session; rewrite onto a path the client does not own, or remove the public rule", rname, pr.path, c.Rule, up, uc.Client.ClientID, uc.Rule)
			}
		}
		if !runs {
			// A filter-free route to a cluster that serves a client: any host reaches it.
			for _, cl := range r.Clusters {
				for _, client := range j.clientClusters[cl] {
					if hostlessOwner(e.cfg, client, up) && !seen["off|"+client.ClientID] && !seen["sib|"+client.ClientID] && once("cluster|"+client.ClientID) {
						exposed = true
						j.errorf("%s: %s, and it sends %s to cluster %q, which serves client %q's protected paths (the routes through the filter send them there): the app receives the path without a session; remove the route, narrow it to paths the client does not own, or send it through Exeunt's filter", rname, why, up, cl, client.ClientID)
					}
				}
			}
		}
	}
	if runs || exposed {
		return
	}
	if r.MatchKind == "safe_regex" && len(probes) == 0 {
		// A regex none of the probe paths meets: which paths it takes is not followed, so
		// "exposes nothing" cannot be said of it where it reaches a client's app.
		var served []string
		for _, cl := range r.Clusters {
			var ids []string
			for _, c := range j.clientClusters[cl] {
				ids = append(ids, fmt.Sprintf("%q", c.ClientID))
			}
			if len(ids) > 0 {
				served = append(served, fmt.Sprintf("cluster %q serves the protected paths of client %s", cl, strings.Join(ids, ", ")))
			}
		}
		if len(served) > 0 {
			j.warnf("%s: %s, and its regex matches none of the paths exeunt-check tries (those Exeunt's configuration names, with a segment below), so exeunt-check cannot follow which paths it takes; it reaches a client's app (%s): make sure the regex takes no path a client owns (declare any it takes public in Exeunt's configuration), or run Exeunt's filter on this route", rname, why, strings.Join(served, "; "))
			return
		}
	}
	if r.DynamicCluster && !hasFilter {
		j.warnf("%s: %s and it picks its cluster per request (cluster_header or a cluster specifier): make sure it cannot reach a client's app", rname, why)
	}
	if !hasFilter && !j.servesClient(r.Clusters) {
		return // an upstream that serves no client, on a chain without the filter
	}
	if missing := unstripped(e.cfg, h, vh, r); len(missing) > 0 {
		j.warnf("%s: %s; it exposes no protected path, but nothing strips what the filter would: add %s to its request_headers_to_remove (and \"set-cookie\" to response_headers_to_remove), as envoy.yaml's /favicon.ico route does (docs/security-model.md)", rname, why, strings.Join(missing, ", "))
	}
}

func (j *routeJudge) servesClient(clusters []string) bool {
	for _, c := range clusters {
		if len(j.clientClusters[c]) > 0 {
			return true
		}
	}
	return false
}

// hostlessOwner reports whether path is one client owns on any of its hosts.
func hostlessOwner(cfg *core.Config, client *core.Client, path string) bool {
	scheme := "https"
	if u, err := url.Parse(cfg.IssuerOrigin); err == nil {
		scheme = u.Scheme
	}
	for _, h := range client.Hosts {
		c := cfg.Classify(core.Request{Method: "GET", Scheme: scheme, Authority: h, Path: path})
		if c.Class == core.ClassClient && c.Client == client {
			return true
		}
	}
	return false
}

// unstripped lists what a filter-free route leaves for the app that the filter would
// remove: the identity headers and the cookie (request) and set-cookie (response).
func unstripped(cfg *core.Config, h *envoyconfig.RoutingHCM, vh *envoyconfig.RoutingVirtualHost, r *envoyconfig.RoutingRoute) []string {
	removed := map[string]bool{}
	for _, l := range [][]string{r.RequestHeadersToRemove, vh.RequestHeadersToRemove, h.RequestHeadersToRemove} {
		for _, n := range l {
			removed[strings.ToLower(n)] = true
		}
	}
	ih := cfg.IdentityHeaders
	var missing []string
	for _, n := range []string{"cookie", ih.Sub, ih.Email, ih.EmailVerified, ih.Name, ih.IDP, ih.SID, ih.Assertion, ih.SessionState, "x-original-url", "x-rewrite-url"} {
		if n != "" && !removed[strings.ToLower(n)] {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	resp := false
	for _, l := range [][]string{r.ResponseHeadersToRemove, vh.ResponseHeadersToRemove, h.ResponseHeadersToRemove} {
		resp = resp || slices.ContainsFunc(l, func(n string) bool { return strings.EqualFold(n, "set-cookie") })
	}
	if !resp && len(missing) == 0 {
		missing = append(missing, `"set-cookie" (response)`)
	}
	return missing
}

// probe is one request a route is tried with.
type probe struct{ scheme, host, path string }

func (p probe) request() core.Request {
	return core.Request{Method: "GET", Scheme: p.scheme, Authority: p.host, Path: p.path}
}

// probeSegment is the segment added below a prefix to probe what lies under it.
const probeSegment = "exeunt-check-probe"

// probes are the requests that the route takes (its match, not an earlier unconditional
// route's), on the hosts of the configuration that the virtual host's domains accept.
func (j *routeJudge) probes(cfg *core.Config, vh *envoyconfig.RoutingVirtualHost, earlier []envoyconfig.RoutingRoute, r *envoyconfig.RoutingRoute) []probe {
	scheme := "https"
	if u, err := url.Parse(cfg.IssuerOrigin); err == nil {
		scheme = u.Scheme
	}
	var prefixes, exact []string
	for _, c := range cfg.Clients {
		prefixes = append(prefixes, c.PathPrefixes...)
		prefixes = append(prefixes, c.PublicPathPrefixes...)
		for _, u := range append([]string{c.FrontchannelLogoutURI}, c.PostLogoutRedirectURIs...) {
			if pu, err := url.Parse(u); err == nil && pu.Path != "" {
				exact = append(exact, pu.Path)
			}
		}
	}
	prefixes = append(prefixes, cfg.PublicPathPrefixes...)
	switch r.MatchKind {
	case "prefix", "path_separated_prefix":
		prefixes = append(prefixes, r.MatchValue)
	case "path":
		exact = append(exact, r.MatchValue)
	}
	prefixes = append(prefixes, "/")
	paths := exact
	for _, p := range prefixes {
		if p == "" {
			continue
		}
		paths = append(paths, p, strings.TrimSuffix(p, "/"), strings.TrimSuffix(p, "/")+"/"+probeSegment)
		if !strings.HasSuffix(p, "/") {
			paths = append(paths, p+probeSegment) // a string prefix also matches "/app1x"
		}
	}
	hosts := hostsFor(cfg, vh.Domains)
	if len(hosts) == 0 {
		// A virtual host for no client's host: what the filter makes of it does not
		// depend on the name, and a cluster judges its paths on any host.
		hosts = []string{"exeunt-check.invalid"}
	}
	var out []probe
	for _, h := range hosts {
		for _, p := range paths {
			if p == "" || !matches(r, p, true) || slices.ContainsFunc(earlier, func(e envoyconfig.RoutingRoute) bool {
				return !e.Conditional && matches(&e, p, false)
			}) {
				continue
			}
			pr := probe{scheme, h, p}
			if !slices.Contains(out, pr) {
				out = append(out, pr)
			}
		}
	}
	return out
}

// hostsFor are the configuration's client hosts a virtual host with these domains takes
// (Envoy's domain patterns: "*", "*.suffix", "prefix*", exact; a client host without a port
// also arrives with any port a domain names).
func hostsFor(cfg *core.Config, domains []string) []string {
	var out []string
	add := func(h string) {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	for _, c := range cfg.Clients {
		for _, h := range c.Hosts {
			for _, d := range domains {
				d = strings.ToLower(d)
				switch {
				case d == "*", d == h,
					strings.HasPrefix(d, "*") && strings.HasSuffix(h, d[1:]) && len(h) > len(d)-1,
					strings.HasSuffix(d, "*") && strings.HasPrefix(h, d[:len(d)-1]) && len(h) > len(d)-1:
					add(h)
				case !strings.Contains(h, ":") && strings.HasPrefix(d, h+":") && !strings.Contains(d, "*"):
					add(d)
				}
			}
		}
	}
	return out
}

// matches is Envoy's path match for one route; unknown says what to answer for a match
// exeunt-check cannot evaluate (path templates, CONNECT, an invalid regex).
func matches(r *envoyconfig.RoutingRoute, path string, unknown bool) bool {
	v := r.MatchValue
	// case_sensitive is "Ignored for safe_regex matching" (RouteMatch in
	// envoy/config/route/v3/route_components.proto, as go-control-plane envoy v1.40.0 carries it).
	if r.CaseInsensitive && r.MatchKind != "safe_regex" {
		path, v = strings.ToLower(path), strings.ToLower(v)
	}
	switch r.MatchKind {
	case "prefix":
		return strings.HasPrefix(path, v)
	case "path":
		return path == v
	case "path_separated_prefix":
		return path == v || strings.HasPrefix(path, v+"/")
	case "safe_regex":
		// Envoy's RE2 must match the whole path (RegexMatcher's full match).
		re, err := regexp.Compile(`^(?:` + r.MatchValue + `)$`)
		if err != nil {
			return unknown
		}
		return re.MatchString(path)
	}
	return unknown
}

// rewrite is the path the router sends upstream (RouteEntryImplBase::finalizePathHeader
// in Envoy's source/common/router/config_impl.cc); known is false for a rewrite it cannot
// follow (path_rewrite_policy).
func rewrite(r *envoyconfig.RoutingRoute, path string) (string, bool) {
	switch {
	case r.PathRewriteOther:
		return "", false
	case r.PathRewriteLiteral:
		return r.PrefixRewrite, true
	case r.HasPrefixRewrite:
		switch r.MatchKind {
		case "prefix", "path", "path_separated_prefix":
			if len(path) >= len(r.MatchValue) {
				return r.PrefixRewrite + path[len(r.MatchValue):], true
			}
		}
		return "", false
	case r.HasRegexRewrite:
		re, err := regexp.Compile(r.RegexRewrite)
		if err != nil {
			return "", false
		}
		// RE2's GlobalReplace: \1 names a group, \\ a backslash.
		sub := regexp.MustCompile(`\\(\d|\\)`).ReplaceAllStringFunc(strings.ReplaceAll(r.RegexSubstitute, "$", "$$"), func(m string) string {
			if m == `\\` {
				return `\`
			}
			return "${" + m[1:] + "}"
		})
		return re.ReplaceAllString(path, sub), true
	}
	return path, true
}

// chainName names a chain and, where its listener has several, which connections Envoy
// gives it, so that a finding says which traffic it is about.
func chainName(ch *envoyconfig.RoutingChain) string {
	switch {
	case ch.Index < 0 && ch.Chains > 1:
		return fmt.Sprintf("listener %q, default_filter_chain (the connections no filter chain matches)", ch.Listener)
	case ch.Index < 0:
		return fmt.Sprintf("listener %q, default_filter_chain", ch.Listener)
	case ch.Match != "" && ch.Chains > 1:
		return fmt.Sprintf("listener %q, filter_chains[%d] (filter_chain_match: %s)", ch.Listener, ch.Index, ch.Match)
	}
	return fmt.Sprintf("listener %q, filter_chains[%d]", ch.Listener, ch.Index)
}

func routeName(where string, vh *envoyconfig.RoutingVirtualHost, r *envoyconfig.RoutingRoute) string {
	s := fmt.Sprintf("%s, virtual host %q, routes[%d]", where, vh.Name, r.Index)
	if r.Name != "" {
		s += fmt.Sprintf(" (%q)", r.Name)
	}
	if r.MatchValue != "" {
		s += fmt.Sprintf(" (match %s %q)", r.MatchKind, r.MatchValue)
	} else {
		s += fmt.Sprintf(" (match %s)", r.MatchKind)
	}
	return s
}
