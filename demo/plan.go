package demo

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/exeunt/exeunt/demo/app"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// plan is what the demo starts, read from envoy.yaml: the listener Exeunt serves on, the
// provider to run (and what to register at it), and the apps.
type plan struct {
	listener envoyconfig.Listener
	issuer   string
	origin   string // the issuer's scheme://host[:port]
	host     string // the issuer's host[:port], as browsers send it in Host
	health   string // Exeunt's health path
	ready    string // Exeunt's readiness path (ready_path)

	provider providerPlan
	apps     []appPlan
}

type providerPlan struct {
	scheme, issuer, clientID, clientSecret string
	// port is where the demo provider listens on 127.0.0.1: the provider cluster's endpoint.
	port int
	// What Exeunt's registration at the provider needs: Exeunt's callback, post-logout and
	// back-channel logout URLs, and its front-channel logout URL (for the v6 provider).
	redirectURI, postLogoutURI, backchannelURI, frontchannelURI string
}

type appPlan struct {
	config  app.Config
	cluster string
	addr    string // where the app listens: its cluster's endpoint
	url     string // its first page, for the browser
}

// pluginConfig is the part of Exeunt's configuration the demo needs. The filter itself
// checks the whole of it strictly; this reads leniently and checks only what the demo
// relies on.
type pluginConfig struct {
	Issuer     string `json:"issuer"`
	HealthPath string `json:"health_path"`
	ReadyPath  string `json:"ready_path"`
	Providers  []struct {
		Scheme                 string `json:"scheme"`
		Issuer                 string `json:"issuer"`
		ClientID               string `json:"client_id"`
		ClientSecret           string `json:"client_secret"`
		Cluster                string `json:"cluster"`
		CallbackPath           string `json:"callback_path"`
		SignoutCallbackPath    string `json:"signout_callback_path"`
		BackchannelLogoutPath  string `json:"backchannel_logout_path"`
		FrontchannelLogoutPath string `json:"frontchannel_logout_path"`
	} `json:"providers"`
	Clients []struct {
		ClientID               string   `json:"client_id"`
		Name                   string   `json:"name"`
		Hosts                  []string `json:"hosts"`
		PathPrefixes           []string `json:"path_prefixes"`
		PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
		FrontchannelLogoutURI  string   `json:"frontchannel_logout_uri"`
		BackchannelLogoutURI   string   `json:"backchannel_logout_uri"`
		BackchannelCluster     string   `json:"backchannel_cluster"`
	} `json:"clients"`
	IdentityHeaders struct {
		Sub       string `json:"sub"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		IdP       string `json:"idp"`
		SID       string `json:"sid"`
		Assertion string `json:"assertion"`

		EmailVerified string `json:"email_verified"`
	} `json:"identity_headers"`
}

var accents = []string{"#3557c5", "#0f7b6c", "#8a4fbf", "#b4531a"}

// makePlan reads the demo out of an envoy.yaml already loaded. Anything the demo cannot run
// (a provider that is not local, an app without a route, ...) is an error that says what to
// change.
func makePlan(cfg *envoyconfig.Config) (*plan, error) {
	var p plan
	var plugin *envoyconfig.WasmPlugin
	for _, l := range cfg.Listeners {
		for _, f := range l.HTTPFilters {
			if f.Wasm != nil && f.Wasm.RootID == "exeunt" {
				if plugin != nil {
					return nil, fmt.Errorf("more than one Exeunt filter: the demo runs one (listener %q)", l.Name)
				}
				plugin, p.listener = f.Wasm, l
			}
		}
	}
	if plugin == nil {
		return nil, fmt.Errorf("no Exeunt filter (a wasm filter with root_id exeunt) in any listener")
	}
	var pc pluginConfig
	if err := json.Unmarshal(plugin.Configuration, &pc); err != nil {
		return nil, fmt.Errorf("Exeunt's configuration (listener %q) is not JSON: %w", p.listener.Name, err)
	}
	if pc.Issuer == "" || len(pc.Clients) == 0 || len(pc.Providers) == 0 {
		return nil, fmt.Errorf("Exeunt's configuration (listener %q) has no issuer, providers and clients: the demo needs sign-in configured", p.listener.Name)
	}
	iss, err := url.Parse(pc.Issuer)
	if err != nil || iss.Host == "" {
		return nil, fmt.Errorf("Exeunt's issuer %q is not a URL", pc.Issuer)
	}
	p.issuer, p.origin, p.host = pc.Issuer, iss.Scheme+"://"+iss.Host, iss.Host
	if !isLocal(iss.Hostname()) {
		return nil, fmt.Errorf("Exeunt's issuer %s is not on this machine: the demo serves it from listener %q at %s", pc.Issuer, p.listener.Name, p.listener.Address)
	}
	if _, lport, _ := net.SplitHostPort(p.listener.Address); lport != portOf(iss) {
		return nil, fmt.Errorf("Exeunt's issuer %s has port %s, but listener %q listens on %s: make them the same", pc.Issuer, portOf(iss), p.listener.Name, p.listener.Address)
	}
	p.health = pc.HealthPath
	if p.health == "" {
		p.health = "/exeunt/healthz"
	}
	p.ready = pc.ReadyPath
	if p.ready == "" {
		p.ready = DefaultReadyPath
	}

	if len(pc.Providers) != 1 {
		return nil, fmt.Errorf("Exeunt's configuration has %d providers: the demo runs exactly one", len(pc.Providers))
	}
	pr := pc.Providers[0]
	piss, err := url.Parse(pr.Issuer)
	if err != nil || piss.Scheme != "http" || !isLocal(piss.Hostname()) || piss.Port() == "" || strings.Trim(piss.Path, "/") != "" {
		return nil, fmt.Errorf("provider %q: issuer %q: the demo provider runs at http://127.0.0.1:PORT (or http://localhost:PORT)", pr.Scheme, pr.Issuer)
	}
	cl, ok := cfg.Cluster(pr.Cluster)
	if !ok || len(cl.Endpoints) != 1 {
		return nil, fmt.Errorf("provider %q: cluster %q must exist and have one endpoint", pr.Scheme, pr.Cluster)
	}
	if cl.Endpoints[0] != "127.0.0.1:"+piss.Port() {
		return nil, fmt.Errorf("provider %q: cluster %q reaches %s, but the provider's issuer %s is at 127.0.0.1:%s: make them the same", pr.Scheme, pr.Cluster, cl.Endpoints[0], pr.Issuer, piss.Port())
	}
	port, _ := strconv.Atoi(piss.Port())
	p.provider = providerPlan{scheme: pr.Scheme, issuer: pr.Issuer, clientID: pr.ClientID, clientSecret: pr.ClientSecret, port: port,
		redirectURI:     p.origin + orDefault(pr.CallbackPath, "/signin-"+pr.Scheme),
		postLogoutURI:   p.origin + orDefault(pr.SignoutCallbackPath, "/signout-callback-"+pr.Scheme),
		backchannelURI:  p.origin + orDefault(pr.BackchannelLogoutPath, "/backchannel-"+pr.Scheme),
		frontchannelURI: p.origin + orDefault(pr.FrontchannelLogoutPath, "/signout-"+pr.Scheme),
	}

	h := pc.IdentityHeaders
	headers := app.Headers{
		Sub: orDefault(h.Sub, app.DefaultHeaders.Sub), Email: orDefault(h.Email, app.DefaultHeaders.Email),
		Name: orDefault(h.Name, app.DefaultHeaders.Name), IdP: orDefault(h.IdP, app.DefaultHeaders.IdP),
		SID: orDefault(h.SID, app.DefaultHeaders.SID), Assertion: orDefault(h.Assertion, app.DefaultHeaders.Assertion),
		EmailVerified: orDefault(h.EmailVerified, app.DefaultHeaders.EmailVerified),
	}
	seen := map[string]string{}
	for i, c := range pc.Clients {
		prefixes := c.PathPrefixes
		if len(prefixes) == 0 {
			prefixes = []string{"/"}
		}
		prefix := prefixes[0]
		if !strings.HasSuffix(prefix, "/") {
			return nil, fmt.Errorf("client %q: the demo app needs a path prefix ending in / (it has %q)", c.ClientID, prefix)
		}
		if len(c.Hosts) == 0 || !strings.EqualFold(c.Hosts[0], p.host) {
			return nil, fmt.Errorf("client %q: the demo apps share Exeunt's host %s (the session cookie is set there); its hosts are %q", c.ClientID, p.host, c.Hosts)
		}
		if len(c.PostLogoutRedirectURIs) == 0 {
			return nil, fmt.Errorf("client %q: the demo app needs a post_logout_redirect_uri (its signed-out page)", c.ClientID)
		}
		plr, err := url.Parse(c.PostLogoutRedirectURIs[0])
		if err != nil || plr.Path == "" {
			return nil, fmt.Errorf("client %q: post_logout_redirect_uris[0] %q has no path", c.ClientID, c.PostLogoutRedirectURIs[0])
		}
		public := path.Dir(plr.Path) + "/"
		cluster := routeCluster(p.listener, prefix)
		if cluster == "" {
			return nil, fmt.Errorf("client %q: no route in listener %q matches its path prefix %s", c.ClientID, p.listener.Name, prefix)
		}
		if pub := routeCluster(p.listener, public); pub != cluster {
			return nil, fmt.Errorf("client %q: its signed-out page %s is routed to cluster %q, not to its own cluster %q", c.ClientID, plr.Path, pub, cluster)
		}
		if c.BackchannelLogoutURI != "" && c.BackchannelCluster != cluster {
			return nil, fmt.Errorf("client %q: backchannel_cluster %q is not the app's cluster %q", c.ClientID, c.BackchannelCluster, cluster)
		}
		if other, dup := seen[cluster]; dup {
			return nil, fmt.Errorf("clients %q and %q are both routed to cluster %q: the demo runs one app per cluster", other, c.ClientID, cluster)
		}
		seen[cluster] = c.ClientID
		ccl, _ := cfg.Cluster(cluster)
		if len(ccl.Endpoints) != 1 {
			return nil, fmt.Errorf("client %q: cluster %q must have exactly one endpoint", c.ClientID, cluster)
		}
		host, _, err := net.SplitHostPort(ccl.Endpoints[0])
		if err != nil || host != "127.0.0.1" {
			return nil, fmt.Errorf("client %q: cluster %q reaches %s: the demo apps listen on 127.0.0.1", c.ClientID, cluster, ccl.Endpoints[0])
		}
		p.apps = append(p.apps, appPlan{cluster: cluster, addr: ccl.Endpoints[0], url: p.origin + prefix, config: app.Config{
			ClientID: c.ClientID, Name: orDefault(c.Name, c.ClientID), Accent: accents[i%len(accents)],
			Issuer: pc.Issuer, PathPrefix: prefix, PublicPrefix: public,
			PostLogoutRedirectURI: c.PostLogoutRedirectURIs[0],
			FrontchannelLogoutURI: c.FrontchannelLogoutURI, BackchannelLogoutURI: c.BackchannelLogoutURI,
			Headers: headers,
		}})
	}
	for i := range p.apps {
		for j, other := range p.apps {
			if i != j {
				p.apps[i].config.Links = append(p.apps[i].config.Links, app.Link{Name: other.config.Name, URL: other.url})
			}
		}
	}
	return &p, nil
}

// routeCluster is the cluster the listener routes path to (first matching route of the first
// virtual host that takes any host), or "".
func routeCluster(l envoyconfig.Listener, p string) string {
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			switch r.Match.Kind {
			case envoyconfig.MatchPrefix:
				if strings.HasPrefix(p, r.Match.Value) {
					return r.Cluster
				}
			case envoyconfig.MatchPath:
				if p == r.Match.Value {
					return r.Cluster
				}
			case envoyconfig.MatchPathSeparatedPrefix:
				if p == r.Match.Value || strings.HasPrefix(p, r.Match.Value+"/") {
					return r.Cluster
				}
			}
		}
	}
	return ""
}

func isLocal(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || strings.HasSuffix(host, ".localhost")
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
