package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Server is hostsim serving an envoy.yaml: its listeners, its admin
// interface, the plugins of its wasm filters and its clusters.
type Server struct {
	opts    Options
	log     *logger
	started time.Time

	clusters  map[string]*cluster
	plugins   []*plugin
	hosts     []*hostsim.Host
	listeners []*listener
	admin     *http.Server
	adminLn   net.Listener
	stats     *stats

	closeOnce sync.Once
	closeErr  error
}

// Start reads the configuration, checks all of it, and serves it. It returns
// once every listener (and the admin interface) listens and every plugin
// has started, or with an error that says what is wrong and where: a
// configuration Envoy would reject (naming the field), one that asks for
// what hostsim does not serve (naming it), a missing .wasm file, an address
// already in use, a plugin that refused to start. ctx bounds the start only;
// Close stops the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, level, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: newLogger(opts.Log, level), stats: newStats(), clusters: map[string]*cluster{}}
	if _, err := os.Stat(opts.ConfigPath); err != nil {
		return nil, fmt.Errorf("hostsim serve: the configuration: %w (give the path of an envoy.yaml with -c)", err)
	}
	cfg, err := envoyconfig.LoadFile(opts.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("hostsim serve: %s is not a configuration Envoy would accept:\n%w", opts.ConfigPath, err)
	}
	if err := cfg.CheckListeners(); err != nil {
		return nil, fmt.Errorf("hostsim serve: %s: %w", opts.ConfigPath, err)
	}
	if opts.Strict {
		if err := cfg.CheckServable(); err != nil {
			return nil, fmt.Errorf("hostsim serve: %s uses what hostsim does not simulate (remove it, or run Envoy):\n%w", opts.ConfigPath, err)
		}
	} else if ns := cfg.NotSimulated(); len(ns) > 0 {
		// Envoy would start with all of it: so does hostsim, saying once what it does not
		// do as Envoy would.
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d setting(s) Envoy accepts are not simulated by hostsim serve (it starts without them; -strict refuses them):", opts.ConfigPath, len(ns))
		for _, e := range ns {
			b.WriteString("\n  " + strings.TrimPrefix(e.Error(), "envoyconfig: "))
		}
		s.log.warnf("%s", b.String())
	}
	// Read every module before taking any port: a missing file is the most
	// common mistake, and its message should not wait for anything.
	specs, err := readPlugins(cfg, opts.BaseDir)
	if err != nil {
		return nil, fmt.Errorf("hostsim serve: %w", err)
	}
	for i, c := range cfg.Clusters {
		cl, err := newCluster(c, s.stats, fmt.Sprintf("static_resources.clusters[%d](%s)", i, c.Name), opts.BaseDir, s.log)
		if err != nil {
			return nil, fmt.Errorf("hostsim serve: %w", err)
		}
		s.clusters[c.Name] = cl
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if err := s.bind(cfg); err != nil {
		return nil, fmt.Errorf("hostsim serve: %w", err)
	}
	if err := s.startPlugins(ctx, cfg, specs, level); err != nil {
		return nil, fmt.Errorf("hostsim serve: %w", err)
	}
	s.started = time.Now()
	s.serve()
	ok = true
	return s, nil
}

// readPlugins reads the module of every wasm filter, once per file.
func readPlugins(cfg *envoyconfig.Config, baseDir string) (map[string]pluginSpec, error) {
	specs := map[string]pluginSpec{} // by filter path
	code := map[string][]byte{}
	for _, l := range cfg.Listeners {
		for _, f := range l.HTTPFilters {
			if f.Wasm == nil {
				continue
			}
			spec, err := readPlugin(f, baseDir, code)
			if err != nil {
				return nil, err
			}
			specs[f.Path] = spec
		}
	}
	return specs, nil
}

// bind takes every listener's address and the admin's. port_value 0 picks a
// free port, which ListenerAddr and AdminAddr then tell.
func (s *Server) bind(cfg *envoyconfig.Config) error {
	for i, lc := range cfg.Listeners {
		where := fmt.Sprintf("static_resources.listeners[%d]", i)
		if lc.Name != "" {
			where += "(" + lc.Name + ")"
		}
		var tlsConfig *tls.Config
		if lc.TLS != nil {
			var err error
			if tlsConfig, err = serverTLS(where+".filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificates[0]", lc.TLS, s.opts.BaseDir); err != nil {
				return err
			}
		}
		ln, err := listen(where+".address", lc.Address)
		if err != nil {
			return err
		}
		if tlsConfig != nil {
			ln = tls.NewListener(ln, tlsConfig)
		}
		ln = scanListener{ln} // see framing.go
		l := &listener{srv: s, name: lc.Name, ln: ln, stats: s.stats.http(lc.StatPrefix), accessLog: lc.AccessLog,
			accessLogFormat: lc.AccessLogFormat, hcm: lc.HCM, tls: tlsConfig != nil}
		rt := newRouteTable(lc.VirtualHosts, lc.RouteFilterDisabled)
		rt.rcHeadersToRemove = lc.RouteHeadersToRemove
		rt.rcResponseHeadersToRemove = lc.RouteResponseHeadersToRemove
		l.router = &router{routes: rt, clusters: s.clusters, stats: l.stats}
		s.listeners = append(s.listeners, l)
	}
	if cfg.Admin != nil {
		ln, err := listen("admin.address", cfg.Admin.Address)
		if err != nil {
			return err
		}
		s.adminLn = ln
	}
	return nil
}

