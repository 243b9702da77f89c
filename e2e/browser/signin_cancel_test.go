package browser

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCancelledSignInTriesAgainWhereTheUserWas: a user opens a page of App Two, is sent to
// the provider, and cancels there. Exeunt's failure page says so, and its "Try again" leads
// back to the page the user asked for (so to App Two's sign-in again), not to the issuer's
// root, which belongs to another app in the demo and to no app at all in many deployments.
func TestCancelledSignInTriesAgainWhereTheUserWas(t *testing.T) {
	ctx := newTab(t, 45*time.Second)
	app2 := env.Apps[1]
	first := app2.URL + "reports?month=11"

	must(t, ctx, chromedp.Navigate(first))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	// oidc-provider's development form: "Cancel" aborts the interaction (access_denied).
	must(t, ctx, chromedp.Click(chromedp.CSS(`a[href$="/abort"]`)))
	waitForLocation(t, ctx, "Exeunt's sign-in callback", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("main a.button")))
	if h1 := text(t, ctx, "main h1"); h1 != "Sign-in failed" {
		t.Fatalf("after cancelling at the provider the page says %q", h1)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main a.button").href`))
	if err != nil || href != first {
		t.Fatalf("\"Try again\" leads to %q (%v), want the page the user asked for, %s", href, err, first)
	}
	// It starts a new sign-in, which brings the user to that page.
	must(t, ctx, chromedp.Click(chromedp.CSS("main a.button")))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "gina")
	waitForLocation(t, ctx, "the page first asked for", func(u *url.URL) bool { return u.String() == first })
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
}
