package browser

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exeunt/exeunt/demo"
)

// Session Management 1.0 in a real browser: a relying party's page on another origin (served
// here, same site as Exeunt) embeds Exeunt's check_session_iframe and asks it, with
// postMessage, whether the session changed. Chromium runs the iframe's script: it reads the
// browser_state cookie, hashes with WebCrypto and answers the page's window and origin.
//
// The demo from envoy.yaml runs once more for this test, with logout.session_management on
// and the relying party's origin added to App One's post_logout_redirect_uris (which makes it
// one of App One's origins). The session_state the page sends is computed here from the
// spec's formula and the browser's cookie; core's tests check that the session_state header
// Exeunt passes to apps is that same value.
func TestCheckSessionIframe(t *testing.T) {
	rp, rpOrigin := listenRelyingParty(t)
	other, otherOrigin := listenRelyingParty(t) // an origin that is none of App One's
	d := startSessionManagementDemo(t, rpOrigin)

	// Discovery publishes the iframe.
	var doc struct {
		CheckSessionIframe string `json:"check_session_iframe"`
	}
	getJSON(t, d.Issuer+"/.well-known/openid-configuration", &doc)
	if doc.CheckSessionIframe != d.Issuer+"/connect/checksession" {
		t.Fatalf("check_session_iframe = %q", doc.CheckSessionIframe)
	}
	for _, l := range []net.Listener{rp, other} {
		serveRelyingParty(t, l, &rpPage{iframe: doc.CheckSessionIframe, issuer: d.Issuer})
	}

	ctx := newTab(t, 90*time.Second)
	onDemo := func(iss string) func(u *url.URL) bool {
		return func(u *url.URL) bool { p, _ := url.Parse(iss); return u.Scheme == p.Scheme && u.Host == p.Host }
	}
	must(t, ctx, chromedp.Navigate(d.Apps[0].URL))
	waitForLocation(t, ctx, "the provider's login form", onDemo(d.ProviderIssuer))
	login(t, ctx, "carol")
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))

	// browser_state, as a script on Exeunt's origin sees it (the session cookie it must not see).
	cookies, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	bs := ""
	for _, c := range strings.Split(cookies, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(c), "=")
		switch {
		case strings.HasSuffix(name, "-browser-state"):
			bs = value
		case name == "__Host-exeunt":
			t.Fatal("the session cookie is readable by scripts")
		}
	}
	if bs == "" {
		t.Fatalf("no browser_state cookie among the cookies scripts can read: %q", cookies)
	}
	ss := sessionStateFor("app1", rpOrigin, bs, "c2FsdC1vbmU")

	// The relying party on its own origin: unchanged, from Exeunt's origin.
	must(t, ctx, chromedp.Navigate(rpOrigin+"/rp"))
	issuerOrigin := strings.TrimSuffix(d.Issuer, "/")
	for _, c := range []struct{ message, want string }{
		{"app1 " + ss, "unchanged from " + issuerOrigin},
		{"app1 " + sessionStateFor("app1", issuerOrigin, bs, "c2FsdC1vbmU"), "changed from " + issuerOrigin}, // computed for another origin
		{"app1 " + sessionStateFor("app1", rpOrigin, "another-browser-state", "c2FsdC1vbmU"), "changed from " + issuerOrigin},
		{"app1 no-salt", "error from " + issuerOrigin},
		{"app2 " + sessionStateFor("app2", rpOrigin, bs, "c2FsdC1vbmU"), "no answer"}, // not one of App Two's origins
	} {
		if got := askCheckSession(t, ctx, c.message); got != c.want {
			t.Errorf("from %s, %q: %s, want %s", rpOrigin, c.message, got, c.want)
		}
	}

	// The same page on an origin that is not App One's gets no answer at all.
	must(t, ctx, chromedp.Navigate(otherOrigin+"/rp"))
	if got := askCheckSession(t, ctx, "app1 "+sessionStateFor("app1", otherOrigin, bs, "c2FsdC1vbmU")); got != "no answer" {
		t.Errorf("from %s (not App One's origin): %s, want no answer", otherOrigin, got)
	}

	// Sign out from App One (through the provider), then ask again: changed.
	must(t, ctx, chromedp.Navigate(d.Apps[0].URL))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#user")))
	must(t, ctx, chromedp.Click(chromedp.CSS("#signout")))
	waitForLocation(t, ctx, "the provider's sign-out confirmation", onDemo(d.ProviderIssuer))
	must(t, ctx, chromedp.Click(chromedp.CSS(`button[name="logout"][value="yes"]`)))
	waitForLocation(t, ctx, "Exeunt's signed-out page", onDemo(d.Issuer))
	must(t, ctx, chromedp.WaitVisible(chromedp.CSS("#exeunt-status")))

	must(t, ctx, chromedp.Navigate(rpOrigin+"/rp"))
	if got := askCheckSession(t, ctx, "app1 "+ss); got != "changed from "+issuerOrigin {
		t.Errorf("after sign-out: %s, want changed", got)
	}
}

