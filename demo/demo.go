// Package demo runs Exeunt on this machine as a user would meet it: `make run` (cmd/demo)
// and the browser tests (e2e/browser) both start it from the repository's envoy.yaml.
//
// [Start] reads envoy.yaml and starts, all on 127.0.0.1:
//
//   - the demo OpenID Provider (package demo/idp: oidc-provider v9 from testpeers, with a
//     login form that takes any login and password), with Exeunt registered at it as a client,
//     at the port of the provider's issuer in Exeunt's configuration;
//   - one demo app (package demo/app) per client of Exeunt's configuration, at the endpoint of
//     the cluster its path prefix is routed to;
//   - hostsim serve (package hostsim/serve) with envoy.yaml: build/exeunt.wasm in front of the
//     apps, as Envoy would run it.
//
// With Options.Replicas 2 or more it runs a fleet instead of one hostsim serve: a local etcd
// (package demo/etcd), that many replicas of the configuration made a fleet's ([FleetConfig]:
// the store on etcd, shared keys) and a round-robin [Front] on the listener's address, so the
// browser sees one origin whichever replica answers (fleet.go, fleet_run.go). The front
// sends requests only to replicas whose readiness check answers 200 (front.go); the demo
// fails (Failed, Err) when its etcd exits on its own.
//
// Everything the demo needs is in envoy.yaml: change the file and the demo follows, or says
// what it cannot run.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/exeunt/exeunt/demo/app"
	"github.com/exeunt/exeunt/demo/idp"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Options says what to run.
type Options struct {
	// ConfigPath is the Envoy bootstrap: the repository's envoy.yaml.
	ConfigPath string
	// Dir is the repository's root: testpeers/oidc-provider is there, and Envoy's relative paths
	// (build/exeunt.wasm) are resolved against it, as Envoy resolves them against its working
	// directory. Empty: the working directory.
	Dir string
	// FreePorts replaces every port of the configuration by a free one (see ports.go).
	FreePorts bool
	// VMs is the number of Wasm VMs (Envoy's worker threads); 0 for hostsim's default.
	VMs int
	// Log receives every part's log lines: hostsim's, the provider's, the apps'. Nil: none.
	Log io.Writer
	// LogLevel is hostsim's log level ("" for its default).
	LogLevel string
	// CacheDir is wazero's compilation cache ("" for none).
	CacheDir string
	// ProviderDebug makes the provider log every event.
	ProviderDebug bool
	// WithoutProxy starts the provider and the apps only: a real Envoy serves the
	// configuration (`envoy -c envoy.yaml`).
	WithoutProxy bool
	// FrontChannelProvider runs oidc-provider v6 (testpeers/oidc-provider-v6), the last
	// major with front-channel logout, in place of v9, with Exeunt registered for front-
	// channel logout only: a sign-out at the provider reaches Exeunt through the iframe the
	// provider's page loads in the browser. The browser tests use it; `make run` does not.
	FrontChannelProvider bool
	// Replicas, when 2 or more, runs a fleet: a local etcd, that many replicas of hostsim
	// serve with the configuration made a fleet's (FleetConfig: the store on etcd, shared
	// keys, free ports), and a round-robin front (Front) on the listener's address. 0 or 1:
	// one hostsim serve, as without a fleet.
	Replicas int
}

// Demo is a running demo.
type Demo struct {
	// URL is the page to open first: the first app.
	URL string
	// Issuer is Exeunt's issuer.
	Issuer string
	// ProviderIssuer is the demo provider's issuer.
	ProviderIssuer string
	// Apps are the demo apps, in the order of Exeunt's clients.
	Apps []*App
	// ConfigPath is the Envoy configuration being served (with FreePorts, a rewritten copy).
	ConfigPath string
	// ListenerAddr is where hostsim serves Exeunt's listener (with Replicas, the front);
	// AdminAddr its admin interface ("" when the configuration has none, or with Replicas).
	ListenerAddr, AdminAddr string
	// Replicas are the fleet's replicas (Options.Replicas > 1), and EtcdURL its etcd.
	Replicas []Replica
	EtcdURL  string

	proxy    proxy
	provider *idp.Provider
	servers  []*http.Server
	tmp      string

	failed    chan struct{}
	failOnce  sync.Once
	failErr   error
	closeOnce sync.Once
	closing   chan struct{}
}

// App is one running demo app.
type App struct {
	*app.App
	// URL is its first page, through Exeunt.
	URL string
	// Addr is where it listens (its cluster's endpoint).
	Addr string
}

