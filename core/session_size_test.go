package core

import (
	"net/url"
	"strings"
	"testing"
)

// The session cookie keeps the provider's ID token (for id_token_hint at sign-out), and
// a session is read back from at most maxChunks cookies. A provider whose ID tokens are
// large (many group claims) made a session sealed over more cookies than are read back:
// every request after the callback found no session and went to sign in again, which the
// provider's session answered at once, in an endless redirect loop. Now the session
// drops the ID token when it would not fit (sign-out at the provider then names the
// client only), and a session that cannot fit even then is refused with a page.
func TestSignInWithAHugeIDTokenStillSignsIn(t *testing.T) {
	s := newSignoutEnv(t, nil)
	groups := make([]string, 800)
	for i := range groups {
		groups[i] = "group-0123456789abcdef-" + strings.Repeat("x", 8)
	}
	s.idp.mutate = func(c map[string]any) { c["groups"] = groups } // a ~36 KB ID token (under the 64 KB limit on tokens)
	s.signIn("https://exeunt.test/app1/")
	d := s.request("GET", "https://exeunt.test/app1/")
	if !d.Continues() {
		t.Fatalf("after signing in with a large ID token, the app sends the browser to sign in again: %+v", d.Response)
	}
	for name := range s.jar {
		if strings.HasPrefix(name, s.e.cfg.Cookie.Name+".") {
			if n := len(strings.TrimPrefix(name, s.e.cfg.Cookie.Name+".")); n > 1 {
				t.Fatalf("session cookie chunk %s", name)
			}
		}
	}
	// Signing out still reaches the provider, naming the client instead of the token.
	hint := headerValue(d.SetHeaders, "x-exeunt-assertion")
	to, err := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))))
	if err != nil || to.Host != "idp.test" || to.Query().Get("client_id") != "exeunt" || to.Query().Get("id_token_hint") != "" {
		t.Fatalf("sign-out at the provider: %v", to)
	}
}

func TestSignInWithASessionTooLargeForCookiesFails(t *testing.T) {
	b := newBrowser(t)
	b.idp.mutate = func(c map[string]any) { c["name"] = strings.Repeat("N", 40000) }
	back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
	d := b.request("GET", back)
	if d.Response == nil || d.Response.Status != 502 {
		t.Fatalf("a session that cannot fit in the cookies: %+v, want the 502 sign-in failure page", d)
	}
	for name := range b.jar {
		if strings.HasPrefix(name, b.e.cfg.Cookie.Name+".") || name == b.e.cfg.Cookie.Name {
			t.Fatalf("a session cookie %s was set", name)
		}
	}
}
