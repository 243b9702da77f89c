package browser

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCrossSiteLogoutPostAsksOnExeuntsPage: a page on another site (127.0.0.1, as the
// provider is; Exeunt and the apps are on localhost) auto-submits a logout form POST with
// a valid id_token_hint to the end session endpoint. Chromium leaves the Lax session cookie
// out of that cross-site POST, so Exeunt cannot tell whether this browser is signed in:
// it must not say "You are signed out" (the session lives on, nobody was told). It shows
// its own confirmation instead; the user's click there is a same-origin POST, which
// carries the cookie, and ends the session.
func TestCrossSiteLogoutPostAsksOnExeuntsPage(t *testing.T) {
	ctx := newTab(t, 60*time.Second)
	app1, app2 := env.Apps[0], env.Apps[1]

	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", onProvider)
	login(t, ctx, "dave")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	// The assertion App One received: its sign-out page carries it as id_token_hint.
	hint, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("form[action$='signout']").action, {method: "POST"})
		.then(function (r) { return r.text(); })
		.then(function (t) {
			var i = new DOMParser().parseFromString(t, "text/html").querySelector("input[name='id_token_hint']");
			return i ? i.value : "";
		})`, chromedp.EvalAwaitPromise))
	if err != nil || strings.Count(hint, ".") != 2 {
		t.Fatalf("reading App One's assertion: %q, %v", hint, err)
	}

	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	r, err := http.Get(env.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(r.Body).Decode(&disc)
	r.Body.Close()
	// The other site: 127.0.0.1, a different site from localhost whatever the ports.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>elsewhere</title><form id="f" method="post" action="%s">
<input type="hidden" name="id_token_hint" value="%s">
<input type="hidden" name="client_id" value="%s">
<input type="hidden" name="post_logout_redirect_uri" value="%s">
<input type="hidden" name="state" value="xsite-1">
</form><script>document.getElementById("f").submit();</script>`,
			html.EscapeString(disc.EndSession), html.EscapeString(hint), html.EscapeString(app1.Config().ClientID),
			html.EscapeString(app1.Config().PostLogoutRedirectURI))
	}))
	t.Cleanup(other.Close)
	if !strings.HasPrefix(other.URL, "http://127.0.0.1:") || !strings.HasPrefix(env.Issuer, "http://localhost:") {
		t.Fatalf("the two sites must differ: %s and %s", other.URL, env.Issuer)
	}

	// 1. The cross-site POST: Exeunt's prompt, never "signed out"; the session lives on.
	prompt := func() {
		t.Helper()
		must(t, ctx, chromedp.Navigate(other.URL))
		waitForLocation(t, ctx, "Exeunt's end session endpoint", onExeunt)
		must(t, ctx, chromedp.WaitVisible(chromedp.CSS(`button[name="confirm"][value="yes"]`)))
		if h1 := text(t, ctx, "h1"); h1 != "Do you want to sign out?" {
			t.Fatalf("the page says %q", h1)
		}
		page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil || strings.Contains(page, "You are signed out") || strings.Contains(page, "xsite-1") {
			t.Fatalf("the page after a cross-site POST: %q (%v)", page, err)
		}
	}
	prompt()
	must(t, ctx, chromedp.Navigate(app1.URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	if got := text(t, ctx, "#sid"); got != sid {
		t.Fatalf("after the cross-site POST App One sees session %q, want %q (still signed in)", got, sid)
	}

	// 2. Again, and the user confirms on Exeunt's page: signed out, through the provider,
	// back to Exeunt's signed-out page with the way back carrying the app's state.
	prompt()
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="confirm"][value="yes"]`)))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", onProvider)
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", onExeunt)
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("a.button.primary")))
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a.button.primary").href`))
	if err != nil || !strings.HasPrefix(href, app1.Config().PostLogoutRedirectURI) || !strings.Contains(href, "state=xsite-1") {
		t.Fatalf("the way back: %q (%v)", href, err)
	}
	waitForEvent(t, app1, "back-channel", sid, 10*time.Second)
	must(t, ctx, chromedp.Navigate(app2.URL))
	waitForLocation(t, ctx, "the provider", onProvider)
}