// proxy is what the demo needs of hostsim serve.
type proxy interface {
	ListenerAddr(name string) string
	AdminAddr() string
	Close() error
}

// Start starts the demo and returns once Exeunt answers through the listener. On error,
// whatever was started is stopped.
//
// With FreePorts, a port is picked free but used a moment later, and another process (a
// test running beside, an outgoing connection given that ephemeral port) can take it in
// between: then the whole start is tried again with new ports, up to three times.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	for attempt := 1; ; attempt++ {
		d, err := start(ctx, opts)
		if err == nil || !opts.FreePorts || attempt == 3 || !errors.Is(err, syscall.EADDRINUSE) {
			return d, err
		}
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "demo: a port picked free was taken before it was used; picking ports again (%v)\n", err)
		}
	}
}

func start(ctx context.Context, opts Options) (d *Demo, err error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	logw = &syncWriter{w: logw}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	d = &Demo{ConfigPath: opts.ConfigPath, failed: make(chan struct{}), closing: make(chan struct{})}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()

	raw, err := os.ReadFile(opts.ConfigPath)
	if err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	if opts.FreePorts {
		if raw, _, err = freePorts(raw); err != nil {
			return d, fmt.Errorf("demo: %w", err)
		}
		if d.tmp, err = os.MkdirTemp("", "exeunt-demo-"); err != nil {
			return d, fmt.Errorf("demo: %w", err)
		}
		d.ConfigPath = filepath.Join(d.tmp, filepath.Base(opts.ConfigPath))
		if err := os.WriteFile(d.ConfigPath, raw, 0o600); err != nil {
			return d, fmt.Errorf("demo: %w", err)
		}
	}
	cfg, err := envoyconfig.Load(raw)
	if err != nil {
		return d, fmt.Errorf("demo: %s: %w", opts.ConfigPath, err)
	}
	p, err := makePlan(cfg)
	if err != nil {
		return d, fmt.Errorf("demo: %s: %w", opts.ConfigPath, err)
	}
	d.Issuer = p.issuer

	// The apps reach Exeunt (its discovery document and JWKS) at its issuer URL, whose host
	// name (localhost) may resolve to ::1 first: dial the listener's address instead.
	listenerAddr := p.listener.Address
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.EqualFold(addr, p.host) || strings.EqualFold(addr, p.host+":80") {
				addr = listenerAddr
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}

	// 1. The apps, so that Exeunt has upstreams from its first request.
	for _, ap := range p.apps {
		c := ap.config
		c.HTTPClient = client
		c.Log = logw
		a, err := app.New(c)
		if err != nil {
			return d, fmt.Errorf("demo: %w", err)
		}
		l, err := net.Listen("tcp", ap.addr)
		if err != nil {
			return d, fmt.Errorf("demo: app %s (cluster %s): %w (is another demo running? `make run` stops with Ctrl-C)", c.ClientID, ap.cluster, err)
		}
		srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
		d.servers = append(d.servers, srv)
		d.Apps = append(d.Apps, &App{App: a, URL: ap.url, Addr: l.Addr().String()})
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.fail(fmt.Errorf("app %s: %w", c.ClientID, err))
			}
		}()
	}
	if len(d.Apps) > 0 {
		d.URL = d.Apps[0].URL
	}

	// 2. The provider, with Exeunt registered as its client.
	exeunt := idp.Client{
		"client_id":                           p.provider.clientID,
		"client_name":                         "Exeunt",
		"redirect_uris":                       []string{p.provider.redirectURI},
		"post_logout_redirect_uris":           []string{p.provider.postLogoutURI},
		"backchannel_logout_uri":              p.provider.backchannelURI,
		"backchannel_logout_session_required": true,
	}
	idpDir, idpScript := filepath.Join(dir, "testpeers", "oidc-provider"), "provider.mjs"
	if opts.FrontChannelProvider {
		delete(exeunt, "backchannel_logout_uri")
		delete(exeunt, "backchannel_logout_session_required")
		exeunt["frontchannel_logout_uri"] = p.provider.frontchannelURI
		exeunt["frontchannel_logout_session_required"] = true
		idpDir, idpScript = filepath.Join(dir, "testpeers", "oidc-provider-v6"), "provider.cjs"
	}
	if p.provider.clientSecret != "" {
		exeunt["client_secret"] = p.provider.clientSecret
		exeunt["token_endpoint_auth_method"] = "client_secret_basic"
	} else {
		exeunt["token_endpoint_auth_method"] = "none"
	}
	host := "127.0.0.1"
	if strings.HasPrefix(p.provider.issuer, "http://localhost:") {
		host = "localhost"
	}
	d.provider, err = idp.Start(ctx, idp.Options{
		Dir: idpDir, Script: idpScript, Port: p.provider.port, IssuerHost: host,
		Clients: []idp.Client{exeunt}, Log: logw, Debug: opts.ProviderDebug,
	})
	if err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	if d.provider.Issuer != strings.TrimSuffix(p.provider.issuer, "/") {
		return d, fmt.Errorf("demo: the provider started as %s, but Exeunt expects %s", d.provider.Issuer, p.provider.issuer)
	}
	d.ProviderIssuer = d.provider.Issuer
	go func() {
		select {
		case <-d.provider.Exited():
			if err := d.provider.Err(); err != nil {
				d.fail(fmt.Errorf("the demo provider stopped: %w", err))
			}
		case <-d.closing:
		}
	}()

	// 3. Exeunt in hostsim serve.
	if opts.WithoutProxy {
		d.ListenerAddr = listenerAddr
		return d, nil
	}
	if opts.Replicas > 1 {
		if d.tmp == "" {
			if d.tmp, err = os.MkdirTemp("", "exeunt-demo-"); err != nil {
				return d, fmt.Errorf("demo: %w", err)
			}
		}
		check := FrontCheck{Path: p.ready, Host: p.host, Log: logw}
		f, err := startFleet(ctx, opts, d.ConfigPath, dir, d.tmp, p.listener.Name, listenerAddr, check, logw)
		if err != nil {
			return d, fmt.Errorf("demo: fleet: %w", err)
		}
		d.proxy, d.EtcdURL = f, f.etcd.URL
		go d.watchEtcd(f.etcd)
		for _, r := range f.replicas {
			d.Replicas = append(d.Replicas, Replica{ListenerAddr: r.ListenerAddr(p.listener.Name), AdminAddr: r.AdminAddr()})
		}
	} else {
		// Assigned only on success: a nil *serve.Server in the interface would not be nil,
		// and Close would call it.
		px, err := startProxy(ctx, opts, d.ConfigPath, dir, logw)
		if err != nil {
			return d, fmt.Errorf("demo: hostsim serve: %w", err)
		}
		d.proxy = px
	}
	d.ListenerAddr = d.proxy.ListenerAddr(p.listener.Name)
	d.AdminAddr = d.proxy.AdminAddr()
	if d.ListenerAddr != listenerAddr {
		return d, fmt.Errorf("demo: hostsim serves listener %q at %s, not at %s as configured", p.listener.Name, d.ListenerAddr, listenerAddr)
	}
	if err := d.waitReady(ctx, client, p); err != nil {
		return d, fmt.Errorf("demo: %w", err)
	}
	return d, nil
}

