package etcd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StartTimeout bounds how long a start waits for etcd to answer /health with "true".
const StartTimeout = 20 * time.Second

// StopTimeout bounds how long [Server.Stop] waits for etcd to exit after SIGTERM before it
// kills it.
const StopTimeout = 10 * time.Second

// Config is what etcd is started with. Only DataDir is required; the rest defaults to a
// single-member cluster with etcd's defaults except the timing below.
type Config struct {
	// DataDir is the member's data directory (created by etcd when missing). Required: the
	// caller owns it and removes it.
	DataDir string

	// HeartbeatInterval and ElectionTimeout default to 10 ms and 100 ms (etcd's own defaults
	// are 100 ms and 1 s). A single member elects itself either way; the short values matter
	// for leases: etcd 3.4 raises every lease TTL to at least 1.5 election timeouts
	// (lease/lessor.go: minLeaseTTL), so with its defaults no lease lives under 2 s, with
	// these a 1 s lease is 1 s.
	HeartbeatInterval time.Duration
	ElectionTimeout   time.Duration

	// Args are further etcd flags, for example "--auto-compaction-retention=1".
	Args []string
	// TLS, when set, serves the client URL over https and requires a client certificate
	// (mutual TLS), as docs/fleet.md's production etcd: see [TLS].
	TLS *TLS
}

// TLS is what a client URL served with mutual TLS takes: etcd's --cert-file and --key-file
// (its server certificate, which etcd 3.4's gateway also presents as a client certificate
// when it calls etcd's own gRPC server, so it needs both the serverAuth and the clientAuth
// extended key usage, and an IP SAN 127.0.0.1), --trusted-ca-file with --client-cert-auth
// (the CA that signs the clients' certificates), and Client, the configuration the launcher
// itself connects with (to ask /health, and for [Server.HTTPClient]): a client certificate
// etcd accepts and the CA of etcd's certificate.
type TLS struct {
	CertFile, KeyFile string
	TrustedCAFile     string
	Client            *tls.Config
}

// Server is one etcd member, started by [Start]. It can be stopped and started again on the
// same ports and data directory.
type Server struct {
	// URL is the client URL, http://127.0.0.1:PORT (https:// with [Config.TLS]): the gRPC-gateway answers there under
	// /v3/ (and /v3beta/ on 3.4), with /health, /version and /metrics beside it.
	URL string
	// Addr is the client address, 127.0.0.1:PORT.
	Addr string
	// DataDir is the member's data directory.
	DataDir string
	// Version is what the binary says it is, for example "3.4.23".
	Version string

	binary  string
	peerURL string
	args    []string
	output  *lockedBuffer
	client  *http.Client
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	exitMu  sync.Mutex
	exitErr error // how the last process ended, set before its exited is closed
}

// Start runs a fresh single-member etcd on free loopback ports in cfg.DataDir and waits until
// it is healthy (at most [StartTimeout]). The error carries etcd's own output.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("etcd.Start: a data directory is required")
	}
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{binary: bin, output: &lockedBuffer{}, DataDir: cfg.DataDir, Version: binaryVersion(bin)}
	scheme := "http://"
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	if cfg.TLS != nil {
		if cfg.TLS.CertFile == "" || cfg.TLS.KeyFile == "" || cfg.TLS.TrustedCAFile == "" || cfg.TLS.Client == nil {
			return nil, errors.New("etcd.Start: TLS needs CertFile, KeyFile, TrustedCAFile and Client")
		}
		scheme, transport.TLSClientConfig = "https://", cfg.TLS.Client
	}
	s.client = &http.Client{
		Transport: transport,
		Timeout:   10 * time.Second,
	}
	// The ports are picked by listening on port 0 and closing again, so another process may
	// take one before etcd binds it: try a few times before giving up.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		clientPort, peerPort, err := twoFreePorts()
		if err != nil {
			return nil, fmt.Errorf("etcd.Start: finding free ports: %w", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))
		s.URL = scheme + s.Addr
		s.peerURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))
		s.args = cfg.args(s.URL, s.peerURL, s.DataDir)
		if lastErr = s.launch(); lastErr == nil {
			return s, nil
		}
		if !strings.Contains(s.output.String(), "address already in use") {
			break
		}
		_ = os.RemoveAll(s.DataDir)
	}
	return nil, fmt.Errorf("etcd.Start: %w\n%s", lastErr, s.output.String())
}