// sessionStateFor is Session Management 1.0's session_state, in the encoding Exeunt uses
// (lower-case hex hash, then "." and the salt).
func sessionStateFor(clientID, origin, browserState, salt string) string {
	sum := sha256.Sum256([]byte(clientID + " " + origin + " " + browserState + " " + salt))
	return hex.EncodeToString(sum[:]) + "." + salt
}

// askCheckSession posts message to the iframe from the relying party's page and returns its
// answer with the origin it came from, or "no answer" after two seconds.
func askCheckSession(t *testing.T, ctx context.Context, message string) string {
	t.Helper()
	msg, _ := json.Marshal(message)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.rpReady.then(function () { return window.ask(`+string(msg)+`); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("asking the check session iframe (at %s): %v", locationOrErr(ctx), err)
	}
	return got
}

// rpPage is the relying party's page: it embeds the check session iframe and gives the test
// window.ask(message).
type rpPage struct {
	iframe, issuer string
}

func (s *rpPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/rp" {
		http.NotFound(w, r)
		return
	}
	iframe, _ := json.Marshal(s.iframe)
	target, _ := json.Marshal(strings.TrimSuffix(s.issuer, "/"))
	w.Header().Set("content-type", "text/html; charset=utf-8")
	w.Header().Set("cache-control", "no-store")
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Relying party</title></head>
<body>
<iframe id="op" title="check session"></iframe>
<script>
"use strict";
var op = document.getElementById("op");
window.rpReady = new Promise(function (resolve) { op.addEventListener("load", resolve); });
op.src = %s;
window.ask = function (message) {
  return new Promise(function (resolve) {
    var timer = 0;
    function onMessage(ev) {
      if (ev.source !== op.contentWindow) { return; }
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(ev.data + " from " + ev.origin);
    }
    window.addEventListener("message", onMessage);
    timer = setTimeout(function () {
      window.removeEventListener("message", onMessage);
      resolve("no answer");
    }, 2000);
    op.contentWindow.postMessage(message, %s);
  });
};
</script>
</body></html>
`, iframe, target)
}

// listenRelyingParty takes a free port of this machine for a relying party and returns it with
// its origin (http://localhost:PORT: the same site as Exeunt's demo, another origin).
func listenRelyingParty(t *testing.T) (net.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, "http://localhost:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func serveRelyingParty(t *testing.T, l net.Listener, page *rpPage) {
	srv := &http.Server{Handler: page, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// startSessionManagementDemo starts the demo from a copy of envoy.yaml with session
// management on and rpOrigin among App One's post-logout redirect URIs.
func startSessionManagementDemo(t *testing.T, rpOrigin string) *demo.Demo {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(root, "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The demo's free ports rewrite every localhost:N whose N envoy.yaml names in a port_value;
	// the relying party's port must not be one of them.
	_, rpPort, _ := strings.Cut(strings.TrimPrefix(rpOrigin, "http://"), ":")
	for _, m := range regexp.MustCompile(`port_value:\s*(\d+)`).FindAllStringSubmatch(string(yaml), -1) {
		if m[1] == rpPort {
			t.Skipf("the relying party's free port %s is one envoy.yaml names; run again", rpPort)
		}
	}
	text := string(yaml)
	for _, r := range []struct{ old, new string }{
		{`"post_logout_redirect_uris": ["http://localhost:10000/public/app1/signed-out"]`,
			`"post_logout_redirect_uris": ["http://localhost:10000/public/app1/signed-out", "` + rpOrigin + `/rp/signed-out"]`},
		{`"keys": { "dev_generate": true },`, `"logout": { "session_management": true }, "keys": { "dev_generate": true },`},
	} {
		if strings.Count(text, r.old) != 1 {
			t.Fatalf("envoy.yaml no longer has %s once: update this test's edit of it", r.old)
		}
		text = strings.Replace(text, r.old, r.new, 1)
	}
	path := filepath.Join(t.TempDir(), "envoy-session-management.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return startTestDemo(t, "with session management", demo.Options{ConfigPath: path, Dir: root})
}

func getJSON(t *testing.T, rawURL string, v any) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", rawURL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
}
