// Package idp runs the demo's OpenID Provider: panva's oidc-provider v9, the same pinned
// package and script the end-to-end tests use (testpeers/oidc-provider/provider.mjs,
// installed by testpeers/install.sh), as a Node.js child process listening on 127.0.0.1.
//
// It has a development login form that accepts any login and any password (sub = the login,
// name "User <login>", email <login>@example.test), grants consent silently, supports
// RP-initiated logout and back-channel logout, and keeps everything in memory: a restart
// forgets every session.
package idp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// StartTimeout bounds how long Start waits for the provider to listen.
const StartTimeout = 30 * time.Second

// Client is a relying party registered at the provider, in oidc-provider's client metadata
// (snake_case, as in OpenID Connect Dynamic Client Registration).
type Client map[string]any

// Options says how to run the provider.
type Options struct {
	// Dir is the folder with the script and its node_modules: testpeers/oidc-provider.
	Dir string
	// Script is the provider's script in Dir: "provider.mjs" when empty (v9);
	// "provider.cjs" in testpeers/oidc-provider-v6.
	Script string
	// Port is the port to listen on (on 127.0.0.1); 0 picks a free one.
	Port int
	// IssuerHost is the host name in the issuer URL ("127.0.0.1" when empty).
	IssuerHost string
	// Clients are registered statically.
	Clients []Client
	// Log receives the provider's error output, line by line, prefixed; nil for none.
	Log io.Writer
	// Debug makes the provider log every event (OIDC_PEER_DEBUG=1).
	Debug bool
}

// Provider is a running provider.
type Provider struct {
	// Issuer is its issuer URL: http://IssuerHost:Port.
	Issuer string

	cmd      *exec.Cmd
	stdin    io.Closer
	exited   chan struct{}
	waitErr  error
	stopping chan struct{}
	stopOnce sync.Once
	tmp      string
}

// Start runs the provider and waits until it listens (or ctx ends, or StartTimeout passes).
// The provider stops when Close is called, and also when this process dies: it exits when its
// standard input ends.
func Start(ctx context.Context, opts Options) (*Provider, error) {
	name := opts.Script
	if name == "" {
		name = "provider.mjs"
	}
	script := filepath.Join(opts.Dir, name)
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		return nil, fmt.Errorf("demo provider: oidc-provider is not installed in %s: run testpeers/install.sh (make run does)", opts.Dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("demo provider: node (Node.js 20 or later) is needed to run oidc-provider: %w", err)
	}
	clients := opts.Clients
	if clients == nil {
		clients = []Client{}
	}
	host := opts.IssuerHost
	if host == "" {
		host = "127.0.0.1"
	}
	doc, err := json.MarshalIndent(map[string]any{"port": opts.Port, "issuer_host": host, "clients": clients}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	tmp, err := os.MkdirTemp("", "exeunt-demo-idp-")
	if err != nil {
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	cfgPath := filepath.Join(tmp, "provider.json")
	if err := os.WriteFile(cfgPath, doc, 0o600); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("demo provider: %w", err)
	}

	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	p := &Provider{exited: make(chan struct{}), stopping: make(chan struct{}), tmp: tmp}
	cmd := exec.Command(node, name, cfgPath)
	cmd.Dir = opts.Dir
	cmd.Env = append(os.Environ(), "OIDC_PEER_EXIT_ON_STDIN_EOF=1")
	if opts.Debug {
		cmd.Env = append(cmd.Env, "OIDC_PEER_DEBUG=1")
	}
	ownProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	var stderr tail
	cmd.Stderr = &prefixWriter{w: io.MultiWriter(logw, &stderr), prefix: "idp: "}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("demo provider: starting %s: %w", node, err)
	}
	p.cmd, p.stdin = cmd, stdin

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if issuer, ok := strings.CutPrefix(line, "OIDC_PEER_READY "); ok {
				select {
				case ready <- strings.TrimSpace(issuer):
				default:
				}
				continue
			}
			fmt.Fprintf(logw, "idp: %s\n", line)
		}
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case p.Issuer = <-ready:
		return p, nil
	case <-p.exited:
		p.Close()
		return nil, fmt.Errorf("demo provider: oidc-provider exited before it was ready (%v): %s", p.waitErr, strings.TrimSpace(stderr.String()))
	case <-timer.C:
		p.Close()
		return nil, fmt.Errorf("demo provider: oidc-provider was not ready after %s: %s", StartTimeout, strings.TrimSpace(stderr.String()))
	case <-ctx.Done():
		p.Close()
		return nil, ctx.Err()
	}
}

// Exited is closed when the provider process has ended, whether Close ended it or not.
func (p *Provider) Exited() <-chan struct{} { return p.exited }

// Err is why the provider ended; valid once Exited is closed.
func (p *Provider) Err() error {
	select {
	case <-p.stopping:
		return nil
	default:
	}
	if p.waitErr == nil {
		return errors.New("oidc-provider exited")
	}
	return fmt.Errorf("oidc-provider exited: %w", p.waitErr)
}

// Close stops the provider: it ends its standard input and signals it, then kills it if it
// has not gone after 5 seconds.
func (p *Provider) Close() error {
	p.stopOnce.Do(func() {
		close(p.stopping)
		_ = p.stdin.Close()
		terminate(p.cmd)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		os.RemoveAll(p.tmp)
	})
	return nil
}

// prefixWriter writes each complete line with a prefix.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	pending []byte
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.pending = append(pw.pending, b...)
	for {
		i := strings.IndexByte(string(pw.pending), '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(pw.w, "%s%s\n", pw.prefix, pw.pending[:i])
		pw.pending = pw.pending[i+1:]
	}
	return len(b), nil
}

// tail keeps the last 4 KiB written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
