package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/demo/etcd"
	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// The fleet harness: a real etcd (etcdpeer), the real provider (oidcpeer v9), two apps, and
// replicas of the shipped envoy.yaml made a fleet's by demo.FleetConfig (the store on etcd,
// shared configured keys), each a `hostsim serve` child process running build/exeunt.wasm, so
// that a test can kill one with SIGKILL and start it again.
//
// The browser side: Exeunt's issuer is http://localhost:PORT, where PORT is the fleet's
// round-robin front (demo.Front, as in `make run DEMO_FLAGS=-replicas 2`). A test picks the
// replica each request goes to through that replica's pinned front, a proxy that sends
// everything to it with the issuer's Host (what a load balancer does when it routes a request
// to that replica). The provider's back-channel logout URI is replica A's pinned front: its
// logout tokens always reach A.

// fleetOptions vary the fleet.
type fleetOptions struct {
	replicas int            // default 2
	etcd     map[string]any // more of store.etcd (follow_period, stale_after, ...)
	local    bool           // no store setting: each replica on its own local store (benchmarks)
	// etcdVia, when set, is given etcd's address and returns the one the replicas' etcd
	// cluster reaches instead (a counting proxy in front of etcd, for the benchmarks).
	etcdVia func(etcdAddr string) string
	// etcdViaReplica, when set, is given a replica's index and etcd's address and returns
	// the address that replica's etcd cluster reaches instead (a proxy that can cut that
	// replica alone off from etcd): each replica then gets its own envoy.yaml.
	etcdViaReplica func(replica int, etcdAddr string) string
	// etcdTLS, when set, serves etcd's client URL over mutual TLS (etcdpeer.Config.TLS), and
	// etcdTransportSocket gives each replica (by index) its etcd cluster's transport_socket
	// (demo.Fleet.EtcdTransportSocket).
	etcdTLS             *etcd.TLS
	etcdTransportSocket func(replica int) map[string]any
	// plugin is more top-level plugin configuration (for example "session"), beside the
	// harness's own "logout".
	plugin map[string]any
}

type fleet struct {
	t        testing.TB
	etcd     *etcdpeer.Peer
	peer     *oidcpeer.Peer
	keys     demo.Keys
	issuer   string // http://localhost:PORT
	host     string // localhost:PORT
	cfgPath  string
	replicas []*replica
	front    *demo.Front
	frontURL string
	app1     *fleetApp // routes /app1/, back-channel logout tokens
	app2     *fleetApp
}

// replica is one `hostsim serve` process.
type replica struct {
	f      *fleet
	name   string
	pinned string // http://127.0.0.1:PORT: the pinned front, stable across restarts
	cfg    string // its envoy.yaml

	mu     sync.Mutex
	onSent func(*http.Response) // see answered
	addr   string               // the listener's current address
	cmd    *exec.Cmd
	done   chan struct{}
	log    *syncbuf.Buffer
	// servedAt is the Unix second in which the replica last began serving: its VMs
	// started in it or before. On the local store a session created in or before the
	// second its store began is refused (core/store_local_since.go), so a test that mints
	// a session waits for the second after (mintedAfterStart).
	servedAt int64
}

var (
	hostsimBinOnce sync.Once
	hostsimBin     string
	hostsimBinErr  error
)

// hostsimBinary builds cmd/hostsim once per test binary, to build/fleet-hostsim.
func hostsimBinary(t testing.TB) string {
	t.Helper()
	hostsimBinOnce.Do(func() {
		// Into build/ (not a temporary directory, which nothing would remove): rebuilt by
		// every test binary, so it is never older than the source.
		abs, err := filepath.Abs(filepath.Join("..", "build", "fleet-hostsim"))
		if err != nil {
			hostsimBinErr = err
			return
		}
		hostsimBin = abs
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		cmd := exec.Command(goBin, "build", "-o", hostsimBin, "./cmd/hostsim")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			hostsimBinErr = fmt.Errorf("go build ./cmd/hostsim: %v\n%s", err, out)
		}
	})
	if hostsimBinErr != nil {
		t.Fatal(hostsimBinErr)
	}
	return hostsimBin
}

