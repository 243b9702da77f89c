package e2e

import (
	"net/http/cookiejar"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// TestForcedSignInsInOneBrowserSignOutNoOtherBrowser: through build/exeunt.wasm in
// hostsim against the real provider, with session.max_per_user 2. A page on any site can
// send a browser to /exeunt/signin?provider=oidc again and again; with the provider's
// session alive each round is a silent sign-in. Four rounds in one browser must not sign
// the user's other browser out: each new session replaces (and ends) the one that browser
// held, instead of leaving it to fill the limit (RATIONALE.md, "Security probe, 2026-12-04
// morning").
func TestForcedSignInsInOneBrowserSignOutNoOtherBrowser(t *testing.T) {
	app1, app2 := newBCLListener(t, 0), newBCLListener(t, 0)
	e := newEnv(t, envOptions{clients: signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: app2.addr()}},
		config:   map[string]any{"session": map[string]any{"max_per_user": 2}}})
	waitServing(t, e, "https://exeunt.test/app1/")

	e.jar, e.idpJar = map[string]string{}, newJar(t)
	e.signedInApps()
	other := e.jar

	e.jar, e.idpJar = map[string]string{}, newJar(t)
	for i := 1; i <= 4; i++ {
		auth := redirectOf(t, e.get("https://exeunt.test/exeunt/signin?provider=oidc&return=https%3A%2F%2Fexeunt.test%2Fapp1%2F"))
		back, prompts, err := e.peer.LoginWithPrompts(e.idpJar, auth, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if i > 1 && len(prompts) != 0 {
			t.Fatalf("forced sign-in %d asked the user %v; the provider's session should make it silent", i, prompts)
		}
		if got := redirectOf(t, e.get(back.String())); got != "https://exeunt.test/app1/" {
			t.Fatalf("forced sign-in %d landed on %q", i, got)
		}
		if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
			t.Fatalf("forced sign-in %d: app1 answered %d", i, r.Status)
		}
	}
	e.jar = other
	if !e.signedIn() {
		t.Fatal("four sign-ins forced in one browser signed the user's other browser out (session.max_per_user 2)")
	}
	e.waitMetric("exeunt.logout.signin_replaced", 3)
}

func newJar(t *testing.T) *cookiejar.Jar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
