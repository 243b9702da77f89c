// Package oidcpeer runs a real OpenID Provider for end-to-end tests: panva's oidc-provider
// from npm (v9, or v6 for front-channel logout and session management), started as a Node.js
// child process from the repository's testpeers folder, listening on 127.0.0.1 only.
//
// A test starts one with [Start], which registers the given clients statically, and then plays
// the browser's part at the provider with [Peer.Login], [Peer.ConfirmLogout], [Peer.Logout]
// and [Peer.LogoutAtProvider]:
//
//	op := oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
//		ID: "exeunt", Secret: "s3cret", RedirectURIs: []string{rp.URL + "/signin-oidc"},
//	}}})
//	jar, _ := cookiejar.New(nil)
//	back, err := op.Login(jar, authorizeURL, "alice") // back: redirect_uri?code=...&state=...
//
// The provider accepts any login (sub = the login, name = "User <login>", email =
// <login>@example.test), never asks for consent unless [Config.RequireConsent], signs ID tokens
// with RS256 (a key made at start), and sends back-channel logout tokens to 127.0.0.1.
//
// The npm packages must be installed first (testpeers/install.sh; `make test` runs it). A
// missing installation, or a missing node, fails the test: it is never skipped.
//
// The package uses the standard library only.
package oidcpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// StartTimeout bounds how long [Start] waits for the provider's READY line.
const StartTimeout = 20 * time.Second

// readyPrefix starts the one line the provider scripts print on stdout once they listen.
const readyPrefix = "OIDC_PEER_READY "

// Config is what the provider is started with.
type Config struct {
	// Clients are registered statically at start.
	Clients []Client

	// RequireConsent makes the provider ask for consent as oidc-provider does out of the box
	// (devInteractions' consent page; [Peer.Login] submits it). By default every client is
	// treated as first-party and consent is granted silently.
	RequireConsent bool

	// ConformIDTokenClaims keeps profile and email claims out of ID tokens issued with an
	// access token (oidc-provider's own default): they are then only at the userinfo endpoint.
	// By default they are in the ID token too, as most providers do.
	ConformIDTokenClaims bool

	// DisableSessionManagement turns off check_session_iframe and session_state (v6 only,
	// where they are on by default; v9 has no session management).
	DisableSessionManagement bool

	// IssuerHost is the host name in the issuer URL, default "127.0.0.1". The provider always
	// listens on 127.0.0.1: another name (for example "localhost", which a browser treats as
	// another site than 127.0.0.1) must resolve there for whoever uses it. The Peer's own
	// requests always reach it.
	IssuerHost string

	// TTL overrides oidc-provider's lifetimes, in seconds, by model name: "AccessToken",
	// "AuthorizationCode", "IdToken", "Session", "Interaction", "Grant", "RefreshToken", ...
	TTL map[string]int
}

// Client is a relying party registered at the provider.
type Client struct {
	ID     string
	Secret string // empty for a public client (TokenEndpointAuthMethod "none")

	// RedirectURIs and PostLogoutRedirectURIs are matched exactly, character for character,
	// port included: oidc-provider relaxes the port only for clients registered with
	// application_type "native".
	RedirectURIs           []string
	PostLogoutRedirectURIs []string

	// BackchannelLogoutURI receives the provider's logout tokens (POST, form field
	// logout_token). With BackchannelLogoutSessionRequired they carry sid, and so does every ID
	// token issued to this client.
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool

	// FrontchannelLogoutURI is loaded in an iframe by the provider's logout page (v6 only;
	// v9 refuses it). With FrontchannelLogoutSessionRequired it gets iss and sid, and ID tokens
	// carry sid.
	FrontchannelLogoutURI             string
	FrontchannelLogoutSessionRequired bool

	// TokenEndpointAuthMethod defaults to "client_secret_basic".
	TokenEndpointAuthMethod string

	// Metadata is any further oidc-provider client metadata, snake_case as in the
	// registration spec (for example "grant_types", "application_type", "client_name"). Its
	// entries win over the fields above.
	Metadata map[string]any
}

