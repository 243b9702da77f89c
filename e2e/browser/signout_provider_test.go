package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignOutAtTheProvider: signing out on the provider's own pages ends the session at
// Exeunt too (the provider's logout token, back channel) even though the browser keeps
// Exeunt's cookie, and Exeunt tells App One over its back channel.
func TestSignOutAtTheProvider(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	app1, app2 := env.Apps[0], env.Apps[1]

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "carol")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	must(t, ctx, chromedp.Navigate(app2.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))

	must(t, ctx, chromedp.Navigate(env.ProviderIssuer+"/session/end"))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForEvent(t, app1, "back-channel", sid, 10*time.Second)

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider", onProvider)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)))
}
