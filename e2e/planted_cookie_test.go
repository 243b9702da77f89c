package e2e

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// A domain cookie (cookie.domain, a __Secure- name) lets any host under the domain set
// a cookie of the session's name; one on a longer path is sent before Exeunt's own
// (RFC 6265 §5.4). Here the browser is Go's RFC 6265 cookie jar, which orders cookies
// as browsers do, and the filter is build/exeunt.wasm in hostsim.

// jarBrowser is a browser whose cookies for exeunt.test live in an RFC 6265 jar.
type jarBrowser struct {
	e      *signinEnv
	jar    http.CookieJar
	idpJar http.CookieJar
}

func newJarBrowser(e *signinEnv) *jarBrowser {
	jar, _ := cookiejar.New(nil)
	idp, _ := cookiejar.New(nil)
	return &jarBrowser{e: e, jar: jar, idpJar: idp}
}

func (b *jarBrowser) get(rawURL string) *hostsim.Response {
	b.e.t.Helper()
	return b.send("GET", rawURL, nil)
}

// send sends a request with the jar's cookies for its URL, and keeps those it sets.
func (b *jarBrowser) send(method, rawURL string, body []byte, extra ...hostsim.Pair) *hostsim.Response {
	b.e.t.Helper()
	u, _ := url.Parse(rawURL)
	headers := append([]hostsim.Pair{{Name: "accept", Value: "text/html"}}, extra...)
	var cs []string
	for _, c := range b.jar.Cookies(u) {
		cs = append(cs, c.Name+"="+c.Value)
	}
	if len(cs) > 0 {
		headers = append(headers, hostsim.Pair{Name: "cookie", Value: strings.Join(cs, "; ")})
	}
	resp, err := b.e.host.Do(context.Background(), &hostsim.Request{Method: method, Scheme: u.Scheme, Authority: u.Host,
		Path: u.RequestURI(), Header: headers, Body: body}, b.e.apps)
	if err != nil {
		b.e.t.Fatal(err)
	}
	set := (&http.Response{Header: http.Header{"Set-Cookie": resp.HeaderValues("set-cookie")}}).Cookies()
	b.jar.SetCookies(u, set)
	return resp
}

// signIn signs login in at app1 and returns the value of the session cookie set.
func (b *jarBrowser) signIn(login string) string {
	b.e.t.Helper()
	back, err := b.e.peer.Login(b.idpJar, redirectOf(b.e.t, b.get("https://exeunt.test/app1/")), login)
	if err != nil {
		b.e.t.Fatal(err)
	}
	redirectOf(b.e.t, b.get(back.String()))
	for _, c := range b.jar.Cookies(&url.URL{Scheme: "https", Host: "exeunt.test", Path: "/"}) {
		if c.Name == "__Secure-exeunt" {
			return c.Value
		}
	}
	b.e.t.Fatal("no session cookie after signing in")
	return ""
}

// plant sets a cookie of the session's name as another host under the domain can.
func (b *jarBrowser) plant(value, path string) {
	evil, _ := url.Parse("https://evil.exeunt.test/")
	b.jar.SetCookies(evil, []*http.Cookie{{Name: "__Secure-exeunt", Value: value, Domain: "exeunt.test", Path: path, Secure: true}})
}

func TestPlantedDomainCookieOnALongerPath(t *testing.T) {
	e := newEnv(t, envOptions{config: map[string]any{"cookie": map[string]any{"name": "__Secure-exeunt", "domain": "exeunt.test"}}})
	victim := newJarBrowser(e)
	victim.signIn("alice")

	// Garbage planted on /app1/ is sent first; the session is still found.
	victim.plant("garbage", "/app1/")
	if r := victim.get("https://exeunt.test/app1/page"); r.Status != 200 || e.apps.seenBy("app1").Get("x-exeunt-sub") == "" {
		t.Fatalf("with a planted cookie on a longer path: %d %s, want the app (the session is behind it)", r.Status, r.Header)
	}
	if n := strings.Count(e.apps.seenBy("app1").Get("cookie"), "__Secure-exeunt"); n != 0 {
		t.Fatalf("the app received %d of Exeunt's cookies", n)
	}

	// The attacker's own valid session planted there: neither session is used, and no
	// sign-in loop starts.
	attacker := newJarBrowser(e)
	victim.plant(attacker.signIn("mallory"), "/app1/")
	r := victim.get("https://exeunt.test/app1/page")
	if r.Status != 400 || !strings.Contains(string(r.Body), "Two sessions") {
		t.Fatalf("with another valid session planted on a longer path: %d %s, want the 400 page", r.Status, r.HeaderValue("location"))
	}
	// Elsewhere (not under /app1/) the planted cookie is not sent: the victim's session.
	if r := victim.get("https://exeunt.test/app2/"); r.Status != 200 || e.apps.seenBy("app2").Get("x-exeunt-sub") == "" {
		t.Fatalf("app2, where the planted cookie does not reach: %d", r.Status)
	}
}