// Peer is a running provider.
type Peer struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:PORT unless Config.IssuerHost.
	Issuer string
	// Addr is where it listens: 127.0.0.1:PORT.
	Addr string
	// Version is "v9" or "v6".
	Version string

	issuer    *url.URL
	transport *http.Transport
	cmd       *exec.Cmd
	stdin     interface{ Close() error }
	output    *syncbuf.Buffer
	exited    chan struct{}
	stopOnce  sync.Once

	discoveryMu sync.Mutex
	discovery   map[string]any
}

type peerFlavour struct {
	dir, script string
}

var flavours = map[string]peerFlavour{
	"v9": {dir: "oidc-provider", script: "provider.mjs"},
	"v6": {dir: "oidc-provider-v6", script: "provider.cjs"},
}

// Start runs the provider of the given version ("v9" or "v6") with cfg, waits until it is
// ready (at most [StartTimeout]), and stops it when the test ends. Anything that prevents it
// from starting fails the test (with the provider's stderr); nothing is skipped.
//
// What the provider writes to stderr (its errors: refused requests, failed back-channel
// deliveries, server errors) is logged through t when the test has failed.
func Start(t testing.TB, version string, cfg Config) *Peer {
	t.Helper()
	flavour, ok := flavours[version]
	if !ok {
		t.Fatalf("oidcpeer.Start: unknown version %q (want \"v9\" or \"v6\")", version)
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("oidcpeer.Start: %v", err)
	}
	dir := filepath.Join(root, "testpeers", flavour.dir)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		t.Fatalf("oidcpeer.Start: oidc-provider %s is not installed in %s: run `make test`, or testpeers/install.sh, first", version, dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("oidcpeer.Start: node (Node.js 20 or later) is needed to run oidc-provider: %v", err)
	}
	doc, err := json.MarshalIndent(cfg.toJSON(), "", "  ")
	if err != nil {
		t.Fatalf("oidcpeer.Start: encoding the configuration: %v", err)
	}
	cfgPath := filepath.Join(t.TempDir(), "oidc-peer-"+version+".json")
	if err := os.WriteFile(cfgPath, doc, 0o600); err != nil {
		t.Fatalf("oidcpeer.Start: %v", err)
	}

	p := &Peer{Version: version, output: &syncbuf.Buffer{}, exited: make(chan struct{})}
	ready := make(chan string, 1)
	cmd := exec.Command(node, flavour.script, cfgPath)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OIDC_PEER_EXIT_ON_STDIN_EOF=1")
	cmd.Stderr = p.output
	cmd.Stdout = &lineWriter{line: func(line string) {
		if issuer, ok := strings.CutPrefix(line, readyPrefix); ok {
			select {
			case ready <- strings.TrimSpace(issuer):
			default:
			}
			return
		}
		fmt.Fprintf(p.output, "stdout: %s\n", line)
	}}
	// The provider exits when its stdin ends: when this process dies, however it dies, the
	// provider does not linger.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("oidcpeer.Start: %v", err)
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidcpeer.Start: starting %s %s: %v", node, flavour.script, err)
	}
	p.cmd = cmd
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() && p.Issuer != "" { // a failed start has shown the output already
			if out := strings.TrimSpace(p.output.String()); out != "" {
				t.Logf("oidc-provider %s (%s) wrote:\n%s", version, p.Issuer, out)
			}
		}
	})

	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case issuer := <-ready:
		p.Issuer = issuer
	case <-p.exited:
		t.Fatalf("oidcpeer.Start: oidc-provider %s exited before it was ready (%v):\n%s", version, waitErr, p.output.String())
	case <-timer.C:
		t.Fatalf("oidcpeer.Start: oidc-provider %s was not ready after %s:\n%s", version, StartTimeout, p.output.String())
	}

	p.issuer, err = url.Parse(p.Issuer)
	if err != nil || p.issuer.Port() == "" {
		t.Fatalf("oidcpeer.Start: the provider announced an unusable issuer %q", p.Issuer)
	}
	p.Addr = net.JoinHostPort("127.0.0.1", p.issuer.Port())
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	issuerHostPort := p.issuer.Host
	p.transport = &http.Transport{
		Proxy: nil, // never through a proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == issuerHostPort {
				addr = p.Addr
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(p.transport.CloseIdleConnections)
	return p
}

