package etcdpeer

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo/etcd"
)

// StartTimeout bounds how long a start waits for etcd to answer /health with "true".
const StartTimeout = etcd.StartTimeout

// StopTimeout bounds how long [Peer.Stop] waits for etcd to exit after SIGTERM before it
// kills it.
const StopTimeout = etcd.StopTimeout

// Config is what etcd is started with. The zero value is a single-member cluster with
// etcd's defaults except the timing below.
type Config struct {
	// HeartbeatInterval and ElectionTimeout default to 10 ms and 100 ms (etcd's own defaults
	// are 100 ms and 1 s); see [etcd.Config].
	HeartbeatInterval time.Duration
	ElectionTimeout   time.Duration

	// Args are further etcd flags, for example "--auto-compaction-retention=1" or
	// "--auth-token-ttl=1".
	Args []string

	// TLS, when set, serves the client URL over https with client certificates required
	// (see [etcd.TLS]); the Peer's own client presents TLS.Client's certificate.
	TLS *etcd.TLS
}

// Peer is one etcd member, started by [Start]: the launcher of package demo/etcd (which the
// demo's fleet uses too), bound to a test. It can be stopped and started again
// ([Peer.Stop], [Peer.Kill], [Peer.Restart]) on the same ports and data directory, so that a
// test can take the store away and bring it back with everything it held.
type Peer struct {
	// *etcd.Server gives URL, Addr, DataDir, Version, Stop, Kill, Running, Output and
	// HTTPClient.
	*etcd.Server
	tb testing.TB
}

// Start runs a fresh single-member etcd on free loopback ports with a temporary data
// directory, waits until it is healthy (at most [StartTimeout]), and stops it when the test
// ends. A missing binary, or an etcd that does not come up, fails the test with etcd's own
// output; nothing is skipped.
func Start(tb testing.TB, cfg Config) *Peer {
	tb.Helper()
	srv, err := etcd.Start(etcd.Config{DataDir: filepath.Join(tb.TempDir(), "etcd"),
		HeartbeatInterval: cfg.HeartbeatInterval, ElectionTimeout: cfg.ElectionTimeout, Args: cfg.Args, TLS: cfg.TLS})
	if err != nil {
		tb.Fatalf("etcdpeer.Start: %v", err)
	}
	p := &Peer{Server: srv, tb: tb}
	tb.Cleanup(func() {
		p.Kill()
		p.HTTPClient().CloseIdleConnections()
		if tb.Failed() {
			if out := strings.TrimSpace(p.Output()); out != "" {
				tb.Logf("etcd %s (%s) wrote:\n%s", p.Version, p.URL, out)
			}
		}
	})
	return p
}

// Binary finds the etcd server binary (see [etcd.Binary]).
func Binary() (string, error) { return etcd.Binary() }

// Restart starts etcd again on the same ports with the same data directory after [Peer.Stop]
// or [Peer.Kill] (stopping it first if it still runs), and waits until it is healthy. It fails
// the test when etcd does not come back, for example because another process took its port.
func (p *Peer) Restart() {
	p.tb.Helper()
	if err := p.Server.Restart(); err != nil {
		p.tb.Fatalf("etcdpeer.Restart: %v", err)
	}
}
