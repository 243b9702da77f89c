package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// A response that carries the session cookie is nobody else's: when the filter adds its
// Set-Cookie to an app's answer (the first visit to a client, a renewed idle window), it
// makes that answer uncacheable for a shared cache, whatever the app said. Set-Cookie
// alone does not stop a shared cache from storing a response and serving it, cookie
// included, to other users: the app's "public, max-age" on a protected asset would hand
// one user's session to the next. An answer without the cookie keeps the app's own
// Cache-Control.
func TestAnAnswerCarryingTheSessionCookieIsNotCacheable(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write([]byte("asset"))
	})

	// The first visit to app2 records it in the session: the answer re-seals the cookie.
	resp := e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...)
	if resp.Status != 200 || !hasSessionCookie(resp.HeaderValues("set-cookie")) {
		t.Fatalf("first visit to app2: %d, Set-Cookie %q; want the app's answer with the re-sealed session", resp.Status, resp.HeaderValues("set-cookie"))
	}
	if got := resp.HeaderValues("cache-control"); len(got) != 1 || got[0] != "private, no-store" {
		t.Errorf("the answer carrying the session cookie has Cache-Control %q, want only \"private, no-store\"", got)
	}

	// The next visit sets no cookie: the app's caching stands.
	e.jar["__Host-exeunt"] = sessionCookieValue(resp.HeaderValues("set-cookie"))
	resp = e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...)
	if resp.Status != 200 || len(resp.HeaderValues("set-cookie")) != 0 {
		t.Fatalf("second visit: %d, Set-Cookie %q; want the app's answer without a cookie", resp.Status, resp.HeaderValues("set-cookie"))
	}
	if got := resp.HeaderValues("cache-control"); len(got) != 1 || got[0] != "public, max-age=3600" {
		t.Errorf("an answer without the session cookie has Cache-Control %q, want the app's", got)
	}
}

func hasSessionCookie(setCookies []string) bool { return sessionCookieValue(setCookies) != "" }

func sessionCookieValue(setCookies []string) string {
	for _, sc := range setCookies {
		if v, ok := strings.CutPrefix(sc, "__Host-exeunt="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// scriptRequest is what a browser sends with a <script src>: not a navigation, so the
// app's caching of the answer stands unless the answer carries the session cookie (a
// signed-in page is always "private, no-store": TestASignedInPageIsNeverCachedByTheModule).
var scriptRequest = []hostsim.Pair{{Name: "accept", Value: "*/*"}, {Name: "sec-fetch-mode", Value: "no-cors"}, {Name: "sec-fetch-dest", Value: "script"}}

// A page of a signed-in session is answered "private, no-store" whatever the app says, even
// without the session cookie in it: a browser going back in history after a sign-out shows
// a page it holds in its cache without asking (e2e/browser
// TestBackAfterSignOutShowsNoSignedInPage). Core: TestASignedInPageIsNeverCached.
func TestASignedInPageIsNeverCachedByTheModule(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=600")
		w.Write([]byte("page"))
	})
	navigate := []hostsim.Pair{{Name: "accept", Value: "text/html,*/*;q=0.8"}, {Name: "sec-fetch-mode", Value: "navigate"}, {Name: "sec-fetch-dest", Value: "document"}}
	resp := e.sendTo(app, "https://exeunt.test/app2/", navigate...)
	e.jar["__Host-exeunt"] = sessionCookieValue(resp.HeaderValues("set-cookie"))
	resp = e.sendTo(app, "https://exeunt.test/app2/orders", navigate...)
	if resp.Status != 200 || len(resp.HeaderValues("set-cookie")) != 0 {
		t.Fatalf("second visit: %d, Set-Cookie %q; want the app's page without a cookie", resp.Status, resp.HeaderValues("set-cookie"))
	}
	if got := resp.HeaderValues("cache-control"); len(got) != 1 || got[0] != "private, no-store" {
		t.Errorf("a signed-in page has Cache-Control %q, want only \"private, no-store\"", got)
	}
	if got := e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...).HeaderValues("cache-control"); len(got) != 1 || got[0] != "private, max-age=600" {
		t.Errorf("a script of a signed-in session has Cache-Control %q, want the app's", got)
	}
}
