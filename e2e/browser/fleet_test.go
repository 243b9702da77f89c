package browser

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// TestFleetDemoAcrossTwoReplicas runs the demo as `make run DEMO_FLAGS=-replicas 2` does (a
// local etcd, two replicas of envoy.yaml on it with shared keys, the round-robin front on the
// port the browser uses), signs in and out through the front in the browser, and checks each
// replica directly: both served the session, and both refuse it once signed out; then the
// same for a sign-out on the provider's own pages.
func TestFleetDemoAcrossTwoReplicas(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	d, err := demo.Start(context.Background(), demo.Options{ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root,
		FreePorts: true, VMs: 2, Replicas: 2, Log: &log, LogLevel: "info", CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatalf("starting the fleet demo: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("stopping the fleet demo: %v", err)
		}
		if t.Failed() {
			t.Logf("the fleet demo's log:\n%s", lastLines(log.String(), 200))
		}
	})
	if len(d.Replicas) != 2 || d.EtcdURL == "" {
		t.Fatalf("the fleet demo runs %d replicas (etcd %q), want 2 on etcd", len(d.Replicas), d.EtcdURL)
	}
	issuer, _ := url.Parse(d.Issuer)
	provider, _ := url.Parse(d.ProviderIssuer)
	on := func(base *url.URL) func(*url.URL) bool {
		return func(u *url.URL) bool { return u.Scheme == base.Scheme && u.Host == base.Host }
	}

	ctx := newTab(t, 90*time.Second)
	app1, app2 := d.Apps[0], d.Apps[1]
	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", on(provider))
	login(t, ctx, "fleet-dana")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	// A few pages through the front: the replicas take turns.
	for _, u := range []string{app2.URL, app1.URL, app2.URL, app1.URL} {
		must(t, ctx, chromedp.Navigate(u))
		must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	}
	cookie := sessionCookie(t, ctx)
	for i, r := range d.Replicas {
		if st := replicaStatus(t, r.ListenerAddr, issuer.Host, app1.URL, cookie); st != http.StatusOK {
			t.Fatalf("replica %d refused the session signed in through the front: %d", i+1, st)
		}
	}

	// Sign out from App One, through the provider, back to Exeunt's signed-out page.
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", on(provider))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", on(issuer))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))
	signedOut := time.Now()

	// The old session is refused at both replicas, asked directly (within the fleet's bound).
	for i, r := range d.Replicas {
		for replicaStatus(t, r.ListenerAddr, issuer.Host, app1.URL, cookie) == http.StatusOK {
			if time.Since(signedOut) > time.Second {
				t.Fatalf("replica %d still accepts the session %s after the signed-out page", i+1, time.Since(signedOut).Round(time.Millisecond))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// And through the front the browser is sent to sign in again.
	must(t, ctx, chromedp.Navigate(app2.URL))
	waitForLocation(t, ctx, "the provider", on(provider))

	// Sign-out at the provider: its logout token reaches whichever replica the front picks,
	// and the session ends on both; App One is told over its back channel.
	ctx = newTab(t, 60*time.Second)
	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", on(provider))
	login(t, ctx, "fleet-erin")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	cookie = sessionCookie(t, ctx)
	must(t, ctx, chromedp.Navigate(d.ProviderIssuer+"/session/end"))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForEvent(t, app1, "back-channel", sid, 10*time.Second)
	signedOut = time.Now()
	for i, r := range d.Replicas {
		for replicaStatus(t, r.ListenerAddr, issuer.Host, app1.URL, cookie) == http.StatusOK {
			if time.Since(signedOut) > time.Second {
				t.Fatalf("replica %d still accepts the session %s after App One was told of the provider's sign-out", i+1, time.Since(signedOut).Round(time.Millisecond))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// sessionCookie is Exeunt's session cookie in the tab.
func sessionCookie(t *testing.T, ctx context.Context) string {
	t.Helper()
	var cookies []*network.Cookie
	must(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{})
		cookies = res.Cookies
		return err
	}))
	for _, c := range cookies {
		if c.Name == "__Host-exeunt" {
			return c.Value
		}
	}
	t.Fatal("no session cookie in the browser")
	return ""
}

// replicaStatus asks one replica directly for pageURL with the session cookie and the Host
// the browser sends (the front's), and returns its status.
func replicaStatus(t *testing.T, addr, host, pageURL, cookie string) int {
	t.Helper()
	u, _ := url.Parse(pageURL)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+u.RequestURI(), nil)
	req.Host = host
	req.Header.Set("accept", "text/html")
	req.Header.Set("cookie", "__Host-exeunt="+cookie)
	c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