// waitReady waits until Exeunt answers its health path and its discovery document through
// the listener: the filter started with its configuration.
func (d *Demo) waitReady(ctx context.Context, client *http.Client, p *plan) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.origin+"/.well-known/openid-configuration", nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"issuer"`) {
				return fmt.Errorf("Exeunt's discovery document: %s: %s", resp.Status, strings.TrimSpace(string(body)))
			}
			return nil
		}()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.failed:
			return d.failErr
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("Exeunt did not answer at %s (listener %s): %v", p.origin, d.ListenerAddr, last)
}

func (d *Demo) fail(err error) {
	d.failOnce.Do(func() {
		d.failErr = err
		close(d.failed)
	})
}

// Failed is closed when a part of the demo stopped on its own (the provider or a fleet's
// etcd exited, an app could not serve); Err then says which.
func (d *Demo) Failed() <-chan struct{} { return d.failed }

// Err is why the demo failed, once Failed is closed.
func (d *Demo) Err() error {
	select {
	case <-d.failed:
		return d.failErr
	default:
		return nil
	}
}

// Close stops everything: Exeunt first (no new requests), then the apps, then the provider.
func (d *Demo) Close() error {
	var errs []error
	d.closeOnce.Do(func() {
		close(d.closing)
		if d.proxy != nil {
			if err := d.proxy.Close(); err != nil {
				errs = append(errs, fmt.Errorf("hostsim serve: %w", err))
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for _, s := range d.servers {
			if err := s.Shutdown(ctx); err != nil {
				s.Close()
			}
		}
		if d.provider != nil {
			d.provider.Close()
		}
		if d.tmp != "" {
			os.RemoveAll(d.tmp)
		}
	})
	return errors.Join(errs...)
}

// syncWriter serialises writes from the parts' goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
