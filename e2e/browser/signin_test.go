package browser

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
)

// A new user opens the first app, is sent to the provider's login form, signs in, lands on
// the page first asked for, then visits the second app without signing in again.
func TestSignInThenBothApps(t *testing.T) {
	ctx := newTab(t, 45*time.Second)
	app1, app2 := env.Apps[0], env.Apps[1]

	// Ask for a deep link: the user must come back to it after signing in.
	first := app1.URL + "reports?year=2026"
	must(t, ctx, chromedp.Navigate(first))
	at := waitForLocation(t, ctx, "the provider's login form", func(u *url.URL) bool { return onProvider(u) })
	if !strings.HasPrefix(at.Path, "/interaction/") {
		t.Fatalf("sent to %s, want the provider's login interaction", at)
	}
	login(t, ctx, "alice")

	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	if got := location(t, ctx); got != first {
		t.Fatalf("after signing in the browser is at %s, want %s", got, first)
	}
	checkSignedInPage(t, ctx, "alice")
	sid := text(t, ctx, "#sid")

	// The second app: same session, no trip to the provider.
	must(t, ctx, chromedp.Click(chromedp.CSS(`header nav a[href="`+app2.URL+`"]`)))
	waitForLocation(t, ctx, "App Two", func(u *url.URL) bool { return u.String() == app2.URL })
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	checkSignedInPage(t, ctx, "alice")
	if got := text(t, ctx, "#sid"); got != sid {
		t.Fatalf("App Two sees session %q, App One saw %q: one session for both", got, sid)
	}
	if got := text(t, ctx, ".app"); got != app2.Config().Name {
		t.Fatalf("the page is %q's, want %q", got, app2.Config().Name)
	}

	// And back to the first: still signed in.
	must(t, ctx, chromedp.Navigate(app1.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	if got := text(t, ctx, "#sid"); got != sid {
		t.Fatalf("App One now sees session %q, want %q", got, sid)
	}

	if *screenshots != "" {
		must(t, ctx, chromedp.Navigate(app2.URL))
		must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
		screenshot(t, ctx, "screenshot-signed-in.png")
	}
}

// checkSignedInPage: the app shows the user from Exeunt's identity headers, and the signed
// assertion verified against Exeunt's JWKS.
func checkSignedInPage(t *testing.T, ctx context.Context, login string) {
	t.Helper()
	for sel, want := range map[string]string{
		"#user": "User " + login, "#sub": login, "#email": login + "@example.test", "#email-verified": "true", "#idp": "oidc",
	} {
		if got := text(t, ctx, sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := text(t, ctx, "#sid"); got == "" {
		t.Error("no session id")
	}
	if got := text(t, ctx, "#assertion-status"); !strings.Contains(got, "✓ Verified") {
		t.Errorf("the assertion: %q", got)
	}
}

// login fills the provider's development login form (any login, any password) and submits it.
func login(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	must(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "any password"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
	)
}

func onProvider(u *url.URL) bool {
	p, _ := url.Parse(env.ProviderIssuer)
	return u.Scheme == p.Scheme && u.Host == p.Host
}

func onExeunt(u *url.URL) bool {
	p, _ := url.Parse(env.Issuer)
	return u.Scheme == p.Scheme && u.Host == p.Host
}

func must(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("in the browser (at %s): %v", locationOrErr(ctx), err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s (at %s): %v", sel, locationOrErr(ctx), err)
	}
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	return s
}

func locationOrErr(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return s
}

// waitForLocation waits until the tab's address satisfies ok, and returns it.
func waitForLocation(t *testing.T, ctx context.Context, what string, ok func(*url.URL) bool) *url.URL {
	t.Helper()
	var last string
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := chromedp.Run(c, chromedp.Location())
		cancel()
		if err == nil {
			last = s
			if u, err := url.Parse(s); err == nil && ok(u) {
				return u
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: the browser stayed at %s", what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitForEvent waits until app has recorded a notification on channel for sid.
func waitForEvent(t *testing.T, a *demo.App, channel, sid string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		changed := a.Changed()
		for _, ev := range a.Events() {
			if ev.Channel == channel && ev.SID == sid {
				if !ev.OK {
					t.Fatalf("%s refused the %s logout for sid %s: %s", a.Config().Name, channel, sid, ev.Problem)
				}
				return
			}
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s received no %s logout for sid %s within %s; it received %+v", a.Config().Name, channel, sid, timeout, a.Events())
		}
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := *screenshots
	if !filepath.IsAbs(dir) { // relative to the repository's root, not to this package
		dir = filepath.Join("..", "..", dir)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}
