package e2e

import (
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/etcdpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// TestSignInPastTheLimitSignsOutTheOldestBrowser: through build/exeunt.wasm in hostsim
// against the real provider, with session.max_per_user 2, a user signs in from three
// browsers (each its own provider session); the third sign-in signs out the first
// browser's session as a sign-out does: that browser is sent to sign in again, the two
// others stay signed in, both apps get a logout token for the first session only, and
// the log says why without a token. On the local store and on a real etcd.
func TestSignInPastTheLimitSignsOutTheOldestBrowser(t *testing.T) {
	t.Run("local", func(t *testing.T) { signInPastTheLimit(t, false) })
	t.Run("etcd", func(t *testing.T) { signInPastTheLimit(t, true) })
}

func signInPastTheLimit(t *testing.T, onEtcd bool) {
	app1, app2 := newBCLListener(t, 0), newBCLListener(t, 0)
	clusters := map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: app2.addr()}}
	config := map[string]any{"session": map[string]any{"max_per_user": 2}}
	if onEtcd {
		etcd := etcdpeer.Start(t, etcdpeer.Config{})
		clusters["etcd"] = hostsim.Cluster{Handler: newEtcdCounter(t, etcd.URL)}
		config["store"] = map[string]any{"backend": "etcd", "etcd": map[string]any{"cluster": "etcd", "timeout": "10s"}}
	}
	e := newEnv(t, envOptions{clients: signoutClients(), clusters: clusters, config: config})
	waitServing(t, e, "https://exeunt.test/app1/")
	type browserState struct {
		jar         map[string]string
		sid, cookie string
	}
	var browsers []browserState
	use := func(b browserState) { e.jar = b.jar }
	for i := 0; i < 3; i++ {
		// The limit ends the oldest by the second a session began: one sign-in a second.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
		e.jar = map[string]string{}
		e.idpJar, _ = cookiejar.New(nil) // a browser of its own: a provider session of its own
		_, sid := e.signedInApps()
		browsers = append(browsers, browserState{jar: e.jar, sid: sid, cookie: e.jar["__Host-exeunt"]})
	}
	use(browsers[0])
	if r := e.get("https://exeunt.test/app1/"); r.Status != 302 || !strings.Contains(r.HeaderValue("location"), "/auth") {
		t.Errorf("the first, oldest browser at app1: %d (location %q), want the sign-in redirect of a signed-out session", r.Status, r.HeaderValue("location"))
	}
	if _, kept := e.jar["__Host-exeunt"]; kept {
		t.Error("the signed-out browser's session cookie was kept")
	}
	for i, b := range browsers[1:] {
		use(b)
		if !e.signedIn() {
			t.Errorf("browser %d (sid %s) was signed out; want only the oldest signed out", i+2, b.sid)
		}
	}
	e.checkLogoutToken(app1.wait(10*time.Second), "app1", browsers[0].sid)
	e.checkLogoutToken(app2.wait(10*time.Second), "app2", browsers[0].sid)
	if n := len(app1.attempts()) + len(app2.attempts()); n != 2 {
		t.Errorf("%d logout tokens sent, want 2 (one per app, for the first session)", n)
	}
	e.waitMetric("exeunt.logout.session_limit", 1)
	var said bool
	for _, l := range e.host.Logs() {
		if strings.Contains(l.Message, "session.max_per_user is 2; signing out the oldest 1 (sid="+browsers[0].sid+")") {
			said = true
		}
		for _, b := range browsers {
			if b.cookie == "" || strings.Contains(l.Message, b.cookie) {
				t.Fatalf("a session cookie is missing or quoted in the log: %s", l.Message)
			}
		}
	}
	if !said {
		t.Error("no log line says the oldest session was signed out for session.max_per_user")
	}
}
