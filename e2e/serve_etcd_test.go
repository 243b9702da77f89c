package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// TestServeOnEtcdKeepsSignOutsAcrossARestart runs the shipped envoy.yaml in `hostsim
// serve` (the build/hostsim command, as a process, 2 VMs) with build/exeunt.wasm and the
// store on a real etcd (an `etcd` cluster added beside the others, `store.backend`
// "etcd"), the real provider and a stand-in app: sign in, sign out, and the old cookie is
// refused; the process is then killed (SIGKILL) and started again on the same envoy.yaml,
// and the old cookie is still refused there while a fresh sign-in works.
func TestServeOnEtcdKeepsSignOutsAcrossARestart(t *testing.T) {
	var assertion atomic.Value
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion.Store(r.Header.Get("X-Exeunt-Assertion"))
		fmt.Fprintf(w, "APP PAGE %s", r.URL.Path)
	})
	hostsimBin, _, peer, cfg := serveOnEtcdSetup(t, `"key_prefix": "/exeunt-serve/"`, app)

	cache := t.TempDir() // the restart reuses the first start's compiled module
	proc := startServeProcess(t, hostsimBin, cfg, cache)
	b := &serveBrowser{t: t, addr: proc.addr, jar: map[string]string{}}
	idp, _ := cookiejar.New(nil)
	b.signIn(peer, idp)
	if res, body := b.get("/app1/"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("signed in: %d %.200q\nlog:\n%s", res.StatusCode, body, proc.out)
	}
	old := b.jar["__Host-exeunt"]
	hint, _ := assertion.Load().(string)
	res, _ := b.get("/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode())
	if res.StatusCode/100 != 2 && res.StatusCode/100 != 3 || b.jar["__Host-exeunt"] != "" {
		t.Fatalf("sign-out: %d, cookie %q\nlog:\n%s", res.StatusCode, b.jar["__Host-exeunt"], proc.out)
	}
	b.jar["__Host-exeunt"] = old
	for i := 0; i < 4; i++ { // each VM (requests spread over both): refused at once
		if res, body := b.get("/app1/"); res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), peer.Issuer+"/auth?") {
			t.Fatalf("the signed-out cookie: %d %.200q", res.StatusCode, body)
		}
	}

	// kill -9 and start again. The first follow leaves at plugin start; until it is
	// back, a session is answered 503 (never the app's page).
	proc.kill()
	proc = startServeProcess(t, hostsimBin, cfg, cache)
	b.addr = proc.addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body := b.get("/app1/")
		if strings.Contains(body, "APP PAGE") {
			t.Fatalf("a signed-out cookie reached the app after a restart\nlog:\n%s", proc.out)
		}
		if res.StatusCode == 503 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), peer.Issuer+"/auth?") {
			t.Fatalf("the signed-out cookie after a restart: %d %.200q\nlog:\n%s", res.StatusCode, body, proc.out)
		}
		break
	}
	delete(b.jar, "__Host-exeunt")
	b.signIn(peer, idp)
	if res, body := b.get("/app1/"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("a fresh sign-in after the restart: %d %.200q\nlog:\n%s", res.StatusCode, body, proc.out)
	}
	if !strings.Contains(proc.out.String(), "store etcd: revocations loaded at revision") {
		t.Errorf("no VM logged loading the revocations:\n%s", proc.out)
	}
}

// serveProcess is `hostsim serve` running as a process.
type serveProcess struct {
	cmd  *exec.Cmd
	addr string // the listener main's host:port
	out  *syncbuf.Buffer
}

