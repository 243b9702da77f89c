package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

func repoYAML(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThePlanOfTheShippedEnvoyYAML(t *testing.T) {
	cfg, err := envoyconfig.Load(repoYAML(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.issuer != "http://localhost:10000" || p.host != "localhost:10000" || p.listener.Address != "127.0.0.1:10000" {
		t.Fatalf("issuer %s host %s listener %s", p.issuer, p.host, p.listener.Address)
	}
	pr := p.provider
	if pr.port != 9080 || pr.clientID != "exeunt" || pr.redirectURI != "http://localhost:10000/signin-oidc" ||
		pr.postLogoutURI != "http://localhost:10000/signout-callback-oidc" || pr.backchannelURI != "http://localhost:10000/backchannel-oidc" {
		t.Fatalf("provider %+v", pr)
	}
	if len(p.apps) != 2 {
		t.Fatalf("%d apps", len(p.apps))
	}
	a1, a2 := p.apps[0], p.apps[1]
	if a1.addr != "127.0.0.1:8081" || a1.config.PathPrefix != "/app1/" || a1.config.PublicPrefix != "/public/app1/" ||
		a1.config.BackchannelLogoutURI == "" || a1.url != "http://localhost:10000/app1/" || len(a1.config.Links) != 1 || a1.config.Links[0].URL != a2.url {
		t.Fatalf("app1 %+v", a1)
	}
	if a2.addr != "127.0.0.1:8082" || a2.config.BackchannelLogoutURI != "" || a2.config.FrontchannelLogoutURI == "" {
		t.Fatalf("app2 %+v", a2)
	}
}

func TestFreePortsRewritesEveryUseOfAPort(t *testing.T) {
	out, mapping, err := freePorts(repoYAML(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []int{9901, 10000, 9080, 8081, 8082} {
		if mapping[old] == 0 || mapping[old] == old {
			t.Fatalf("port %d mapped to %d", old, mapping[old])
		}
	}
	if m := regexp.MustCompile(`(port_value: |localhost:|127\.0\.0\.1:)(9901|10000|9080|8081|8082)\b`).Find(out); m != nil {
		t.Fatalf("%q is left in the rewritten file", m)
	}
	cfg, err := envoyconfig.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := makePlan(cfg); err != nil {
		t.Fatalf("the rewritten file does not make a demo: %v", err)
	}
}

func TestPlanErrorsSayWhatToChange(t *testing.T) {
	yaml := string(repoYAML(t))
	for _, tt := range []struct{ name, old, new, want string }{
		{"a provider elsewhere", `"issuer": "http://127.0.0.1:9080"`, `"issuer": "https://idp.example.test"`, "the demo provider runs at http://127.0.0.1:PORT"},
		{"a provider cluster elsewhere", "port_value: 9080", "port_value: 9081", `cluster "demo_idp" reaches 127.0.0.1:9081`},
		{"an issuer off the listener", `"issuer": "http://localhost:10000"`, `"issuer": "http://localhost:10001"`, "make them the same"},
		{"an app routed elsewhere", `"path_prefixes": ["/app2/"]`, `"path_prefixes": ["/other/"]`, `routed to cluster "app2", not to its own cluster "app1"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(yaml, tt.old) {
				t.Fatalf("envoy.yaml has no %q", tt.old)
			}
			cfg, err := envoyconfig.Load([]byte(strings.Replace(yaml, tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = makePlan(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestStartServesTheDemo starts the whole demo from the shipped envoy.yaml on free ports and
// checks that its parts are wired: a visit to an app is sent to the provider's login. (The
// browser tests in e2e/browser go through sign-in and sign-out.)
func TestStartServesTheDemo(t *testing.T) {
	root, _ := filepath.Abs("..")
	if _, err := os.Stat(filepath.Join(root, "build", "exeunt.wasm")); err != nil {
		t.Fatal("build/exeunt.wasm is missing: run `make test` (or `make wasm`) first")
	}
	var log strings.Builder
	d, err := Start(context.Background(), Options{ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FreePorts: true, VMs: 1,
		Log: &syncWriter{w: &log}, CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	defer d.Close()
	if d.URL != d.Apps[0].URL || !strings.HasPrefix(d.URL, d.Issuer) {
		t.Fatalf("URL %s, issuer %s", d.URL, d.Issuer)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{Proxy: nil}}
	listener := "http://" + d.ListenerAddr
	req, _ := http.NewRequest("GET", listener+"/app2/", nil)
	req.Host = strings.TrimPrefix(d.Issuer, "http://")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc == nil || !strings.HasPrefix(loc.String(), d.ProviderIssuer+"/auth?") {
		t.Fatalf("an unauthenticated visit: %s to %s", resp.Status, loc)
	}
	// The provider knows Exeunt's redirect URI: the authorization request reaches its login.
	resp, err = client.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "/interaction/") {
		t.Fatalf("the provider answered the authorization request with %s %s", resp.Status, resp.Header.Get("Location"))
	}
	// The public part of an app works without a session.
	req, _ = http.NewRequest("GET", listener+"/public/app1/", nil)
	req.Host = strings.TrimPrefix(d.Issuer, "http://")
	if resp, err = client.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the public log: %v %v", resp, err)
	}
	resp.Body.Close()

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get(d.ProviderIssuer); err == nil {
		t.Fatal("the provider still answers after Close")
	}
}

// TestStartWithItsListenerTakenFailsCleanly holds the listener's port while the demo starts:
// Start returns hostsim's "already in use" error (EADDRINUSE, which a FreePorts start retries
// on) and stops what it started. It used to panic in Close on the failed hostsim.
func TestStartWithItsListenerTakenFailsCleanly(t *testing.T) {
	root, _ := filepath.Abs("..")
	if _, err := os.Stat(filepath.Join(root, "build", "exeunt.wasm")); err != nil {
		t.Fatal("build/exeunt.wasm is missing: run `make test` (or `make wasm`) first")
	}
	raw, err := os.ReadFile(filepath.Join(root, "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	moved, mapping, err := freePorts(raw)
	if err != nil {
		t.Fatal(err)
	}
	held, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", mapping[10000]))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	path := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(path, moved, 0o600); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	d, err := Start(context.Background(), Options{ConfigPath: path, Dir: root, VMs: 1,
		Log: &syncWriter{w: &log}, CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err == nil {
		d.Close()
		t.Fatalf("the demo started on a listener port another process holds\n%s", log.String())
	}
	if d != nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Start = %v, %v; want no demo and hostsim's EADDRINUSE error", d, err)
	}
}
