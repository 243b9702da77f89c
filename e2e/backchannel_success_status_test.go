package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// Back-Channel Logout 1.0 §2.8: the RP answers 200 OK when the logout succeeded (204 No
// Content may stand for it). Only those count as delivered. A client that answers 202
// Accepted has not said it signed the session out: the delivery is counted as failed,
// final like a 4xx (the client did answer, and the same token would get the same answer),
// and never as sent.
func TestOnlyA200Or204DeliversABackChannelLogout(t *testing.T) {
	app1, app2 := newBCLListener(t, 0), newBCLListener(t, 0)
	app1.answer, app2.answer = 202, 204
	e := newEnv(t, envOptions{
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: app2.addr()}},
	})
	hint, sid := e.signedInApps()
	e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}}.Encode())
	e.checkLogoutToken(app1.wait(10*time.Second), "app1", sid)
	e.checkLogoutToken(app2.wait(10*time.Second), "app2", sid)

	e.waitMetric("exeunt.client.app2.backchannel.sent", 1)
	e.waitMetric("exeunt.client.app1.backchannel.failed", 1)
	e.waitMetric("exeunt.client.app1.backchannel.sent", 0)
	e.waitMetric("exeunt.client.app1.backchannel.retried", 0)
	if n := len(app1.attempts()); n != 1 {
		t.Errorf("app1 got %d attempts, want 1 (its 202 is a final answer)", n)
	}
}
