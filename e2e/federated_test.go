package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// Federated sign-out through build/exeunt.wasm: the user signs out AT THE PROVIDER and
// the provider tells Exeunt. oidc-provider v9 sends a back-channel logout token;
// v6 renders a front-channel iframe, which reaches Exeunt without any cookie.

func TestSignOutAtTheProviderBackChannel(t *testing.T) {
	app1 := newBCLListener(t, 0)
	e := newEnv(t, envOptions{
		bridge:   true,
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
	})
	e.signIn("https://exeunt.test/app1/")
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1: %d", r.Status)
	}
	sid := e.apps.seen["app1"].Get("x-exeunt-sid")

	// The user signs out on the provider's own pages. The provider POSTs its logout
	// token to /backchannel-oidc before it answers.
	if _, err := e.peer.LogoutAtProvider(e.idpJar); err != nil {
		t.Fatal(err)
	}
	if e.signedIn() {
		t.Fatalf("the edge session survived the provider's back-channel logout; provider log:\n%s", e.peer.Output())
	}
	e.waitMetric("exeunt.logout.provider_backchannel", 1)
	// The cascade: app1 (visited) receives Exeunt's own logout token.
	e.checkLogoutToken(app1.wait(10*time.Second), "app1", sid)
}

func TestSignOutAtTheProviderFrontChannel(t *testing.T) {
	app1 := newBCLListener(t, 0)
	e := newEnv(t, envOptions{
		peerVersion: "v6",
		bridge:      true,
		clients:     signoutClients(),
		clusters:    map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.FrontchannelLogoutURI, c.FrontchannelLogoutSessionRequired = "https://exeunt.test/signout-oidc", true
		},
	})
	e.signIn("https://exeunt.test/app1/")
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("app1: %d", r.Status)
	}
	sid := e.apps.seen["app1"].Get("x-exeunt-sid")

	res, err := e.peer.Logout(e.idpJar, mustEndpoint(t, e.peer))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FrontchannelIframes) != 1 {
		t.Fatalf("the provider's page has %d front-channel iframes, want 1", len(res.FrontchannelIframes))
	}
	frame := res.FrontchannelIframes[0]
	if !strings.HasSuffix(frame.Path, "/signout-oidc") || frame.Query().Get("iss") != e.peer.Issuer || frame.Query().Get("sid") == "" {
		t.Fatalf("iframe %s", frame)
	}
	// The browser loads the iframe cross-site: no cookie goes along.
	resp, err := http.Get(frame.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("cache-control") != "no-store" {
		t.Fatalf("front-channel logout answered %d, cache-control %q", resp.StatusCode, resp.Header.Get("cache-control"))
	}
	if e.signedIn() {
		t.Fatal("the edge session survived the provider's front-channel logout")
	}
	e.checkLogoutToken(app1.wait(10*time.Second), "app1", sid)
}

func mustEndpoint(t testing.TB, p *oidcpeer.Peer) string {
	t.Helper()
	u, err := p.Endpoint("end_session_endpoint")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