// serveOnEtcdSetup is what the tests that run `hostsim serve` as a process on a real etcd
// share: build/hostsim, a real etcd (returned, to stop and restart) and the real provider, app answering for both apps,
// and a copy of the shipped envoy.yaml with configured keys (as a fleet has: generated
// ones are refused with etcd, and would change with a restart, making an old cookie
// unreadable rather than revoked), an `etcd` cluster and the store on it with etcdSettings
// (the members of store.etcd after "cluster").
func serveOnEtcdSetup(t *testing.T, etcdSettings string, app http.Handler) (hostsimBin string, etcd *etcdpeer.Peer, peer *oidcpeer.Peer, cfg string) {
	t.Helper()
	wasmFile(t, "exeunt.wasm")
	hostsimBin, err := filepath.Abs("../build/hostsim")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(hostsimBin); err != nil {
		t.Fatalf("%v: build it with `make wasm` (scripts/build-wasm.sh builds build/hostsim)", err)
	}
	etcd = etcdpeer.Start(t, etcdpeer.Config{})
	peer = oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID: "exeunt", Secret: "demo-secret-not-for-production", RedirectURIs: []string{"http://localhost:10000/signin-oidc"}}}})
	appServer := httptest.NewServer(app)
	t.Cleanup(appServer.Close)
	keys, err := demo.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keysJSON, _ := json.Marshal(keys.Object())
	cfg = shippedYAMLFile(t, map[string]string{
		`"keys": { "dev_generate": true }`:    `"keys": ` + string(keysJSON),
		"http://127.0.0.1:9080":               peer.Issuer,
		`"issuer": "http://localhost:10000",`: `"issuer": "http://localhost:10000", "store": {"backend": "etcd", "etcd": {"cluster": "etcd", ` + etcdSettings + `}},`,
	}, func(doc map[string]any) {
		addCluster(t, doc, "etcd", "app1")
		pointClusters(t, doc, map[string]string{"demo_idp": peer.Addr, "app1": appServer.Listener.Addr().String(),
			"app2": appServer.Listener.Addr().String(), "etcd": strings.TrimPrefix(etcd.URL, "http://")})
	})
	return hostsimBin, etcd, peer, cfg
}

// startServeProcess runs `hostsim serve -c cfg --vms 2` from the repository root (where
// envoy.yaml's relative module path resolves), with its compiled modules cached in cache,
// and waits until it prints its listener.
func startServeProcess(t *testing.T, bin, cfg, cache string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", cfg, "--vms", "2", "--cache-dir", cache)
	cmd.Dir = ".."
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, out: out}
	t.Cleanup(p.kill)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "listener main: http://"); ok {
				p.addr = strings.TrimSuffix(rest, "/")
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("hostsim serve printed no listener in 60 s:\n%s", out)
	return nil
}

// kill ends the process at once (SIGKILL), as a crash would.
func (p *serveProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// addCluster adds a copy of envoy.yaml's cluster like, named name.
func addCluster(t *testing.T, doc map[string]any, name, like string) {
	t.Helper()
	sr, _ := doc["static_resources"].(map[string]any)
	clusters, _ := sr["clusters"].([]any)
	for _, c := range clusters {
		c, _ := c.(map[string]any)
		if c["name"] != like {
			continue
		}
		cp := map[string]any{}
		for k, v := range c {
			cp[k] = v
		}
		cp["name"] = name
		cp["load_assignment"] = map[string]any{"cluster_name": name}
		sr["clusters"] = append(clusters, cp)
		return
	}
	t.Fatalf("envoy.yaml has no cluster %s", like)
}

// serveBrowser sends a browser's requests for http://localhost:10000 to a hostsim serve
// listener, keeping Exeunt's cookies (Go's cookie jar keeps Secure cookies to https; a
// browser keeps them for localhost).
type serveBrowser struct {
	t    *testing.T
	addr string
	jar  map[string]string
}

func (b *serveBrowser) client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, b.addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// get requests path (or a whole http://localhost:10000 URL) with the cookies, and keeps
// the cookies the answer sets.
func (b *serveBrowser) get(path string) (*http.Response, string) {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = "http://localhost:10000" + path
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range b.jar {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := b.client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
	return res, string(body)
}

// signIn signs alice in from App One's page, through the provider.
func (b *serveBrowser) signIn(peer *oidcpeer.Peer, idp http.CookieJar) {
	b.t.Helper()
	res, body := b.get("/app1/")
	if res.StatusCode != 302 {
		b.t.Fatalf("App One signed out: %d %.200q", res.StatusCode, body)
	}
	back, err := peer.Login(idp, res.Header.Get("Location"), "alice")
	if err != nil {
		b.t.Fatal(err)
	}
	if res, body := b.get(back.String()); res.StatusCode != 302 || b.jar["__Host-exeunt"] == "" {
		b.t.Fatalf("the sign-in callback: %d %.200q", res.StatusCode, body)
	}
}
