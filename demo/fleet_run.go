package demo

import (
	"bytes"
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
	"time"

	"github.com/exeunt/exeunt/demo/etcd"
	"github.com/exeunt/exeunt/hostsim/serve"
)

// Replica is one replica of a fleet demo (Options.Replicas > 1).
type Replica struct {
	// ListenerAddr is where the replica serves Exeunt's listener (the front sends requests
	// there); AdminAddr its admin interface ("" when the configuration has none).
	ListenerAddr, AdminAddr string
}

// fleetProxy is the demo's fleet: a local etcd, the replicas (each a hostsim serve of the
// fleet's configuration, with its own shared data, as separate Envoys have) and the
// round-robin front on the listener's configured address.
type fleetProxy struct {
	etcd     *etcd.Server
	replicas []*serve.Server
	balancer *Front
	front    *http.Server
	addr     string
}

func (f *fleetProxy) ListenerAddr(string) string { return f.addr }

func (f *fleetProxy) AdminAddr() string { return "" }

func (f *fleetProxy) Close() error {
	var errs []error
	if f.front != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := f.front.Shutdown(ctx); err != nil {
			f.front.Close()
		}
		cancel()
	}
	if f.balancer != nil {
		f.balancer.Close()
	}
	for i, r := range f.replicas {
		if err := r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w", i+1, err))
		}
	}
	if f.etcd != nil {
		f.etcd.Stop()
	}
	return errors.Join(errs...)
}

// startFleet starts etcd in tmp, opts.Replicas replicas of the configuration at cfgPath made
// a fleet's (FleetConfig, with fresh shared keys), and the front on frontAddr, which probes
// the replicas as check says. It returns once every replica is ready, so that the front's
// first probes put them all in rotation.
func startFleet(ctx context.Context, opts Options, cfgPath, dir, tmp, listener, frontAddr string, check FrontCheck, logw io.Writer) (*fleetProxy, error) {
	f := &fleetProxy{}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	var err error
	f.etcd, err = etcd.Start(etcd.Config{DataDir: filepath.Join(tmp, "etcd")})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "demo: etcd %s at %s (data in %s)\n", f.etcd.Version, f.etcd.URL, f.etcd.DataDir)
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, err
	}
	keys, err := GenerateKeys()
	if err != nil {
		return nil, err
	}
	fleetYAML, err := FleetConfig(raw, Fleet{EtcdAddr: f.etcd.Addr, Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	fleetPath := filepath.Join(tmp, "fleet-envoy.yaml")
	if err := os.WriteFile(fleetPath, fleetYAML, 0o600); err != nil {
		return nil, err
	}
	var addrs []string
	for i := 0; i < opts.Replicas; i++ {
		s, err := serve.Start(ctx, serve.Options{
			ConfigPath: fleetPath, VMs: opts.VMs, BaseDir: dir,
			Log: &prefixWriter{prefix: []byte(fmt.Sprintf("[replica %d] ", i+1)), w: logw, drop: isProbeOK}, LogLevel: opts.LogLevel, CacheDir: opts.CacheDir,
		})
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		f.replicas = append(f.replicas, s)
		addr := s.ListenerAddr(listener)
		if addr == "" {
			return nil, fmt.Errorf("replica %d does not serve listener %q", i+1, listener)
		}
		addrs = append(addrs, addr)
	}
	for i, addr := range addrs {
		if err := waitReplicaReady(ctx, addr, check, f.etcd); err != nil {
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
	}
	l, err := net.Listen("tcp", frontAddr)
	if err != nil {
		return nil, fmt.Errorf("the front at %s: %w", frontAddr, err)
	}
	f.addr = l.Addr().String()
	f.balancer = NewFront(check, addrs...)
	f.front = &http.Server{Handler: f.balancer, ReadHeaderTimeout: 10 * time.Second}
	go f.front.Serve(l)
	ok = true
	return f, nil
}

// watchEtcd fails the demo when its etcd exits on its own (killed, crashed): the replicas
// would keep running without it, refusing every signed-in request once their copy of the
// sign-outs is older than stale_after, and nothing would say why. A stop by Close is not
// a failure.
func (d *Demo) watchEtcd(srv *etcd.Server) {
	exited := srv.Exited()
	if exited == nil {
		return // stopped already: Close is under way
	}
	select {
	case <-exited:
		select {
		case <-d.closing:
			return
		default:
		}
		d.fail(fmt.Errorf("the demo's etcd (%s) %s: the replicas cannot share sign-outs without it, "+
			"and refuse signed-in requests (503) once their copy is older than stale_after\n  etcd's last output:\n    %s",
			srv.URL, howExited(srv), strings.ReplaceAll(lastLines(srv.Output(), 6), "\n", "\n    ")))
	case <-d.closing:
	}
}

// howExited says how etcd's process ended: "exited (signal: killed)".
func howExited(srv *etcd.Server) string {
	if err := srv.ExitError(); err != nil {
		return fmt.Sprintf("exited (%v)", err)
	}
	return "exited"
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReplicaReady waits until the replica at addr answers its readiness path 200 (it has
// loaded the revocations from etcd), at most 30 s, and no longer once etcd has exited.
func waitReplicaReady(ctx context.Context, addr string, check FrontCheck, srv *etcd.Server) error {
	check = check.withDefaults()
	client := &http.Client{Timeout: check.Timeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		last := askReady(ctx, client, addr, check)
		if last == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after 30s: %s answered %s", check.Path, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-srv.Exited():
			return fmt.Errorf("not ready: %s answered %s, and the demo's etcd (%s) %s", check.Path, last, srv.URL, howExited(srv))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// isProbeOK says whether an access-log line is a readiness probe of the front's that was
// answered 200: one a second with two replicas, which would bury the requests a user makes.
// The front logs each replica entering or leaving the rotation instead, and failed probes
// stay in the log.
func isProbeOK(line []byte) bool {
	return bytes.Contains(line, []byte(`"`+ProbeUserAgent+`"`)) && bytes.Contains(line, []byte(`HTTP/1.1" 200 `))
}

// prefixWriter starts every line with prefix, and leaves out the whole lines (written in one
// piece) that drop, when set, matches.
type prefixWriter struct {
	mu     sync.Mutex
	prefix []byte
	w      io.Writer
	drop   func(line []byte) bool
	mid    bool // the last write ended inside a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	var out []byte
	for len(b) > 0 {
		if !p.mid {
			out = append(out, p.prefix...)
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b...)
			p.mid = true
			break
		}
		if p.mid || p.drop == nil || !p.drop(b[:i+1]) {
			out = append(out, b[:i+1]...)
		} else {
			out = out[:len(out)-len(p.prefix)]
		}
		b = b[i+1:]
		p.mid = false
	}
	if len(out) == 0 {
		return n, nil
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}
