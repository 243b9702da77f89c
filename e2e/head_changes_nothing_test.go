package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// HEAD changes no state at Exeunt's endpoints that act: RP-Initiated Logout 1.0 §2 names
// GET and POST for the end session endpoint, and a link checker or crawler that sends HEAD
// to an app's sign-out link must not end the session (a HEAD is answered as any method the
// endpoint does not take: 405 with Allow). Likewise the sign-out callback and the
// provider's front-channel page. Through build/exeunt.wasm against the real provider.

// headRefused checks a 405 that names the endpoint's methods and sets no cookie.
func headRefused(t *testing.T, what string, r *hostsim.Response, allow string) {
	t.Helper()
	if r.Status != 405 || r.HeaderValue("allow") != allow || len(r.HeaderValues("set-cookie")) != 0 {
		t.Fatalf("HEAD %s: %d, allow %q, set-cookie %q; want 405, allow %q, no cookie",
			what, r.Status, r.HeaderValue("allow"), r.HeaderValues("set-cookie"), allow)
	}
}

func TestAHeadOfTheSignOutLinkAndCallbackChangesNothing(t *testing.T) {
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	hint, _ := e.signedInApps()
	link := "https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s1"}}.Encode()
	headRefused(t, "end session", e.send("HEAD", link, nil), "GET, POST")
	if !e.signedIn() {
		t.Fatal("a HEAD of the sign-out link signed the user out")
	}

	// The user's own click signs out; the provider sends the browser back to the callback.
	toProvider := redirectOf(t, e.get(link))
	if toProvider == "" || e.signedIn() {
		t.Fatalf("the click: sent to %q, still signed in: %v", toProvider, e.signedIn())
	}
	back, err := e.peer.ConfirmLogout(e.idpJar, toProvider)
	if err != nil {
		t.Fatal(err)
	}
	jarBefore := len(e.jar)
	headRefused(t, "sign-out callback", e.send("HEAD", back.String(), nil), "GET")
	if len(e.jar) != jarBefore {
		t.Fatal("the HEAD of the callback changed the browser's cookies")
	}
	if page := e.get(back.String()); page.Status != 200 || !hasLink(page.Body, "https://exeunt.test/app1/signed-out?state=s1") {
		t.Fatalf("the callback after the HEAD: %d %s", page.Status, page.Body)
	}
}

func TestAHeadOfTheProvidersFrontChannelPageEndsNothing(t *testing.T) {
	e := newEnv(t, envOptions{
		peerVersion: "v6",
		bridge:      true,
		clients:     signoutClients(),
		clusters:    map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.FrontchannelLogoutURI, c.FrontchannelLogoutSessionRequired = "https://exeunt.test/signout-oidc", true
		},
	})
	e.signIn("https://exeunt.test/app1/")
	res, err := e.peer.Logout(e.idpJar, mustEndpoint(t, e.peer))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FrontchannelIframes) != 1 {
		t.Fatalf("the provider's page has %d front-channel iframes, want 1", len(res.FrontchannelIframes))
	}
	frame := res.FrontchannelIframes[0].String()
	head, err := http.Head(frame)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != 405 || head.Header.Get("allow") != "GET" {
		t.Fatalf("HEAD of the front-channel page: %d, allow %q; want 405, GET", head.StatusCode, head.Header.Get("allow"))
	}
	if !e.signedIn() {
		t.Fatal("a HEAD of the provider's front-channel page ended the session")
	}
	get, err := http.Get(frame)
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.StatusCode != 200 || e.signedIn() {
		t.Fatalf("the GET after: %d, still signed in: %v", get.StatusCode, e.signedIn())
	}
}