func listen(field, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		// %w keeps EADDRINUSE visible to callers that pick ports themselves (the demo's
		// FreePorts), so they can pick again.
		return nil, fmt.Errorf("%s: %s is already in use: another process (another hostsim or Envoy?) listens there; stop it, or choose another port_value (0 picks a free port): %w", field, addr, syscall.EADDRINUSE)
	}
	return nil, fmt.Errorf("%s: cannot listen on %s: %v", field, addr, err)
}

// startPlugins starts each distinct plugin once and builds the listeners'
// filter chains.
func (s *Server) startPlugins(ctx context.Context, cfg *envoyconfig.Config, specs map[string]pluginSpec, level hostsim.LogLevel) error {
	byIdentity := map[string]*plugin{}
	for i, lc := range cfg.Listeners {
		l := s.listeners[i]
		for _, f := range lc.HTTPFilters {
			if f.Wasm == nil {
				continue // the router: l.router ends the chain
			}
			spec := specs[f.Path]
			p, ok := byIdentity[spec.identity]
			if !ok {
				var err error
				if p, err = s.startPlugin(ctx, spec, level); err != nil {
					return err
				}
				byIdentity[spec.identity] = p
				s.plugins = append(s.plugins, p)
				s.hosts = append(s.hosts, p.host)
				s.log.infof("wasm plugin %s: %s started in %d VMs", dash(spec.wasm.Name), spec.file, p.host.VMCount())
			}
			l.filters = append(l.filters, p)
			l.filterNames = append(l.filterNames, f.Name)
			l.filterDisabled = append(l.filterDisabled, f.Disabled)
		}
	}
	return nil
}

// serve starts accepting on every bound listener.
func (s *Server) serve() {
	errLog := stdlog.New(&lineWriter{emit: func(line string) {
		s.log.line(hostsim.LogDebug, mainThread, "http", line)
	}}, "", 0)
	for _, l := range s.listeners {
		l.http = &http.Server{
			Handler: l,
			// request_headers_timeout and common_http_protocol_options.idle_timeout (Envoy's
			// default: none, and 1 hour); 0 is none for both, in Go as in Envoy.
			ReadHeaderTimeout: l.hcm.RequestHeadersTimeout,
			IdleTimeout:       l.hcm.IdleTimeout,
			// Room for the request line beyond max_request_headers_kb, which checks the
			// headers alone (listener.headerLimits): past this Go answers 431 itself.
			MaxHeaderBytes: int(l.hcm.MaxRequestHeadersKB)*1024 + 16<<10,
			ErrorLog:       errLog,
			// "OPTIONS *" goes to the listener, which answers 404 as Envoy does (an
			// asterisk-form target is not a relative path); Go would answer 200 itself.
			DisableGeneralOptionsHandler: true,
			ConnContext:                  withScanner,
		}
		go l.http.Serve(l.ln)
		scheme := "http"
		if l.tls {
			scheme = "https"
		}
		s.log.infof("listener %s: serving %s://%s", dash(l.name), scheme, l.ln.Addr())
	}
	if s.adminLn != nil {
		s.admin = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: time.Minute, ErrorLog: errLog}
		go s.admin.Serve(s.adminLn)
		s.log.infof("admin address: http://%s", s.adminLn.Addr())
	}
	s.log.infof("all listeners started; hostsim serve is ready")
}

// ListenerAddr is the "127.0.0.1:port" a listener (by its envoy.yaml name)
// accepts on, or "" for no such listener.
func (s *Server) ListenerAddr(name string) string {
	for _, l := range s.listeners {
		if l.name == name {
			return l.ln.Addr().String()
		}
	}
	return ""
}

// Listeners returns the names of the listeners, in the file's order.
func (s *Server) Listeners() []string {
	names := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		names[i] = l.name
	}
	return names
}

// AdminAddr is the admin interface's "127.0.0.1:port", or "" when envoy.yaml
// has no admin section.
func (s *Server) AdminAddr() string {
	if s.adminLn == nil {
		return ""
	}
	return s.adminLn.Addr().String()
}

// Close stops accepting, lets the requests under way finish (for up to 5
// seconds), then stops the plugins. It is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []string
		stop := func(srv *http.Server, ln net.Listener) {
			if srv == nil {
				if ln != nil {
					ln.Close()
				}
				return
			}
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
				errs = append(errs, err.Error())
			}
		}
		for _, l := range s.listeners {
			stop(l.http, l.ln)
		}
		stop(s.admin, s.adminLn)
		for _, h := range s.hosts {
			h.Close()
		}
		for _, c := range s.clusters {
			c.close()
		}
		if len(errs) > 0 {
			sort.Strings(errs)
			s.closeErr = fmt.Errorf("hostsim serve: closing: %s", strings.Join(errs, "; "))
		}
		if !s.started.IsZero() {
			s.log.infof("hostsim serve stopped")
		}
	})
	return s.closeErr
}
