package e2e

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// TestSignOutAfterTheSessionExpiredEndsTheProvidersToo: the edge session passes its idle
// timeout, then the app signs the user out with its assertion. The built filter sends the
// browser to the real provider's end session endpoint and back to the logged-out page, so
// that the provider's session, still alive, does not sign the next visitor straight back
// in: after it, signing in at the provider asks for the login again. (Before, the end
// session endpoint answered "You are signed out" and the next sign-in needed no password.)
func TestSignOutAfterTheSessionExpiredEndsTheProvidersToo(t *testing.T) {
	e := newEnv(t, envOptions{
		clients: signoutClients(),
		config:  map[string]any{"session": map[string]any{"idle_timeout": "2s"}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	hint, _ := e.signedInApps()
	time.Sleep(2500 * time.Millisecond)
	if e.signedIn() {
		t.Fatal("the session outlived its idle timeout")
	}

	resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-9"}}.Encode())
	toProvider, err := url.Parse(redirectOf(t, resp))
	if err != nil || !e.peer.OnProvider(toProvider) || toProvider.Query().Get("client_id") != "exeunt" {
		t.Fatalf("not sent to the provider's end session endpoint: %s", toProvider)
	}
	back, err := e.peer.ConfirmLogout(e.idpJar, toProvider.String())
	if err != nil {
		t.Fatal(err)
	}
	page := e.get(back.String())
	if page.Status != 200 || !hasLink(page.Body, "https://exeunt.test/app1/signed-out?state=st-9") {
		t.Fatalf("back from the provider (%s): %d %s", back, page.Status, page.Body)
	}

	// The provider's session ended: a new sign-in asks for the login.
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/"))
	_, prompts, err := e.peer.LoginWithPrompts(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(prompts, "login") {
		t.Fatalf("signing in again at the provider asked for %v: its session outlived the sign-out", prompts)
	}
}