func startFleet(t testing.TB, o fleetOptions) *fleet {
	t.Helper()
	wasmFile(t, "exeunt.wasm")
	bin := hostsimBinary(t)
	if o.replicas == 0 {
		o.replicas = 2
	}
	f := &fleet{t: t}
	f.etcd = etcdpeer.Start(t, etcdpeer.Config{TLS: o.etcdTLS})
	var err error
	if f.keys, err = demo.GenerateKeys(); err != nil {
		t.Fatal(err)
	}

	// The front's port is the issuer's; the pinned fronts exist before the provider, which
	// is told replica A's as its back-channel logout URI.
	frontLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.host = "localhost:" + strconv.Itoa(frontLn.Addr().(*net.TCPAddr).Port)
	f.issuer = "http://" + f.host
	f.frontURL = "http://" + frontLn.Addr().String()
	for i := 0; i < o.replicas; i++ {
		r := &replica{f: f, name: string(rune('A' + i)), log: &syncbuf.Buffer{}}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.pinned = "http://" + ln.Addr().String()
		srv := &http.Server{Handler: &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(&url.URL{Scheme: "http", Host: r.currentAddr()})
				pr.Out.Host = f.host
			},
			Transport: &http.Transport{Proxy: nil},
			// A test may look at the fleet the moment the replica has answered, before
			// the answer reaches whoever asked (the provider's back-channel logout).
			ModifyResponse: func(resp *http.Response) error {
				if h := r.answered(); h != nil {
					h(resp)
				}
				return nil
			},
		}}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		f.replicas = append(f.replicas, r)
	}

	f.app1, f.app2 = newFleetApp(t, "app1"), newFleetApp(t, "app2")
	f.peer = oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID: "exeunt", Secret: "demo-secret-not-for-production",
		RedirectURIs:           []string{f.issuer + "/signin-oidc"},
		PostLogoutRedirectURIs: []string{f.issuer + "/signout-callback-oidc"},
		BackchannelLogoutURI:   f.replicas[0].pinned + "/backchannel-oidc", BackchannelLogoutSessionRequired: true,
	}}})

	raw, err := os.ReadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, peerPort, _ := net.SplitHostPort(f.peer.Addr)
	_, port1, _ := net.SplitHostPort(f.app1.addr)
	_, port2, _ := net.SplitHostPort(f.app2.addr)
	text := string(raw)
	for from, to := range map[string]string{
		"localhost:10000": f.host,
		"127.0.0.1:9080":  f.peer.Addr, "port_value: 9080": "port_value: " + peerPort,
		"127.0.0.1:8081": f.app1.addr, "port_value: 8081": "port_value: " + port1,
		"127.0.0.1:8082": f.app2.addr, "port_value: 8082": "port_value: " + port2,
	} {
		if !strings.Contains(text, from) {
			t.Fatalf("envoy.yaml no longer has %q: update the fleet harness", from)
		}
		text = strings.ReplaceAll(text, from, to)
	}
	etcdSettings := map[string]any{"key_prefix": "/exeunt-fleet/"}
	for k, v := range o.etcd {
		etcdSettings[k] = v
	}
	etcdAddr := f.etcd.Addr
	if o.etcdVia != nil {
		etcdAddr = o.etcdVia(etcdAddr)
	}
	if o.local {
		etcdAddr = ""
	}
	fleetConfig := func(i int) string {
		addr := etcdAddr
		if o.etcdViaReplica != nil {
			addr = o.etcdViaReplica(i, etcdAddr)
		}
		fc := demo.Fleet{
			EtcdAddr: addr, Keys: f.keys, Etcd: etcdSettings,
			// Logout contexts in the store (so that the provider's redirect back can land on
			// another replica), and deliveries quick to retry and to take over.
			Plugin: map[string]any{"logout": map[string]any{"context_storage": "store", "backchannel_timeout": "1s"}},
		}
		for k, v := range o.plugin {
			fc.Plugin[k] = v
		}
		if o.etcdTransportSocket != nil {
			fc.EtcdTransportSocket = o.etcdTransportSocket(i)
		}
		out, err := demo.FleetConfig([]byte(text), fc)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "fleet-envoy.yaml")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	f.cfgPath = fleetConfig(0)
	for i, r := range f.replicas {
		r.cfg = f.cfgPath
		if (o.etcdTransportSocket != nil || o.etcdViaReplica != nil) && i > 0 {
			r.cfg = fleetConfig(i)
		}
	}

	var addrs []string
	for _, r := range f.replicas {
		r.start(t, bin)
		addrs = append(addrs, r.currentAddr())
	}
	// The front probes the replicas' readiness as docs/fleet.md's load balancer does, more
	// often (a restarted replica is back in rotation sooner).
	f.front = demo.NewFront(demo.FrontCheck{Host: f.host, Interval: 250 * time.Millisecond}, addrs...)
	frontSrv := &http.Server{Handler: f.front}
	go frontSrv.Serve(frontLn)
	t.Cleanup(func() { frontSrv.Close(); f.front.Close() })
	t.Cleanup(func() {
		for _, r := range f.replicas {
			r.kill()
		}
		dir := os.Getenv("EXEUNT_FLEET_LOGS")
		for _, r := range f.replicas {
			if dir != "" {
				t.Logf("replica %s's whole log: %s", r.name, r.writeLog(t, dir))
			}
			if t.Failed() {
				t.Logf("replica %s wrote (its last 80 lines; EXEUNT_FLEET_LOGS=DIR keeps whole logs):\n%s",
					r.name, lastLines(r.log.String(), 80))
			}
		}
	})
	return f
}

