package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// TestServeOnTheLocalStoreRefusesSignedOutSessionsAfterARestart: with the default store
// (`local`, one Envoy's shared data) and configured keys, a sign-out is forgotten when the
// Envoy restarts, while the cookie still opens. The signed-out session must not come back:
// a restarted Envoy refuses every session older than its store (the user signs in again),
// and a session made after the restart works.
func TestServeOnTheLocalStoreRefusesSignedOutSessionsAfterARestart(t *testing.T) {
	var assertion atomic.Value
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion.Store(r.Header.Get("X-Exeunt-Assertion"))
		fmt.Fprintf(w, "APP PAGE %s", r.URL.Path)
	})
	wasmFile(t, "exeunt.wasm")
	hostsimBin, err := filepath.Abs("../build/hostsim")
	if err != nil {
		t.Fatal(err)
	}
	peer := oidcpeer.Start(t, "v9", oidcpeer.Config{Clients: []oidcpeer.Client{{
		ID: "exeunt", Secret: "demo-secret-not-for-production", RedirectURIs: []string{"http://localhost:10000/signin-oidc"}}}})
	appServer := httptest.NewServer(app)
	t.Cleanup(appServer.Close)
	keys, err := demo.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keysJSON, _ := json.Marshal(keys.Object())
	cfg := shippedYAMLFile(t, map[string]string{ // configured keys: the cookie opens after a restart
		`"keys": { "dev_generate": true }`: `"keys": ` + string(keysJSON),
		"http://127.0.0.1:9080":            peer.Issuer,
	}, func(doc map[string]any) {
		pointClusters(t, doc, map[string]string{"demo_idp": peer.Addr, "app1": appServer.Listener.Addr().String(),
			"app2": appServer.Listener.Addr().String()})
	})

	cache := t.TempDir()
	proc := startServeProcess(t, hostsimBin, cfg, cache)
	started := time.Now() // its VMs started before it serves
	b := &serveBrowser{t: t, addr: proc.addr, jar: map[string]string{}}
	idp, _ := cookiejar.New(nil)
	b.signIn(peer, idp)
	if res, body := b.get("/app1/"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("signed in: %d %.200q\nlog:\n%s", res.StatusCode, body, proc.out)
	}
	old := b.jar["__Host-exeunt"]
	hint, _ := assertion.Load().(string)
	res, _ := b.get("/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode())
	if res.StatusCode != 302 || b.jar["__Host-exeunt"] != "" {
		t.Fatalf("sign-out: %d, cookie %q\nlog:\n%s", res.StatusCode, b.jar["__Host-exeunt"], proc.out)
	}
	refused := func(when string) {
		t.Helper()
		b.jar["__Host-exeunt"] = old
		for i := 0; i < 4; i++ { // each VM (requests spread over both)
			res, body := b.get("/app1/")
			if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), peer.Issuer+"/auth?") {
				t.Fatalf("the signed-out cookie %s: %d %.200q\nlog:\n%s", when, res.StatusCode, body, proc.out)
			}
		}
	}
	refused("before the restart")

	// Sessions keep their creation in whole seconds: an Envoy that starts, signs a session
	// in and out and restarts all within one second is the one case the local store
	// cannot tell (core/store_local_since.go).
	time.Sleep(time.Until(time.Unix(started.Unix()+1, 0)))
	proc.kill()
	proc = startServeProcess(t, hostsimBin, cfg, cache)
	b.addr = proc.addr
	refused("after a restart")

	delete(b.jar, "__Host-exeunt")
	b.signIn(peer, idp)
	if res, body := b.get("/app1/"); res.StatusCode != 200 || !strings.HasPrefix(body, "APP PAGE") {
		t.Fatalf("a fresh sign-in after the restart: %d %.200q\nlog:\n%s", res.StatusCode, body, proc.out)
	}
}
