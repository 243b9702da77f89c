package core

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A browser that keeps cookies as browsers do (RFC 6265: per host and Domain, per Path,
// Secure only over https), unlike the one-jar browser of signin_test.go, which sends every
// cookie everywhere and so cannot see a cookie that never reaches a host.
type rfcBrowser struct {
	t   *testing.T
	e   *Engine
	idp *fakeIdP
	jar *cookiejar.Jar
	now time.Time
}

func newRFCBrowser(t *testing.T, cfg *Config) *rfcBrowser {
	jar, _ := cookiejar.New(nil)
	return &rfcBrowser{t: t, e: mustEngine(t, cfg), idp: newFakeIdP(t), jar: jar, now: time.Now()}
}

func (b *rfcBrowser) get(raw string) Decision {
	u, err := url.Parse(raw)
	if err != nil {
		b.t.Fatal(err)
	}
	hs := []Header{{Name: "accept", Value: "text/html"}}
	var pairs []string
	for _, c := range b.jar.Cookies(u) {
		pairs = append(pairs, c.Name+"="+c.Value)
	}
	if len(pairs) > 0 {
		hs = append(hs, Header{Name: "cookie", Value: strings.Join(pairs, "; ")})
	}
	req := Request{Method: "GET", Path: u.RequestURI(), Authority: u.Host, Scheme: u.Scheme, Headers: hs}
	d := b.e.OnRequestHeaders(req, b.now)
	for d.Call != nil {
		if r, ok := storeAnswer(b.t, d.Call); ok {
			d = d.Call.Then(r)
			continue
		}
		d = d.Call.Then(b.idp.answer(d.Call))
	}
	storeBackground(b.t, d.Background)
	set := d.ResponseHeaders
	if d.Response != nil {
		set = d.Response.Headers
	}
	resp := http.Response{Header: http.Header{}}
	for _, h := range set {
		if h.Name == "set-cookie" {
			resp.Header.Add("Set-Cookie", h.Value)
		}
	}
	b.jar.SetCookies(u, resp.Cookies())
	return d
}

// signIn starts at page, plays the provider, and returns the callback's answer.
func (b *rfcBrowser) signIn(page string) Decision {
	d := b.get(page)
	at, err := url.Parse(location(b.t, d))
	if err != nil || at.Host != "idp.test" {
		b.t.Fatalf("%s: not sent to the provider: %+v", page, d)
	}
	q := at.Query()
	code := "code-" + q.Get("state")[:6]
	b.idp.codes[code] = fakeGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	return b.get(q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {b.idp.issuer}}.Encode())
}

// exampleAtTheFakeIdP is the documented complete example (testdata/example-config.json,
// docs/configuration.md) with its provider replaced by the test's fake one.
func exampleAtTheFakeIdP(t *testing.T) map[string]any {
	m := exampleConfig(t)
	p := m["providers"].([]any)[0].(map[string]any)
	p["issuer"] = "https://idp.test"
	delete(p, "discovery_url")
	return m
}

// TestTheDocumentedExampleSignsIn: the complete example of docs/configuration.md, with
// Exeunt on auth.example.test and the app on app1.example.test, must sign a browser in.
// With a host-only session cookie it could not: the flow cookie set on the app's host
// never reached the issuer's callback ("Sign-in failed"), as a browser keeps cookies.
func TestTheDocumentedExampleSignsIn(t *testing.T) {
	b := newRFCBrowser(t, configFrom(t, exampleAtTheFakeIdP(t)))
	d := b.signIn("https://app1.example.test/reports?x=1")
	if got := location(t, d); got != "https://app1.example.test/reports?x=1" {
		t.Fatalf("the callback sends the browser to %q", got)
	}
	d = b.get("https://app1.example.test/reports?x=1")
	if !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-sub") != "alice" {
		t.Fatalf("signed in, the app's page: %+v", d)
	}
}

// TestCookieThatCannotReachIsRefused: a configuration whose session cookie cannot reach
// the issuer's callback or a client is refused at start, naming the field, because no
// sign-in could complete with it (the cases below were accepted before, and each made a
// sign-in fail or loop).
func TestCookieThatCannotReachIsRefused(t *testing.T) {
	hostOnly := func(m map[string]any) { m["cookie"] = map[string]any{"name": "__Host-exeunt"} }
	for _, tt := range []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"host-only cookie, client on another host", hostOnly, "clients[0].hosts[0]"},
		{"domain the issuer's host is not under", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "__Secure-exeunt", "domain": "other.test"}
		}, "cookie.domain"},
		{"domain covering the issuer but not a client", func(m map[string]any) {
			m["issuer"] = "https://auth.example.test"
			m["cookie"] = map[string]any{"name": "__Secure-exeunt", "domain": "auth.example.test"}
		}, "clients[0].hosts[0]"},
		{"a domain only sharing the suffix", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "__Secure-exeunt", "domain": "ample.test"}
		}, "cookie.domain"},
		{"path not covering the callback", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "__Secure-exeunt", "domain": "example.test", "path": "/reports"}
		}, "cookie.path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := exampleAtTheFakeIdP(t)
			tt.edit(m)
			_, err := ParseConfig([]byte(mustJSON(m)))
			ce, ok := err.(*ConfigError)
			if !ok || ce.Field != tt.field {
				t.Fatalf("got %v, want an error naming %q", err, tt.field)
			}
		})
	}
	// What the first refused case did to a browser (the complete example as documented
	// until now): the callback found no flow cookie, and sign-in failed.
	cfg := configFrom(t, exampleAtTheFakeIdP(t))
	cfg.Cookie = defaultCookie() // host-only, as the refused configuration had it
	b := newRFCBrowser(t, cfg)
	if d := b.signIn("https://app1.example.test/"); d.Response == nil || d.Response.Status != 400 {
		t.Fatalf("host-only cookie, app on another host: the callback answered %+v, want the 400 it gave", d)
	}
}

// TestCookieReachAccepts: what a browser can use is accepted.
func TestCookieReachAccepts(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"host-only, the client on the issuer's host on another port", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "__Host-exeunt"}
			m["clients"].([]any)[0].(map[string]any)["hosts"] = []any{"auth.example.test:8443", "AUTH.example.test"}
		}},
		{"a domain that is the client's host itself", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "exeunt", "domain": "example.test"}
			m["clients"].([]any)[0].(map[string]any)["hosts"] = []any{"example.test"}
		}},
		{"a path covering every path", func(m map[string]any) {
			m["cookie"] = map[string]any{"name": "exeunt", "domain": "example.test", "path": "/"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := exampleAtTheFakeIdP(t)
			tt.edit(m)
			if _, err := ParseConfig([]byte(mustJSON(m))); err != nil {
				t.Fatal(err)
			}
		})
	}
}
