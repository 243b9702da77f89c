package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/exeunt/exeunt/core/oidc"
	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// A full sign-in through build/exeunt.wasm in hostsim against a real OpenID Provider
// (oidc-provider v9), then requests to two clients: what each app receives, and what
// the session records.

type signinEnv struct {
	t            testing.TB
	host         *hostsim.Host
	peer         *oidcpeer.Peer
	idpJar       http.CookieJar    // the browser's cookies at the provider
	jar          map[string]string // the browser's cookies at exeunt.test
	sealing      oidc.SealingKey
	apps         *recordingApps
	pluginConfig []byte
	bridgeURL    string // with envOptions.bridge: where the filter is served over HTTP
}

// recordingApps is the upstream: it records the identity headers each app received.
type recordingApps struct {
	mu   sync.Mutex
	seen map[string]http.Header // by path prefix
}

func (a *recordingApps) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	app := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	a.seen[app] = r.Header.Clone()
	w.Write([]byte("hello from " + app))
}

// seenBy returns the headers app last received.
func (a *recordingApps) seenBy(app string) http.Header {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[app].Clone()
}

func newSigninEnv(t testing.TB) *signinEnv {
	t.Helper()
	return newEnv(t, envOptions{})
}

// envOptions varies the environment for the sign-out tests.
type envOptions struct {
	peerVersion string                     // "v9" (default) or "v6"
	peerClient  func(c *oidcpeer.Client)   // changes our registration at the provider
	clients     []any                      // Exeunt's clients; default app1 and app2 without logout URIs
	clusters    map[string]hostsim.Cluster // more clusters (the clients' back-channel listeners)
	config      map[string]any             // more top-level plugin configuration
	host        func(*hostsim.Options)     // changes the host's options
	// bridge serves the filter on a local port (signinEnv.bridgeURL) before the
	// provider starts, so that the provider's registration can point at it.
	bridge bool
}

