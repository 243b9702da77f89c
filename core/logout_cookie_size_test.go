package core

import (
	"net/url"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/core/oidc"
)

// The logoutId also rides in a cookie while the browser is at the provider (some
// providers drop state on the way back, seed 000), and browsers keep no cookie past
// 4096 bytes (RFC 6265 §6.1): a protected context that a max_url_length over the default
// lets into the URL must still fit that cookie, or the context goes to the store and
// both carry its short id. Without that, a large context (a long state, a long
// registered post_logout_redirect_uri, many visited clients) made a cookie the browser
// drops, and a provider that drops state left the user on the error page.
func TestTheLogoutIdCookieFitsABrowserWhateverMaxURLLength(t *testing.T) {
	long := "https://exeunt.test/app1/signed-out?k=" + oidc.RandomID(1400)
	s := newSignoutEnv(t, func(cfg map[string]any) {
		cfg["logout"] = map[string]any{"max_url_length": 8192}
		c0 := cfg["clients"].([]any)[0].(map[string]any)
		c0["post_logout_redirect_uris"] = append(c0["post_logout_redirect_uris"].([]string), long)
	})
	hint, _ := s.signedIn()
	state := oidc.RandomID(760) // 1014 characters
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {long}, "state": {state}}))
	to := location(t, d)
	if !strings.HasPrefix(to, "https://idp.test/") {
		t.Fatalf("sent to %.80q, want the provider's end session endpoint", to)
	}
	name := s.e.cfg.Cookie.Name + "-logout="
	var cookie string
	for _, h := range d.Response.Headers {
		if h.Name == "set-cookie" && strings.HasPrefix(h.Value, name) {
			cookie = h.Value
		}
	}
	if cookie == "" || len(cookie) > 4096 {
		t.Fatalf("the logoutId cookie is %d bytes (a browser keeps at most 4096)", len(cookie))
	}
	// A provider that drops state: the cookie alone brings back the way to the app.
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc")
	if page.Response == nil || page.Response.Status != 200 || !strings.Contains(string(page.Response.Body), long[40:]) {
		t.Fatalf("callback without state: %s", specBrief(page.Response))
	}
}
