package browser

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Sign-out as users meet it: from an app, through Exeunt's end session endpoint and the
// provider's own sign-out, back to Exeunt's signed-out page, whose front-channel iframes the
// browser loads (each app records the request it got), then back to the app with its state.

// TestSignOutFromAnApp: App One's "Sign out" ends the session everywhere: Exeunt's, the
// provider's, and both apps are told (App One over both channels, App Two over the front
// channel); the browser comes back to App One with the state it sent. No page of Exeunt's
// site logs an error in the browser's console on the way.
func TestSignOutFromAnApp(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	app1, app2 := env.Apps[0], env.Apps[1]
	console := watchConsole(t, ctx)

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "bob")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	must(t, ctx, chromedp.Navigate(app2.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	must(t, ctx, chromedp.Navigate(app1.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))

	// 1. The app's sign-out button: to Exeunt's end session endpoint with the assertion as
	// id_token_hint. It proves the request comes from the current session, so Exeunt asks
	// nothing and sends the browser on to the provider, which asks for confirmation.
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	at := waitForLocation(t, ctx, "the provider's sign-out confirmation", onProvider)
	if !strings.HasPrefix(at.Path, "/session/end") {
		t.Fatalf("at the provider's %s, want its end session endpoint", at)
	}
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))

	// 2. Back at Exeunt: the signed-out page, with one front-channel iframe per app the session
	// visited, which the browser loads; its script reports when they all have.
	waitForLocation(t, ctx, "Exeunt's signed-out page", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))
	frames, err := chromedp.Run(ctx, chromedp.AttributesAll(chromedp.CSSAll("iframe[data-frontchannel]")))
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 2 {
		t.Fatalf("%d front-channel iframes, want one per app: %v", len(frames), frames)
	}
	for _, f := range frames {
		u, err := url.Parse(f["src"])
		if err != nil || u.Query().Get("sid") != sid || u.Query().Get("iss") != env.Issuer {
			t.Errorf("iframe %q: want iss %s and sid %s", f["src"], env.Issuer, sid)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(function () {
		var s = document.getElementById("exeunt-status");
		return s !== null && s.textContent === s.getAttribute("data-done");
	})()`)); err != nil {
		t.Fatalf("the signed-out page never said every app was told (status %q): %v", text(t, ctx, "#exeunt-status"), err)
	}
	if *screenshots != "" {
		screenshot(t, ctx, "screenshot-exeunt-signed-out.png")
	}

	// 3. Each app got its front-channel request from the browser (nobody else sends them), and
	// App One its logout token from Exeunt, verified against Exeunt's JWKS.
	waitForEvent(t, app1, "front-channel", sid, 5*time.Second)
	waitForEvent(t, app2, "front-channel", sid, 5*time.Second)
	waitForEvent(t, app1, "back-channel", sid, 10*time.Second)

	// 4. The way back: a link to App One's post_logout_redirect_uri with the state it sent.
	must(t, ctx, chromedp.Click(chromedp.CSS("a.button.primary")))
	back := waitForLocation(t, ctx, "App One's signed-out page", func(u *url.URL) bool {
		return u.Path == "/public/app1/signed-out"
	})
	if back.Query().Get("state") == "" {
		t.Fatalf("back at %s without a state", back)
	}
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#signed-out")))
	if got := text(t, ctx, "#state-status"); !strings.Contains(got, "✓") || !strings.Contains(got, "this is the sign-out this browser started") {
		t.Fatalf("App One's check of the state: %q", got)
	}
	// The app's own list shows the notifications (it refreshes itself).
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#events li[data-channel="back-channel"][data-sid="`+sid+`"][data-ok="true"]`)))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#events li[data-channel="front-channel"][data-sid="`+sid+`"][data-ok="true"]`)))
	if *screenshots != "" {
		screenshot(t, ctx, "screenshot-signed-out.png")
	}

	// 5. Signed out everywhere: App Two now sends the browser to sign in, and the provider
	// asks for a login again (its own session ended too).
	must(t, ctx, chromedp.Navigate(app2.URL))
	waitForLocation(t, ctx, "the provider", onProvider)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`input[name="login"]`)))

	// Every page of Exeunt's site on the way (the apps' pages, Exeunt's signed-out page and
	// its frames, App One's signed-out page) loaded without an error in the console: no
	// resource that failed or answered 404, no Content Security Policy violation, no
	// script error.
	console.check(t)
}
