package browser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignInWithCookiesBlocked: a browser that blocks the cookies of Exeunt's site (a
// content setting for http://localhost, as a user or an administrator sets it) signs in at
// the provider, and comes back to Exeunt without the sign-in's cookie. The failure page
// must name the likely cause, blocked cookies, rather than only claim that the sign-in
// "was not started in this browser" (it was, a moment before).
func TestSignInWithCookiesBlocked(t *testing.T) {
	chromium, err := findChromium()
	if err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o755); err != nil {
		t.Fatal(err)
	}
	prefs := `{"profile":{"content_settings":{"exceptions":{"cookies":{"http://localhost:*,*":{"setting":2}}}}}}`
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.UserDataDir(profile),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first run starts this browser: no timeout on it.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(browser, 45*time.Second)
	t.Cleanup(cancel)

	must(t, ctx, chromedp.Navigate(env.Apps[0].URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "frank")
	waitForLocation(t, ctx, "Exeunt's sign-in callback", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h1 := text(t, ctx, "main h1"); h1 != "Sign-in failed" {
		t.Fatalf("with Exeunt's cookies blocked the page says %q", h1)
	}
	if page := text(t, ctx, "main"); !strings.Contains(page, "cookies") {
		t.Fatalf("the failure page does not name blocked cookies as a cause: %q", page)
	}
}

// TestSignInAfterFourTabsOpenedSignedOut: four tabs of an app opened signed out (a restored
// browser session) start four sign-ins; a browser keeps the flow cookies of the last three
// only, so signing in in the first tab fails. The page must name that cause (sign-ins started
// since in other tabs), not only others that did not happen; another tab then signs in.
func TestSignInAfterFourTabsOpenedSignedOut(t *testing.T) {
	ctx := newTab(t, 45*time.Second)
	app1 := env.Apps[0]
	must(t, ctx, chromedp.Navigate(app1.URL+"tab-1"))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	var last context.Context
	for i := 2; i <= 4; i++ {
		tab, cancel := chromedp.NewContext(ctx)
		t.Cleanup(cancel)
		must(t, tab, chromedp.Navigate(app1.URL+"tab-"+string(rune('0'+i))))
		waitForLocation(t, tab, "the provider's login form", onProvider)
		last = tab
	}
	login(t, ctx, "hana")
	waitForLocation(t, ctx, "Exeunt's sign-in callback", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("main h1")))
	if page := text(t, ctx, "main"); !strings.Contains(page, "Sign-in failed") || !strings.Contains(page, "other tabs") {
		t.Fatalf("the first tab's sign-in, its flow evicted by three more: %q", page)
	}
	login(t, last, "hana")
	must(t, last, chromedp.WaitVisible(chromedp.CSS("#user")))
}
