package e2e

import (
	"net/http"
	"testing"
)

// A CDN reads its own caching fields before Cache-Control: CDN-Cache-Control (RFC 9213 §2:
// a cache that honours it ignores Cache-Control) and Surrogate-Control (the Edge
// Architecture Specification, Fastly and Varnish). An app that tells its CDN to keep an
// asset for an hour in either would have the answer carrying the re-sealed session cookie
// stored by the CDN whatever Cache-Control says, and served, cookie included, to the next
// user. On such an answer both say no-store too, in place of the app's.
func TestAnAnswerCarryingTheSessionCookieIsNotCacheableByACDN(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("CDN-Cache-Control", "public, max-age=3600")
		w.Header().Set("Surrogate-Control", "max-age=3600")
		w.Write([]byte("asset"))
	})

	// The first visit to app2 records it in the session: the answer re-seals the cookie.
	resp := e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...)
	if resp.Status != 200 || !hasSessionCookie(resp.HeaderValues("set-cookie")) {
		t.Fatalf("first visit to app2: %d, Set-Cookie %q; want the app's answer with the re-sealed session", resp.Status, resp.HeaderValues("set-cookie"))
	}
	for name, want := range map[string]string{"cache-control": "private, no-store", "cdn-cache-control": "private, no-store", "surrogate-control": "no-store"} {
		if got := resp.HeaderValues(name); len(got) != 1 || got[0] != want {
			t.Errorf("the answer carrying the session cookie has %s %q, want only %q", name, got, want)
		}
	}

	// The next visit sets no cookie: the app's caching stands.
	e.jar["__Host-exeunt"] = sessionCookieValue(resp.HeaderValues("set-cookie"))
	resp = e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...)
	if resp.Status != 200 || len(resp.HeaderValues("set-cookie")) != 0 {
		t.Fatalf("second visit: %d, Set-Cookie %q; want the app's answer without a cookie", resp.Status, resp.HeaderValues("set-cookie"))
	}
	for name, want := range map[string]string{"cache-control": "public, max-age=60", "cdn-cache-control": "public, max-age=3600", "surrogate-control": "max-age=3600"} {
		if got := resp.HeaderValues(name); len(got) != 1 || got[0] != want {
			t.Errorf("an answer without the session cookie has %s %q, want the app's %q", name, got, want)
		}
	}
}

// An app may send a caching field in several lines. Envoy's replace changes only the
// first entry of a name (HeaderMapImpl::setCopy, which hostsim follows; Envoy joins the
// lines of an inline header such as Cache-Control into one entry in builds that register
// it, but not those of CDN-Cache-Control), so the filter removes every line before it adds
// its own: a second "max-age=3600" line must not stay beside "private, no-store" on the
// answer carrying the session cookie.
func TestEveryLineOfTheAppsCachingFieldsIsReplaced(t *testing.T) {
	e := newSigninEnv(t)
	e.signIn("https://exeunt.test/app1/")
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Cache-Control", "no-transform")
		w.Header().Add("Cache-Control", "public, max-age=3600")
		w.Header().Add("CDN-Cache-Control", "max-age=60")
		w.Header().Add("CDN-Cache-Control", "max-age=3600")
		w.Write([]byte("asset"))
	})
	resp := e.sendTo(app, "https://exeunt.test/app2/static/app.js", scriptRequest...)
	if resp.Status != 200 || !hasSessionCookie(resp.HeaderValues("set-cookie")) {
		t.Fatalf("first visit to app2: %d, Set-Cookie %q; want the app's answer with the re-sealed session", resp.Status, resp.HeaderValues("set-cookie"))
	}
	for _, name := range []string{"cache-control", "cdn-cache-control"} {
		if got := resp.HeaderValues(name); len(got) != 1 || got[0] != "private, no-store" {
			t.Errorf("the answer carrying the session cookie has %s %q, want only \"private, no-store\"", name, got)
		}
	}
}
