package etcdpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// StartTimeout bounds how long a start waits for etcd to answer /health with "true".
const StartTimeout = 20 * time.Second

// StopTimeout bounds how long [Peer.Stop] waits for etcd to exit after SIGTERM before it
// kills it.
const StopTimeout = 10 * time.Second

// Config is what etcd is started with. The zero value is a single-member cluster with
// etcd's defaults except the timing below.
type Config struct {
	// HeartbeatInterval and ElectionTimeout default to 10 ms and 100 ms (etcd's own defaults
	// are 100 ms and 1 s). A single member elects itself either way; the short values matter
	// for leases: etcd 3.4 raises every lease TTL to at least 1.5 election timeouts
	// (lease/lessor.go: minLeaseTTL), so with its defaults no lease lives under 2 s, with
	// these a 1 s lease is 1 s.
	HeartbeatInterval time.Duration
	ElectionTimeout   time.Duration

	// Args are further etcd flags, for example "--auto-compaction-retention=1" or
	// "--auth-token-ttl=1".
	Args []string
}

// Peer is one etcd member, started by [Start]. It can be stopped and started again
// ([Peer.Stop], [Peer.Kill], [Peer.Restart]) on the same ports and data directory, so that a
// test can take the store away and bring it back with everything it held.
type Peer struct {
	// URL is the client URL, http://127.0.0.1:PORT: the gRPC-gateway answers there under
	// /v3/ (and /v3beta/ on 3.4), with /health and /version beside it.
	URL string
	// Addr is the client address, 127.0.0.1:PORT.
	Addr string
	// DataDir is the member's data directory (a test temporary directory).
	DataDir string
	// Version is what the binary says it is, for example "3.4.23".
	Version string

	binary   string
	peerURL  string
	args     []string
	output   *syncbuf.Buffer
	client   *http.Client
	tb       testing.TB
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	startErr error
}

// Start runs a fresh single-member etcd on free loopback ports with a temporary data
// directory, waits until it is healthy (at most [StartTimeout]), and stops it when the test
// ends. A missing binary, or an etcd that does not come up, fails the test with etcd's own
// output; nothing is skipped.
func Start(tb testing.TB, cfg Config) *Peer {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatalf("etcdpeer.Start: %v", err)
	}
	p := &Peer{binary: bin, output: &syncbuf.Buffer{}, tb: tb, DataDir: filepath.Join(tb.TempDir(), "etcd")}
	p.Version = binaryVersion(bin)
	p.client = &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
		Timeout:   10 * time.Second,
	}
	tb.Cleanup(func() {
		p.Kill()
		p.client.CloseIdleConnections()
		if tb.Failed() {
			if out := strings.TrimSpace(p.output.String()); out != "" {
				tb.Logf("etcd %s (%s) wrote:\n%s", p.Version, p.URL, out)
			}
		}
	})

	// The ports are picked by listening on port 0 and closing again, so another process may
	// take one before etcd binds it: try a few times before giving up.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		clientPort, peerPort, err := twoFreePorts()
		if err != nil {
			tb.Fatalf("etcdpeer.Start: finding free ports: %v", err)
		}
		p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))
		p.URL = "http://" + p.Addr
		p.peerURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))
		p.args = cfg.args(p.URL, p.peerURL, p.DataDir)
		if lastErr = p.launch(); lastErr == nil {
			return p
		}
		if !strings.Contains(p.output.String(), "address already in use") {
			break
		}
		_ = os.RemoveAll(p.DataDir)
	}
	tb.Fatalf("etcdpeer.Start: %v\n%s", lastErr, p.output.String())
	return nil
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
	return append(args, cfg.Args...)
}

// launch starts the process and waits until it is healthy or gone.
func (p *Peer) launch() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("etcd is already running")
	}
	cmd := exec.Command(p.binary, p.args...)
	cmd.Stdout = p.output
	cmd.Stderr = p.output
	dieWithParent(cmd)
	fmt.Fprintf(p.output, "--- etcdpeer: starting %s on %s\n", p.binary, p.URL)
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
		fmt.Fprintf(p.output, "--- etcdpeer: etcd exited (%v)\n", err)
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %w", p.binary, err)
	}
	p.cmd, p.exited = cmd, exited

	deadline := time.Now().Add(StartTimeout)
	for {
		if healthy(p.client, p.URL) {
			return nil
		}
		select {
		case <-exited:
			p.cmd, p.exited = nil, nil
			return errors.New("etcd exited before it was healthy")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			p.cmd, p.exited = nil, nil
			return fmt.Errorf("etcd was not healthy at %s/health after %s", p.URL, StartTimeout)
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
// directory: requests to [Peer.URL] then fail to connect, as with a store that is down. It
// does nothing when etcd is not running.
func (p *Peer) Stop() { p.halt(false) }

// Kill ends etcd at once (SIGKILL), as a crash would. Everything etcd acknowledged is still
// there after [Peer.Restart]: it syncs its write-ahead log before it answers.
func (p *Peer) Kill() { p.halt(true) }

func (p *Peer) halt(kill bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	if kill {
		_ = p.cmd.Process.Kill()
	} else {
		terminate(p.cmd)
	}
	select {
	case <-p.exited:
	case <-time.After(StopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd, p.exited = nil, nil
	p.client.CloseIdleConnections()
}

// Restart starts etcd again on the same ports with the same data directory after [Peer.Stop]
// or [Peer.Kill] (stopping it first if it still runs), and waits until it is healthy. It fails
// the test when etcd does not come back, for example because another process took its port.
func (p *Peer) Restart() {
	p.tb.Helper()
	p.Stop()
	if err := p.launch(); err != nil {
		p.tb.Fatalf("etcdpeer.Restart: %v\n%s", err, p.output.String())
	}
}

// Running says whether the etcd process is up (it may still be starting).
func (p *Peer) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Output is everything etcd has written so far (warnings and errors only, by default), with
// a line of ours at each start and exit.
func (p *Peer) Output() string { return p.output.String() }

// HTTPClient is a client for [Peer.URL] that never goes through a proxy from the
// environment.
func (p *Peer) HTTPClient() *http.Client { return p.client }

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