// writeLog writes the replica's whole log (every start of it, with the test's name) to a new
// file in dir and returns its path: EXEUNT_FLEET_LOGS=DIR, for a failure whose cause lies
// before the last lines printed (go test -run 'TestFleet$' with EXEUNT_FLEET_LOGS=/tmp/fleet).
func (r *replica) writeLog(t testing.TB, dir string) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err.Error()
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	file, err := os.CreateTemp(dir, name+"-replica-"+r.name+"-*.log")
	if err != nil {
		return err.Error()
	}
	defer file.Close()
	if _, err := io.WriteString(file, r.log.String()); err != nil {
		return err.Error()
	}
	return file.Name()
}

// firstLine is a page's <title>, or its first 200 bytes.
func firstLine(body string) string {
	if _, rest, ok := strings.Cut(body, "<title>"); ok {
		title, _, _ := strings.Cut(rest, "</title>")
		return title
	}
	if len(body) > 200 {
		return body[:200]
	}
	return body
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

var listenerLineRE = regexp.MustCompile(`^listener main: http://([0-9.:]+)/`)

// start runs the replica's hostsim serve and waits until it printed its listener's address
// (hostsim serve prints it once the plugin has started on every VM).
func (r *replica) start(t testing.TB, bin string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", r.cfg, "--vms", "2", "--base-dir", "..", "--log-level", "info")
	if d := os.Getenv("HOSTSIM_CACHE_DIR"); d != "" {
		cmd.Args = append(cmd.Args, "--cache-dir", d)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = r.log
	fleetDieWithParent(cmd)
	fmt.Fprintf(r.log, "--- fleet: starting replica %s\n", r.name)
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		// The parent-death signal follows the thread that forked the child: keep it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		fmt.Fprintf(r.log, "--- fleet: replica %s exited (%v)\n", r.name, cmd.ProcessState)
		close(done)
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			fmt.Fprintln(r.log, sc.Text())
			if m := listenerLineRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("replica %s stopped before serving:\n%s", r.name, r.log.String())
		}
		r.mu.Lock()
		r.addr, r.cmd, r.done, r.servedAt = a, cmd, done, time.Now().Unix()
		r.mu.Unlock()
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("replica %s did not serve within 60s:\n%s", r.name, r.log.String())
	}
}

// answered is the hook the replica's pinned front runs on each answer of the replica,
// before passing it on (nil: none).
func (r *replica) answered() func(*http.Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.onSent
}

// onAnswer sets that hook (nil removes it).
func (r *replica) onAnswer(h func(*http.Response)) {
	r.mu.Lock()
	r.onSent = h
	r.mu.Unlock()
}

