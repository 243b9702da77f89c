package e2e

import (
	"net/http"
	"strings"
	"testing"
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
	resp := e.sendTo(app, "https://exeunt.test/app2/static/app.js")
	if resp.Status != 200 || !hasSessionCookie(resp.HeaderValues("set-cookie")) {
		t.Fatalf("first visit to app2: %d, Set-Cookie %q; want the app's answer with the re-sealed session", resp.Status, resp.HeaderValues("set-cookie"))
	}
	if got := resp.HeaderValues("cache-control"); len(got) != 1 || got[0] != "private, no-store" {
		t.Errorf("the answer carrying the session cookie has Cache-Control %q, want only \"private, no-store\"", got)
	}

	// The next visit sets no cookie: the app's caching stands.
	e.jar["__Host-exeunt"] = sessionCookieValue(resp.HeaderValues("set-cookie"))
	resp = e.sendTo(app, "https://exeunt.test/app2/static/app.js")
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
