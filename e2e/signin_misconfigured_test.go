package e2e

import (
	"strings"
	"testing"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
)

// A client_secret that is not the one registered at the provider: the real provider's
// token endpoint answers 401 invalid_client. The browser was shown 400 "refused ...
// start again from the application", which failed the same way every time; it now gets
// 502 "sign-in is unavailable" saying an administrator must correct the settings, and
// the log says what to check. No session is made.
func TestAClientSecretTheProviderRefusesIsSignInUnavailable(t *testing.T) {
	e := newEnv(t, envOptions{peerClient: func(c *oidcpeer.Client) { c.Secret = "the-secret-the-provider-has" }})
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/"))
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp := e.get(back.String())
	if resp.Status != 502 || !strings.Contains(string(resp.Body), "until an administrator corrects them") {
		t.Fatalf("callback: %d %s", resp.Status, resp.Body)
	}
	if _, ok := e.jar["__Host-exeunt"]; ok {
		t.Fatal("a session cookie was set")
	}
	found := false
	for _, l := range e.host.Logs() {
		if strings.Contains(l.Message, "invalid_client") && strings.Contains(l.Message, "client_id and client_secret") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no log line says what to check: %+v", e.host.Logs())
	}
}