func (r *replica) currentAddr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addr
}

// running says whether the replica's process is up.
func (r *replica) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cmd != nil
}

// kill ends the replica with SIGKILL (a crash: nothing is flushed, no goodbye) and waits
// for it to be gone.
func (r *replica) kill() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// restart starts the replica again after kill, on a new port behind the same pinned front.
func (r *replica) restart(t testing.TB) {
	t.Helper()
	r.kill()
	r.start(t, hostsimBinary(t))
	for i, o := range r.f.replicas {
		if o == r {
			r.f.front.SetBackend(i, r.currentAddr())
		}
	}
}

// fleetApp is an app behind the fleet: it records the identity each request carried, and
// takes back-channel logout tokens at POST /backchannel-logout (the shipped envoy.yaml's
// app1 backchannel_logout_uri), answering 503 while failing is set.
type fleetApp struct {
	name string
	addr string

	mu      sync.Mutex
	failing bool
	seen    []http.Header // the headers of each app request
	tokens  []string      // logout tokens accepted
	refused int           // deliveries answered 503
	got     chan string
}

func newFleetApp(t testing.TB, name string) *fleetApp {
	a := &fleetApp{name: name, got: make(chan string, 1024)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	srv := &http.Server{Handler: a}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return a
}

func (a *fleetApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/backchannel-logout" {
		tok := ""
		if r.Method == http.MethodPost && r.ParseForm() == nil {
			tok = r.PostForm.Get("logout_token")
		}
		a.mu.Lock()
		failing := a.failing
		if failing {
			a.refused++
		} else if tok != "" {
			a.tokens = append(a.tokens, tok)
		}
		a.mu.Unlock()
		if tok == "" {
			http.Error(w, "no logout_token", http.StatusBadRequest)
			return
		}
		if failing {
			http.Error(w, "failing on purpose", http.StatusServiceUnavailable)
			return
		}
		select {
		case a.got <- tok:
		default: // nobody waits for tokens (the benchmarks count tokens instead)
		}
		return
	}
	a.mu.Lock()
	a.seen = append(a.seen, r.Header.Clone())
	a.mu.Unlock()
	io.WriteString(w, "hello from "+a.name+" "+r.Header.Get("x-exeunt-sub"))
}

// tokensSoFar are the logout tokens accepted so far.
func (a *fleetApp) tokensSoFar() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

func (a *fleetApp) setFailing(v bool) {
	a.mu.Lock()
	a.failing = v
	a.mu.Unlock()
}

func (a *fleetApp) refusals() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refused
}

// waitToken returns the next logout token whose sid claim is sid, or fails after d.
func (a *fleetApp) waitToken(t testing.TB, sid string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case tok := <-a.got:
			if claims := unverifiedClaims(tok); claims["sid"] == sid {
				return tok
			}
		case <-deadline:
			t.Fatalf("%s: no logout token for sid %s within %s (%d deliveries refused on purpose)", a.name, sid, d, a.refusals())
			return ""
		}
	}
}

func base64RawURLDecode(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// unverifiedClaims reads a JWT's claims without checking it (checkFleetLogoutToken checks).
func unverifiedClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64RawURLDecode(parts[1])
	if err != nil {
		return nil
	}
	var c map[string]any
	json.Unmarshal(raw, &c)
	return c
}

// fleetBrowser is one user's browser: its cookies at Exeunt's origin and at the provider.
type fleetBrowser struct {
	f      *fleet
	t      testing.TB
	jar    map[string]string
	idpJar http.CookieJar
	client *http.Client
}

func (f *fleet) browser(t testing.TB) *fleetBrowser {
	jar, _ := cookiejar.New(nil)
	return &fleetBrowser{f: f, t: t, jar: map[string]string{}, idpJar: jar, client: &http.Client{
		Transport:     &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       15 * time.Second,
	}}
}

// fleetResponse is an answer, body read.
type fleetResponse struct {
	status int
	header http.Header
	body   string
}

