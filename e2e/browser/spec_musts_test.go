package browser

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
	"github.com/exeunt/exeunt/e2e/internal/syncbuf"
)

// Requirements of ../shared/design/SPEC-MUSTS.md that only a real browser can show
// (issue 17).

// TestAutomaticRedirectComesAfterTheFrontChannel: RP-Initiated Logout item 9, every
// client the session visited is notified before the final redirect. With
// logout.automatic_redirect, Exeunt's signed-out page goes back to the app by itself
// once its front-channel iframes have loaded: when the browser arrives at the app, both
// apps have already had their front-channel request.
func TestAutomaticRedirectComesAfterTheFrontChannel(t *testing.T) {
	d := specStartDemo(t, "automatic-redirect", [2]string{`"keys": { "dev_generate": true },`,
		`"logout": { "automatic_redirect": true }, "keys": { "dev_generate": true },`})
	on := func(base string) func(u *url.URL) bool {
		p, _ := url.Parse(base)
		return func(u *url.URL) bool { return u.Scheme == p.Scheme && u.Host == p.Host }
	}
	ctx := newTab(t, 60*time.Second)
	app1, app2 := d.Apps[0], d.Apps[1]
	must(t, ctx, chromedp.Navigate(app1.URL))
	waitForLocation(t, ctx, "the provider's login form", on(d.ProviderIssuer))
	login(t, ctx, "dave")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	sid := text(t, ctx, "#sid")
	for _, a := range []*demo.App{app2, app1} {
		must(t, ctx, chromedp.Navigate(a.URL))
		must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	}

	// The browser holds each front-channel request for a second before sending it: a page
	// that left before its iframes loaded would leave those requests unsent.
	must(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		paused := cdp.Events(ctx, tg, fetch.RequestPaused) // subscribed before Enable: none missed
		go func() {
			for ev, err := range paused {
				if err != nil {
					return
				}
				go func() {
					time.Sleep(time.Second)
					// An error means the page is gone, and the request with it.
					cdp.Call(ctx, tg, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				}()
			}
		}()
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/frontchannel-logout*"}}})
		return err
	}))
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", on(d.ProviderIssuer))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	// No click on Exeunt's page: the browser goes on by itself.
	back := waitForLocation(t, ctx, "App One's signed-out page", func(u *url.URL) bool {
		return on(app1.URL)(u) && u.Path == "/public/app1/signed-out"
	})
	if back.Query().Get("state") == "" {
		t.Fatalf("back at %s without a state", back)
	}
	// Already there, without waiting: the apps record their front-channel request before
	// they answer it, and the page left only after the iframes loaded.
	for _, a := range []*demo.App{app1, app2} {
		told := false
		for _, ev := range a.Events() {
			told = told || (ev.Channel == "front-channel" && ev.SID == sid && ev.OK)
		}
		if !told {
			t.Errorf("%s had no front-channel logout for sid %s when the browser came back: %+v", a.Config().Name, sid, a.Events())
		}
	}
}

// specStartDemo starts the demo from a copy of envoy.yaml with each edit's first string
// (which must be there once) replaced by its second.
func specStartDemo(t *testing.T, name string, edits ...[2]string) *demo.Demo {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(root, "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(yaml)
	for _, e := range edits {
		if strings.Count(text, e[0]) != 1 {
			t.Fatalf("envoy.yaml no longer has %s once: update this test's edit of it", e[0])
		}
		text = strings.Replace(text, e[0], e[1], 1)
	}
	path := filepath.Join(t.TempDir(), "envoy-"+name+".yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var log syncbuf.Buffer
	d, err := demo.Start(context.Background(), demo.Options{ConfigPath: path, Dir: root, FreePorts: true, VMs: 2,
		Log: &log, LogLevel: "info", CacheDir: os.Getenv("HOSTSIM_CACHE_DIR")})
	if err != nil {
		t.Fatalf("starting the demo (%s): %v\n%s", name, err, log.String())
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("stopping the demo: %v", err)
		}
		if t.Failed() {
			t.Logf("the %s demo's log:\n%s", name, lastLines(log.String(), 200))
		}
	})
	return d
}