func newEnv(t testing.TB, o envOptions) *signinEnv {
	t.Helper()
	if o.peerVersion == "" {
		o.peerVersion = "v9"
	}
	client := oidcpeer.Client{
		ID: "exeunt", Secret: "exeunt-secret", RedirectURIs: []string{"https://exeunt.test/signin-oidc"},
		BackchannelLogoutURI: "https://exeunt.test/backchannel-oidc", BackchannelLogoutSessionRequired: true,
	}
	if o.peerVersion == "v6" {
		client.BackchannelLogoutURI, client.BackchannelLogoutSessionRequired = "", false
	}
	var env *signinEnv
	var bridge *httptest.Server
	if o.bridge {
		bridge = httptest.NewUnstartedServer(bridgeHandler(&env))
		t.Cleanup(bridge.Close)
	}
	if o.peerClient != nil {
		o.peerClient(&client)
	}
	if bridge != nil {
		base := "http://" + bridge.Listener.Addr().String()
		client.BackchannelLogoutURI = strings.Replace(client.BackchannelLogoutURI, "https://exeunt.test", base, 1)
		client.FrontchannelLogoutURI = strings.Replace(client.FrontchannelLogoutURI, "https://exeunt.test", base, 1)
	}
	peer := oidcpeer.Start(t, o.peerVersion, oidcpeer.Config{Clients: []oidcpeer.Client{client}})
	seal, _ := oidc.GenerateSealingKey("s1")
	signKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(signKey)
	if o.clients == nil {
		o.clients = []any{
			map[string]any{"client_id": "app1", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app1/"}},
			map[string]any{"client_id": "app2", "hosts": []string{"exeunt.test"}, "path_prefixes": []string{"/app2/"}},
		}
	}
	cfg := map[string]any{
		"issuer": "https://exeunt.test",
		"providers": []any{map[string]any{
			"scheme": "oidc", "display_name": "Test IdP", "issuer": peer.Issuer, "client_id": "exeunt",
			"client_secret": "exeunt-secret", "cluster": "idp",
		}},
		"clients": o.clients,
		"keys": map[string]any{
			"sealing": []any{map[string]any{"kid": seal.KID, "secret": base64.RawURLEncoding.EncodeToString(seal.Secret)}},
			"signing": []any{map[string]any{"kid": "k1", "private_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))}},
		},
	}
	for k, v := range o.config {
		cfg[k] = v
	}
	pluginConfig, _ := json.Marshal(cfg)
	clusters := map[string]hostsim.Cluster{"idp": {Address: peer.Addr}}
	for k, v := range o.clusters {
		clusters[k] = v
	}
	// The wasm filter's allow_on_headers_stop_iteration comes from the shipped
	// envoy.yaml, as in a real Envoy: without it, the POST bodies the filter
	// pauses for never reach it (hostsim.Options.AllowOnHeadersStopIteration).
	opts := hostsim.Options{VMs: 2, PluginConfig: pluginConfig, Clusters: clusters,
		AllowOnHeadersStopIteration: shippedWasmFilter(t).AllowOnHeadersStopIteration}
	if o.host != nil {
		o.host(&opts)
	}
	host := startHost(t, "exeunt.wasm", opts)
	jar, _ := cookiejar.New(nil)
	env = &signinEnv{t: t, host: host, peer: peer, idpJar: jar, jar: map[string]string{}, sealing: seal,
		apps: &recordingApps{seen: map[string]http.Header{}}, pluginConfig: pluginConfig}
	if bridge != nil {
		bridge.Start()
		env.bridgeURL = bridge.URL
	}
	return env
}

// get sends a browser GET for an https://exeunt.test URL through the filter, with the
// browser's cookies, and keeps the cookies the answer sets.
func (e *signinEnv) get(rawURL string, extra ...hostsim.Pair) *hostsim.Response {
	e.t.Helper()
	return e.send("GET", rawURL, nil, extra...)
}

func redirectOf(t testing.TB, r *hostsim.Response) string {
	t.Helper()
	if r.Status != 302 {
		t.Fatalf("want a redirect, got %d: %s", r.Status, r.Body)
	}
	return r.HeaderValue("location")
}

// signIn runs the browser through sign-in and returns where it landed.
func (e *signinEnv) signIn(startURL string) string {
	e.t.Helper()
	authURL := redirectOf(e.t, e.get(startURL))
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		e.t.Fatal(err)
	}
	return redirectOf(e.t, e.get(back.String()))
}

func TestFullSignInAgainstARealProviderThenTwoApps(t *testing.T) {
	e := newSigninEnv(t)

	// 1. The first visit to an app sends the browser to the provider.
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/dashboard?tab=2"))
	if !strings.HasPrefix(authURL, e.peer.Issuer+"/auth?") {
		t.Fatalf("sent to %q, want the provider's authorization endpoint", authURL)
	}
	// 2. The user signs in at the provider, which redirects back to Exeunt.
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != "exeunt.test" || back.Path != "/signin-oidc" || back.Query().Get("code") == "" {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	// 3. The callback exchanges the code through the cluster and lands on the page
	// first asked for, signed in.
	if got := redirectOf(t, e.get(back.String())); got != "https://exeunt.test/app1/dashboard?tab=2" {
		t.Fatalf("after the callback: %q", got)
	}
	// 4. Both apps receive the identity, never a forged one.
	for _, app := range []string{"app1", "app2"} {
		resp := e.get("https://exeunt.test/"+app+"/", hostsim.Pair{Name: "x-exeunt-sub", Value: "mallory"},
			hostsim.Pair{Name: "x-exeunt-email-verified", Value: "forged"})
		if resp.Status != 200 || string(resp.Body) != "hello from "+app {
			t.Fatalf("%s: %d %s", app, resp.Status, resp.Body)
		}
		h := e.apps.seen[app]
		if got := h.Values("x-exeunt-sub"); len(got) != 1 || got[0] != "alice" {
			t.Fatalf("%s received x-exeunt-sub %q", app, got)
		}
		if h.Get("x-exeunt-idp") != "oidc" || h.Get("x-exeunt-sid") == "" {
			t.Fatalf("%s received %v", app, h)
		}
		// The provider says email_verified: true; the forged value never arrives.
		if got := h.Values("x-exeunt-email-verified"); h.Get("x-exeunt-email") != "alice@example.test" || len(got) != 1 || got[0] != "true" {
			t.Fatalf("%s received x-exeunt-email %q, x-exeunt-email-verified %q", app, h.Get("x-exeunt-email"), got)
		}
		e.checkAssertion(h.Get("x-exeunt-assertion"), app, h.Get("x-exeunt-sid"))
	}
	// 5. The session (opened with the sealing key) records both clients and what a
	// later logout at the provider needs.
	s := e.openSession()
	if got := strings.Join(s.Clients, ","); got != "app1,app2" {
		t.Fatalf("session clients = %q", got)
	}
	if s.Iss != e.peer.Issuer || s.PSID == "" || s.IDToken == "" || s.Sub != "alice" {
		t.Fatalf("session = %+v", s)
	}
}

func (e *signinEnv) checkAssertion(tok, aud, sid string) {
	e.t.Helper()
	jwks := e.get("https://exeunt.test/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks.Body, &set); err != nil {
		e.t.Fatalf("JWKS: %v", err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		e.t.Fatalf("assertion: %v", err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		e.t.Fatalf("assertion kid %q not in the JWKS", parsed.Headers[0].KeyID)
	}
	var c jwt.Claims
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		e.t.Fatalf("assertion signature: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: "https://exeunt.test", AnyAudience: jwt.Audience{aud}, Subject: "alice", Time: time.Now()}, 0); err != nil {
		e.t.Fatalf("assertion claims: %v", err)
	}
	var extra struct {
		SID           string `json:"sid"`
		IdP           string `json:"idp"`
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	parsed.Claims(keys[0].Key, &extra)
	if extra.SID != sid || extra.IdP != "oidc" || extra.Email != "alice@example.test" || extra.EmailVerified == nil || !*extra.EmailVerified {
		e.t.Fatalf("assertion sid/idp = %+v", extra)
	}
}

type sessionView struct {
	Sub     string   `json:"sub"`
	Iss     string   `json:"iss"`
	PSID    string   `json:"psid"`
	IDToken string   `json:"idt"`
	Clients []string `json:"clients"`
}

func (e *signinEnv) openSession() sessionView {
	e.t.Helper()
	sealer, err := oidc.NewSealer([]oidc.SealingKey{e.sealing})
	if err != nil {
		e.t.Fatal(err)
	}
	raw, ok := e.jar["__Host-exeunt"]
	if !ok {
		e.t.Fatal("no session cookie")
	}
	payload, err := sealer.Open("session", raw, time.Now())
	if err != nil {
		e.t.Fatalf("opening the session cookie: %v", err)
	}
	var s sessionView
	json.Unmarshal(payload, &s)
	return s
}

func TestSignInWhenTheProviderIsDown(t *testing.T) {
	e := newSigninEnv(t)
	e.peer.Stop()
	resp := e.get("https://exeunt.test/app1/")
	if resp.Status != 502 || !strings.Contains(string(resp.Body), "could not be reached") {
		t.Fatalf("provider down: %d %s", resp.Status, resp.Body)
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set")
	}
}
