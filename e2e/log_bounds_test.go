package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// A sign-out callback URL carrying a 50 KB error (anyone can add one to the URL the
// provider sends the browser back to) writes one short line to Envoy's log from
// build/exeunt.wasm, the error cut and marked as cut, not 50 KB per request.
func TestASignoutCallbackErrorIsLoggedBoundedByTheFilter(t *testing.T) {
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	hint, _ := e.signedInApps()
	resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}.Encode())
	back, err := e.peer.ConfirmLogout(e.idpJar, redirectOf(t, resp))
	if err != nil {
		t.Fatal(err)
	}
	q := back.Query()
	q.Set("error", strings.Repeat("e", 50000))
	back.RawQuery = q.Encode()
	if page := e.get(back.String()); page.Status != 200 || !strings.Contains(string(page.Body), "You are signed out") {
		t.Fatalf("callback with an error: %d %.300s", page.Status, page.Body)
	}
	for _, l := range e.host.Logs() {
		if strings.Contains(l.Message, "answered error=") {
			if !strings.Contains(l.Message, `"... (cut, 50000 bytes) on the way back`) || len(l.Message) > 400 {
				t.Fatalf("logged %d bytes: %.300s", len(l.Message), l.Message)
			}
			return
		}
	}
	t.Fatal("the provider's error is not logged")
}
