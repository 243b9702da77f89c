package browser

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
)

// TestSignOutAtTheProviderFrontChannel: a provider that signs out over the front channel
// (oidc-provider v6, Exeunt registered with a frontchannel_logout_uri and no back channel).
// The user signs out on the provider's own page, which loads Exeunt's /signout-oidc in an
// iframe from another site, without Exeunt's cookie; Exeunt's page in that iframe ends the
// session named by the provider's sid and loads each visited app's front-channel URI in
// frames of its own; App One gets its logout token from Exeunt's queue. Nothing of this is
// simulated: the frames, their sites and the cookies they carry are Chromium's.
func TestSignOutAtTheProviderFrontChannel(t *testing.T) {
	d := startFrontChannelDemo(t)
	ctx := newTab(t, 60*time.Second)
	app1, app2 := d.Apps[0], d.Apps[1]
	onIdP := func(u *url.URL) bool { p, _ := url.Parse(d.ProviderIssuer); return u.Host == p.Host }

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onIdP)
	login(t, ctx, "vera")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	must(t, ctx, chromedp.Navigate(app2.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))

	must(t, ctx, chromedp.Navigate(d.ProviderIssuer+"/session/end"))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForEvent(t, app1, "front-channel", sid, 10*time.Second)
	waitForEvent(t, app2, "front-channel", sid, 10*time.Second)
	waitForEvent(t, app1, "back-channel", sid, 10*time.Second)
	// The provider's pending page moves on by itself once every frame has loaded
	// (oidc-provider v6's logoutPendingSource: window.location.replace to its success
	// page). Navigating before it does races that replace, which can land the tab on the
	// success page after the navigation to App One began.
	waitForLocation(t, ctx, "the provider's signed-out page", func(u *url.URL) bool {
		return onIdP(u) && strings.HasSuffix(u.Path, "/session/end/success")
	})

	// Signed out everywhere: App One sends the browser to sign in, and the provider asks
	// for a login again.
	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider", onIdP)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)))
}

// startFrontChannelDemo starts the demo from envoy.yaml as it is, with oidc-provider v6.
func startFrontChannelDemo(t *testing.T) *demo.Demo {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return startTestDemo(t, "with oidc-provider v6", demo.Options{ConfigPath: filepath.Join(root, "envoy.yaml"), Dir: root, FrontChannelProvider: true})
}
