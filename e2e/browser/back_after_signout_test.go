package browser

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBackAfterSignOutShowsNoSignedInPage: after a complete sign-out, the user (or the
// next person at a shared computer) goes back in the tab's history to a page of App One
// seen while signed in. App One's page sets no Cache-Control, as many apps do; the browser
// must ask for it again (and be sent to sign in), not show it from its HTTP cache or its
// back/forward cache, the previous user's name and data included. The history entry is
// chosen directly, as from the Back button's menu: a single Back from Exeunt's signed-out
// page goes to the provider's sign-out address, which sends the browser straight back.
func TestBackAfterSignOutShowsNoSignedInPage(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	app1 := env.Apps[0]
	page1 := app1.URL + "orders?id=7"

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "yuri")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	// A second page of App One: its answer carries no re-sealed cookie (the first visit's
	// does, and is uncacheable for that reason alone).
	must(t, ctx, chromedp.Navigate(page1))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", onProvider)
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))

	history, err := chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	var entry int64 = -1
	for _, e := range history.Entries {
		if e.URL == page1 {
			entry = e.ID
		}
	}
	if entry < 0 {
		t.Fatalf("no history entry for %s", page1)
	}
	if _, err := chromedp.Call(ctx, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: entry}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		s, err := chromedp.Run(c, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
		if err == nil && strings.Contains(s, "User yuri") {
			t.Fatalf("after signing out, going back shows the signed-in page:\n%.300s", s)
		}
		if err == nil && onProvider(mustParse(t, strings.SplitN(s, "\n", 2)[0])) {
			break // asked again, and sent to sign in
		}
		select {
		case <-c.Done():
			t.Fatalf("going back after signing out: the browser stayed at %s", locationOrErr(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)))
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return u
}
