package browser

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestPagesInTheBrowsersLanguage: a browser set to French (Canadian first, as its
// Accept-Language says) gets Exeunt's sign-out prompt and signed-out page in French, marked
// lang="fr", without a console error; the prompt's "Yes" is a real form that signs out.
func TestPagesInTheBrowsersLanguage(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Exeunt-browser-test", AcceptLanguage: "fr-CA,fr;q=0.9,en;q=0.5"}); err != nil {
		t.Fatal(err)
	}
	console := watchConsole(t, ctx)

	must(t, ctx, chromedp.Navigate(env.Apps[0].URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "zoe")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))

	// Exeunt's end session endpoint opened directly: nothing shows the request is this
	// session's, so Exeunt asks.
	must(t, ctx, chromedp.Navigate(env.Issuer+"/connect/endsession"))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`form[method="post"] button[type="submit"]`)))
	checkFrench(t, ctx, "Voulez-vous vous déconnecter")
	must(t, ctx, chromedp.Click(chromedp.CSS(`form[method="post"] button[type="submit"]`)))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", onProvider)
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", func(u *url.URL) bool { return onExeunt(u) && strings.HasPrefix(u.Path, "/signout-callback-") })
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function () {
		var s = document.getElementById("exeunt-status");
		return s !== null && s.textContent === s.getAttribute("data-done");
	})()`)); err != nil {
		t.Fatalf("the signed-out page never said every app was told (status %q): %v", text(t, ctx, "#exeunt-status"), err)
	}
	checkFrench(t, ctx, "Déconnexion effectuée")
	if got := text(t, ctx, "#exeunt-status"); !strings.Contains(got, "Chaque application") {
		t.Errorf("the status is %q, want it in French", got)
	}
	console.check(t)
}

// checkFrench checks the page's language and its heading.
func checkFrench(t *testing.T, ctx context.Context, heading string) {
	t.Helper()
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "fr" {
		t.Errorf("at %s the page's lang is %q (%v), want fr", location(t, ctx), lang, err)
	}
	if got := text(t, ctx, "h1"); !strings.HasPrefix(got, heading) {
		t.Errorf("at %s the heading is %q, want %q", location(t, ctx), got, heading)
	}
}