func (cfg Config) args(clientURL, peerURL, dataDir string) []string {
	heartbeat, election := cfg.HeartbeatInterval, cfg.ElectionTimeout
	if heartbeat <= 0 {
		heartbeat = 10 * time.Millisecond
	}
	if election <= 0 {
		election = 100 * time.Millisecond
	}
	args := []string{
		"--name", "etcdpeer",
		"--data-dir", dataDir,
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL,
		"--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "etcdpeer=" + peerURL,
		"--initial-cluster-state", "new",
		"--heartbeat-interval", strconv.FormatInt(heartbeat.Milliseconds(), 10),
		"--election-timeout", strconv.FormatInt(election.Milliseconds(), 10),
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
	}
	if cfg.TLS != nil {
		args = append(args, "--cert-file", cfg.TLS.CertFile, "--key-file", cfg.TLS.KeyFile,
			"--client-cert-auth", "--trusted-ca-file", cfg.TLS.TrustedCAFile)
	}
	return append(args, cfg.Args...)
}

// launch starts the process and waits until it is healthy or gone.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("etcd is already running")
	}
	cmd := exec.Command(s.binary, s.args...)
	cmd.Stdout = s.output
	cmd.Stderr = s.output
	dieWithParent(cmd)
	fmt.Fprintf(s.output, "--- etcd: starting %s on %s\n", s.binary, s.URL)
	// The kernel's parent-death signal follows the thread that forked the child, not the
	// process: the goroutine that starts etcd keeps its thread until etcd has exited, so no
	// thread exit inside the Go runtime can kill etcd early.
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		fmt.Fprintf(s.output, "--- etcd: exited (%v)\n", err)
		s.exitMu.Lock()
		s.exitErr = err
		s.exitMu.Unlock()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %w", s.binary, err)
	}
	s.cmd, s.exited = cmd, exited

	deadline := time.Now().Add(StartTimeout)
	for {
		if healthy(s.client, s.URL) {
			return nil
		}
		select {
		case <-exited:
			s.cmd, s.exited = nil, nil
			return errors.New("etcd exited before it was healthy")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			s.cmd, s.exited = nil, nil
			return fmt.Errorf("etcd was not healthy at %s/health after %s", s.URL, StartTimeout)
		}
	}
}

// healthy asks etcd's /health, which answers {"health":"true"} once the member has a leader
// and can serve (etcd 3.4 etcdserver/api/etcdhttp/metrics.go, checkHealth).
func healthy(client *http.Client, url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"health":"true"`))
}

// Stop ends etcd gracefully (SIGTERM; killed after [StopTimeout]) and keeps its data
// directory: requests to [Server.URL] then fail to connect, as with a store that is down. It
// does nothing when etcd is not running.
func (s *Server) Stop() { s.halt(false) }

// Kill ends etcd at once (SIGKILL), as a crash would. Everything etcd acknowledged is still
// there after [Server.Restart]: it syncs its write-ahead log before it answers.
func (s *Server) Kill() { s.halt(true) }

func (s *Server) halt(kill bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	if kill {
		_ = s.cmd.Process.Kill()
	} else {
		terminate(s.cmd)
	}
	select {
	case <-s.exited:
	case <-time.After(StopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
	s.client.CloseIdleConnections()
}

// Restart starts etcd again on the same ports with the same data directory after
// [Server.Stop] or [Server.Kill] (stopping it first if it still runs), and waits until it is
// healthy. The error carries etcd's output, for example when another process took its port.
func (s *Server) Restart() error {
	s.Stop()
	if err := s.launch(); err != nil {
		return fmt.Errorf("etcd restart: %w\n%s", err, s.output.String())
	}
	return nil
}

// Exited is closed when the etcd process running now exits, however it ends: [Server.Stop],
// [Server.Kill], or on its own (killed by another process, crashed). It is nil when etcd
// is not running. After [Server.Restart], call it again for the new process.
func (s *Server) Exited() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exited
}

// ExitError is how the last etcd process ended, as os/exec reports it ("signal: killed",
// "exit status 1"; nil for a clean exit, or before any process ended).
func (s *Server) ExitError() error {
	s.exitMu.Lock()
	defer s.exitMu.Unlock()
	return s.exitErr
}

// PID is the etcd process's id, 0 when etcd is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Running says whether the etcd process is up (it may still be starting).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Output is everything etcd has written so far (warnings and errors only, by default), with
// a line of ours at each start and exit.
func (s *Server) Output() string { return s.output.String() }

// HTTPClient is a client for [Server.URL] that never goes through a proxy from the
// environment.
func (s *Server) HTTPClient() *http.Client { return s.client }

// twoFreePorts reserves two loopback ports by listening on port 0, and releases them.
func twoFreePorts() (int, int, error) {
	var ports [2]int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		listeners = append(listeners, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

// lockedBuffer is etcd's output: written by the process, read by anyone.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