// Stop ends the provider now (it is also stopped when the test ends). Later requests to it
// fail to connect: a provider that is down.
func (p *Peer) Stop() {
	p.stopOnce.Do(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
			return
		default:
		}
		_ = p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
		}
	})
}

// Output is everything the provider has written to stderr so far (and any stray stdout).
func (p *Peer) Output() string { return p.output.String() }

// HTTPClient is a client that reaches the provider (also under Config.IssuerHost) and never
// follows redirects; jar may be nil.
func (p *Peer) HTTPClient(jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport: p.transport,
		Jar:       jar,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Discovery returns the provider's /.well-known/openid-configuration (fetched once).
func (p *Peer) Discovery() (map[string]any, error) {
	p.discoveryMu.Lock()
	defer p.discoveryMu.Unlock()
	if p.discovery != nil {
		return p.discovery, nil
	}
	resp, err := p.HTTPClient(nil).Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("oidcpeer: discovery: %s", resp.Status)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("oidcpeer: discovery: %w", err)
	}
	p.discovery = doc
	return doc, nil
}

// Endpoint returns one endpoint URL from discovery, for example "token_endpoint".
func (p *Peer) Endpoint(name string) (string, error) {
	doc, err := p.Discovery()
	if err != nil {
		return "", err
	}
	s, _ := doc[name].(string)
	if s == "" {
		return "", fmt.Errorf("oidcpeer: discovery has no %s", name)
	}
	return s, nil
}

func (c Config) toJSON() map[string]any {
	clients := make([]map[string]any, 0, len(c.Clients))
	for _, cl := range c.Clients {
		clients = append(clients, cl.toJSON())
	}
	doc := map[string]any{
		"port":                    0,
		"issuer_host":             "127.0.0.1",
		"clients":                 clients,
		"require_consent":         c.RequireConsent,
		"conform_id_token_claims": c.ConformIDTokenClaims,
		"session_management":      !c.DisableSessionManagement,
	}
	if c.IssuerHost != "" {
		doc["issuer_host"] = c.IssuerHost
	}
	if len(c.TTL) > 0 {
		doc["ttl"] = c.TTL
	}
	return doc
}

func (c Client) toJSON() map[string]any {
	m := map[string]any{"client_id": c.ID}
	if c.Secret != "" {
		m["client_secret"] = c.Secret
	}
	m["redirect_uris"] = nonNil(c.RedirectURIs)
	if len(c.PostLogoutRedirectURIs) > 0 {
		m["post_logout_redirect_uris"] = c.PostLogoutRedirectURIs
	}
	if c.BackchannelLogoutURI != "" {
		m["backchannel_logout_uri"] = c.BackchannelLogoutURI
		m["backchannel_logout_session_required"] = c.BackchannelLogoutSessionRequired
	}
	if c.FrontchannelLogoutURI != "" {
		m["frontchannel_logout_uri"] = c.FrontchannelLogoutURI
		m["frontchannel_logout_session_required"] = c.FrontchannelLogoutSessionRequired
	}
	m["token_endpoint_auth_method"] = "client_secret_basic"
	if c.TokenEndpointAuthMethod != "" {
		m["token_endpoint_auth_method"] = c.TokenEndpointAuthMethod
	}
	for k, v := range c.Metadata {
		m[k] = v
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// repoRoot walks up from the working directory (a test's package directory) to go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: cannot find testpeers/")
		}
		dir = parent
	}
}

// lineWriter hands every complete line written to it to line.
type lineWriter struct {
	line    func(string)
	pending []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			break
		}
		w.line(strings.TrimRight(string(w.pending[:i]), "\r"))
		w.pending = w.pending[i+1:]
	}
	return len(p), nil
}
