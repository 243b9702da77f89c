package e2e

import (
	"maps"
	"strings"
	"testing"
)

// The authorization response is single-use across the Envoy, not per VM: someone who
// captured both the callback URL and the browser's sign-in flow cookie (a proxy log, a
// shared machine) replays them after the user signed in. The built .wasm runs in two VMs
// here, so the replay is answered by whichever VM, from the claim in shared data: 400
// "already used", and no session for the replayer.
func TestAReplayedCallbackIsRefusedOnEveryVM(t *testing.T) {
	e := newSigninEnv(t)
	authURL := redirectOf(t, e.get("https://exeunt.test/app1/"))
	flow := maps.Clone(e.jar) // the flow cookie, as captured
	back, err := e.peer.Login(e.idpJar, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := redirectOf(t, e.get(back.String())); got != "https://exeunt.test/app1/" {
		t.Fatalf("sign-in landed on %q", got)
	}
	for i := 0; i < 2; i++ { // hostsim gives requests to its VMs in turn: each VM answers one
		e.jar = maps.Clone(flow)
		resp := e.get(back.String())
		if resp.Status != 400 || !strings.Contains(string(resp.Body), "already used") {
			t.Fatalf("replay %d: %d %s", i+1, resp.Status, resp.HeaderValue("location"))
		}
		if _, ok := e.jar["__Host-exeunt"]; ok {
			t.Fatalf("replay %d: the replayer got a session cookie", i+1)
		}
	}
}
