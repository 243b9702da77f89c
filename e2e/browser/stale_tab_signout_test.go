package browser

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignOutFromAStaleTab: two tabs on the apps; the user signs out in the first, then
// clicks "Sign out" in the second, whose page was loaded while signed in. That POST arrives
// without a session, so Exeunt sends the browser to sign in, and brings it back to the
// address it asked for, now with a GET. The app must answer that GET with a page the user
// can act on (its sign-out button again), never a bare "405 method not allowed", and must
// not say "signed out": the user has just signed in again.
func TestSignOutFromAStaleTab(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	app1, app2 := env.Apps[0], env.Apps[1]

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "erin")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	// The second tab, in the same browser: the same session.
	tab2, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	must(t, tab2, chromedp.Navigate(app2.URL))
	must(t, tab2, chromedp.WaitVisible(chromedp.CSS("#signout")))

	// Sign out in the first tab, all the way.
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", onProvider)
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))

	// The stale tab's "Sign out": to the provider's login form (no session anywhere), then
	// back to App Two's sign-out address.
	must(t, tab2, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, tab2, "the provider's login form", onProvider)
	login(t, tab2, "erin")
	signoutURL := app2.URL + "signout"
	waitForLocation(t, tab2, "App Two's sign-out address", func(u *url.URL) bool { return u.String() == signoutURL })
	c, cancelWait := context.WithTimeout(tab2, 5*time.Second)
	defer cancelWait()
	if err := chromedp.Do(c, chromedp.WaitVisible(chromedp.CSS(`form[method="post"] #signout`))); err != nil {
		t.Fatalf("at %s, want App Two's page with its sign-out button, the page says %q (%v)", signoutURL, text(t, tab2, "body"), err)
	}
	if page := text(t, tab2, "body"); strings.Contains(page, "You are signed out") || strings.Contains(strings.ToLower(page), "method not allowed") {
		t.Fatalf("the page says %q", page)
	}
	// Its button signs out, as the app's own button does.
	must(t, tab2, chromedp.Click(chromedp.CSS("#signout")))
	at := waitForLocation(t, tab2, "the provider's sign-out confirmation", onProvider)
	if !strings.HasPrefix(at.Path, "/session/end") {
		t.Fatalf("at the provider's %s, want its end session endpoint", at)
	}
}
