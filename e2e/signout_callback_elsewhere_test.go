package e2e

import (
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// A sign-out callback URL opens for anyone who holds it until its logout context expires
// (the logoutId rides in the provider's URLs and the browser's history). Opened in a
// browser that is signed in (someone else's link, or the user signed in again), it must
// not say "You are signed out" while that session lives on, nor show the other sign-out's
// way back (the app's state) and front-channel frames (its edge sid): the user is asked
// whether to sign out instead.
func TestASignOutCallbackOpenedWhileSignedInDoesNotSaySignedOut(t *testing.T) {
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	// Alice signs out through the provider and comes back to the callback.
	hint, aliceSID := e.signedInApps()
	resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"alice-state"}}.Encode())
	back, err := e.peer.ConfirmLogout(e.idpJar, redirectOf(t, resp))
	if err != nil {
		t.Fatal(err)
	}
	if page := e.get(back.String()); page.Status != 200 || !strings.Contains(string(page.Body), "You are signed out") {
		t.Fatalf("Alice's own callback: %d %s", page.Status, page.Body)
	}

	// Bob, in another browser, is signed in and opens Alice's callback URL.
	e.jar = map[string]string{}
	e.idpJar, _ = cookiejar.New(nil)
	back2, err := e.peer.Login(e.idpJar, redirectOf(t, e.get("https://exeunt.test/app1/")), "bob")
	if err != nil {
		t.Fatal(err)
	}
	redirectOf(t, e.get(back2.String()))
	if !e.signedIn() {
		t.Fatal("Bob is not signed in")
	}
	page := e.get(back.String())
	body := string(page.Body)
	if strings.Contains(body, "You are signed out") || strings.Contains(body, "alice-state") || strings.Contains(body, aliceSID) {
		t.Errorf("Bob, signed in, was shown Alice's sign-out: %d %s", page.Status, body)
	}
	if page.Status != 200 || !strings.Contains(body, "Do you want to sign out?") {
		t.Errorf("Bob got %d %.300q, want the prompt to sign out", page.Status, body)
	}
	if !e.signedIn() {
		t.Error("Bob was signed out by opening the link")
	}
}