// send sends a request for an issuer URL (or a path) to replica r, with the browser's
// cookies, and keeps the cookies it sets.
func (b *fleetBrowser) send(r *replica, method, target string, form url.Values) fleetResponse {
	b.t.Helper()
	path := strings.TrimPrefix(target, b.f.issuer)
	if !strings.HasPrefix(path, "/") {
		b.t.Fatalf("not an address of Exeunt: %s", target)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, r.pinned+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("accept", "text/html")
	if form != nil {
		req.Header.Set("content-type", "application/x-www-form-urlencoded")
	}
	var cs []string
	for k, v := range b.jar {
		cs = append(cs, k+"="+v)
	}
	if len(cs) > 0 {
		req.Header.Set("cookie", strings.Join(cs, "; "))
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s at replica %s: %v", method, path, r.name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, sc := range resp.Header.Values("set-cookie") {
		nv, attrs, _ := strings.Cut(sc, ";")
		name, value, _ := strings.Cut(nv, "=")
		if strings.Contains(attrs, "Max-Age=0") {
			delete(b.jar, name)
		} else {
			b.jar[name] = value
		}
	}
	return fleetResponse{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *fleetBrowser) get(r *replica, target string) fleetResponse {
	b.t.Helper()
	return b.send(r, http.MethodGet, target, nil)
}

// signIn signs in as login: the first request and the provider's redirect back both go to
// replica r. It returns the edge session's sid (as app1 received it).
func (b *fleetBrowser) signIn(r *replica, login string) string {
	b.t.Helper()
	first := b.get(r, "/app1/")
	if first.status != http.StatusFound {
		b.t.Fatalf("an app without a session at replica %s: %d %s", r.name, first.status, first.body)
	}
	back, err := b.f.peer.Login(b.idpJar, first.header.Get("location"), login)
	if err != nil {
		b.t.Fatal(err)
	}
	if cb := b.get(r, back.String()); cb.status != http.StatusFound {
		b.t.Fatalf("the callback at replica %s: %d %s", r.name, cb.status, cb.body)
	}
	res := b.get(r, "/app1/")
	if res.status != http.StatusOK {
		b.t.Fatalf("app1 at replica %s after signing in: %d %s", r.name, res.status, firstLine(res.body))
	}
	return b.f.app1.last().Get("x-exeunt-sid")
}

// app requests /<name>/ at replica r: ok when the app answered, with the sid it received.
func (b *fleetBrowser) app(r *replica, name string) (sid string, ok bool) {
	b.t.Helper()
	res := b.get(r, "/"+name+"/")
	if res.status != http.StatusOK || !strings.HasPrefix(res.body, "hello from "+name) {
		return "", false
	}
	return b.f.appNamed(name).last().Get("x-exeunt-sid"), true
}

func (f *fleet) appNamed(name string) *fleetApp {
	if name == "app2" {
		return f.app2
	}
	return f.app1
}

func (a *fleetApp) last() http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 {
		return http.Header{}
	}
	return a.seen[len(a.seen)-1]
}

// assertion is the x-exeunt-assertion app1 receives at replica r: the id_token_hint of its
// sign-out.
func (b *fleetBrowser) assertion(r *replica) string {
	b.t.Helper()
	if _, ok := b.app(r, "app1"); !ok {
		b.t.Fatalf("app1 at replica %s: refused", r.name)
	}
	return b.f.app1.last().Get("x-exeunt-assertion")
}

// providerSID opens the session cookie with the fleet's sealing key: the provider's sid of
// the session, which a front-channel logout names.
func (b *fleetBrowser) providerSID() string {
	b.t.Helper()
	secret, err := base64RawURLDecode(b.f.keys.SealingSecret)
	if err != nil {
		b.t.Fatal(err)
	}
	sealer, err := oidc.NewSealer([]oidc.SealingKey{{KID: b.f.keys.SealingKID, Secret: secret}})
	if err != nil {
		b.t.Fatal(err)
	}
	payload, err := sealer.Open("session", b.jar["__Host-exeunt"], time.Now())
	if err != nil {
		b.t.Fatalf("opening the session cookie: %v", err)
	}
	var s sessionView
	json.Unmarshal(payload, &s)
	if s.PSID == "" {
		b.t.Fatal("the session has no provider sid")
	}
	return s.PSID
}
