package core

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// OpenID Connect Session Management 1.0 inside core: the test plays the browser and
// recomputes every session_state on its own, as the check_session_iframe does.

const (
	smOrigin = "https://exeunt.test"
	smCookie = "__Host-exeunt-browser-state"
)

func newSessionManagementEnv(t *testing.T) *signoutEnv {
	return newSignoutEnv(t, func(cfg map[string]any) {
		cfg["logout"] = map[string]any{"session_management": true}
	})
}

// independentSessionState is the computation of Session Management 1.0 §3.1, written
// out again here from the spec rather than calling the engine's.
func independentSessionState(clientID, origin, browserState, salt string) string {
	h := sha256.New()
	h.Write([]byte(clientID))
	h.Write([]byte{' '})
	h.Write([]byte(origin))
	h.Write([]byte{' '})
	h.Write([]byte(browserState))
	h.Write([]byte{' '})
	h.Write([]byte(salt))
	return hex.EncodeToString(h.Sum(nil)) + "." + salt
}

// check answers as the iframe would for this browser's cookie jar.
func (s *signoutEnv) check(clientID, origin, sessionState string) string {
	dot := strings.LastIndexByte(sessionState, '.')
	if dot <= 0 || dot == len(sessionState)-1 {
		return "error"
	}
	bs, ok := s.jar[smCookie]
	if !ok || bs == "" {
		return "changed"
	}
	if independentSessionState(clientID, origin, bs, sessionState[dot+1:]) == sessionState {
		return "unchanged"
	}
	return "changed"
}

func setCookieFor(hs []Header, name string) string {
	for _, h := range hs {
		if h.Name == "set-cookie" && strings.HasPrefix(h.Value, name+"=") {
			return h.Value
		}
	}
	return ""
}

func responseHeaders(d Decision) []Header {
	if d.Response != nil {
		return d.Response.Headers
	}
	return d.ResponseHeaders
}

func TestSessionStatePassedToApps(t *testing.T) {
	s := newSessionManagementEnv(t)
	back := s.idp.authorize(t, location(t, s.request("GET", "https://exeunt.test/app1/")))
	callback := s.request("GET", back)
	set := setCookieFor(callback.Response.Headers, smCookie)
	if set == "" {
		t.Fatalf("sign-in set no browser_state cookie: %v", callback.Response.Headers)
	}
	for _, want := range []string{"; Path=/", "; Secure", "; SameSite=Lax", "; Max-Age=3600"} {
		if !strings.Contains(set, want) {
			t.Errorf("browser_state cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "HttpOnly") {
		t.Errorf("browser_state cookie %q is HttpOnly: the iframe's script cannot read it", set)
	}

	d := s.request("GET", "https://exeunt.test/app1/", Header{Name: "x-exeunt-session-state", Value: "forged.salt"})
	if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-session-state") {
		t.Fatalf("signed-in request: %+v", d)
	}
	sid, ss := headerValue(d.SetHeaders, "x-exeunt-sid"), headerValue(d.SetHeaders, "x-exeunt-session-state")
	bs := s.jar[smCookie]
	if bs == "" || strings.Contains(bs, sid) || bs == base64.RawURLEncoding.EncodeToString([]byte(sid)) {
		t.Fatalf("browser_state %q is empty or shows the sid %q", bs, sid)
	}
	salt := ss[strings.LastIndexByte(ss, '.')+1:]
	if ss == "forged.salt" || len(salt) < 16 || independentSessionState("app1", smOrigin, bs, salt) != ss {
		t.Fatalf("session_state %q is not sha256(client_id origin browser_state salt).salt", ss)
	}
	if got := s.check("app1", smOrigin, ss); got != "unchanged" {
		t.Fatalf("check = %s, want unchanged", got)
	}
	// The same again, from the cache; another client and another origin each get their own.
	if again := headerValue(s.request("GET", "https://exeunt.test/app1/x").SetHeaders, "x-exeunt-session-state"); again != ss {
		t.Fatalf("second request's session_state %q, want the cached %q", again, ss)
	}
	ss2 := headerValue(s.request("GET", "https://exeunt.test/app2/").SetHeaders, "x-exeunt-session-state")
	if ss2 == ss || s.check("app2", smOrigin, ss2) != "unchanged" || s.check("app1", smOrigin, ss2) != "changed" {
		t.Fatalf("app2's session_state %q", ss2)
	}
	ss3 := headerValue(s.request("GET", "https://EXEUNT.test:443/app1/").SetHeaders, "x-exeunt-session-state")
	if ss3 != ss {
		t.Fatalf("the same origin spelt otherwise gave %q, want %q", ss3, ss)
	}
	ss4 := headerValue(s.request("GET", "https://exeunt.test:8443/app1/").SetHeaders, "x-exeunt-session-state")
	if s.check("app1", "https://exeunt.test:8443", ss4) != "unchanged" || s.check("app1", smOrigin, ss4) != "changed" {
		t.Fatalf("session_state at another port %q", ss4)
	}
	if s.check("app1", smOrigin, "no-salt") != "error" || s.check("app1", smOrigin, "abc.") != "error" {
		t.Fatal("a malformed session_state must be an error")
	}
}

func TestSessionStateChangesWithSignOutAndSignIn(t *testing.T) {
	s := newSessionManagementEnv(t)
	hint, _ := s.signedIn()
	before := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-session-state")
	bs1 := s.jar[smCookie]

	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}))
	if set := setCookieFor(responseHeaders(d), smCookie); !strings.Contains(set, "Max-Age=0") || !strings.Contains(set, "Path=/") {
		t.Fatalf("sign-out did not delete the browser_state cookie: %q", set)
	}
	if got := s.check("app1", smOrigin, before); got != "changed" {
		t.Fatalf("after sign-out check = %s, want changed", got)
	}

	s.signIn("https://exeunt.test/app1/")
	after := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-session-state")
	if s.jar[smCookie] == bs1 || after == before {
		t.Fatal("a new sign-in kept the old browser_state or session_state")
	}
	if s.check("app1", smOrigin, before) != "changed" || s.check("app1", smOrigin, after) != "unchanged" {
		t.Fatal("the old session_state must read changed, the new one unchanged")
	}
}

func TestBrowserStateFollowsTheSession(t *testing.T) {
	s := newSessionManagementEnv(t)
	_, sid := s.signedIn()
	ss := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-session-state")

	// A browser that lost the cookie gets it back with its next request.
	delete(s.jar, smCookie)
	if d := s.request("GET", "https://exeunt.test/app1/"); setCookieFor(d.ResponseHeaders, smCookie) == "" || s.check("app1", smOrigin, ss) != "unchanged" {
		t.Fatalf("browser_state not restored: %v", d.ResponseHeaders)
	}
	// It is renewed with the session's idle window.
	s.now = s.now.Add(40 * time.Minute)
	if set := setCookieFor(s.request("GET", "https://exeunt.test/app1/").ResponseHeaders, smCookie); !strings.Contains(set, "Max-Age=3600") {
		t.Fatalf("browser_state not renewed with the idle window: %q", set)
	}

	// Ended without this browser (a provider's back-channel sign-out): the next request
	// finds the session revoked and deletes the cookie.
	if err := revokeNow(t, s.e, sid, s.now.Add(time.Hour).Unix(), s.now); err != nil {
		t.Fatal(err)
	}
	d := s.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"})
	if d.Response == nil || d.Response.Status != 401 || !strings.Contains(setCookieFor(d.Response.Headers, smCookie), "Max-Age=0") {
		t.Fatalf("a revoked session's request kept the browser_state: %+v", d.Response)
	}
	if s.check("app1", smOrigin, ss) != "changed" {
		t.Fatal("after revocation the iframe must say changed")
	}
}

func TestBrowserStateClearedByProviderFrontchannelLogout(t *testing.T) {
	s := newSessionManagementEnv(t)
	s.signedIn()
	d := s.request("GET", "https://exeunt.test/signout-oidc?"+url.Values{"iss": {"https://idp.test"}, "sid": {"idp-sid-1"}}.Encode())
	if d.Response == nil || d.Response.Status != 200 || !strings.Contains(setCookieFor(d.Response.Headers, smCookie), "Max-Age=0") {
		t.Fatalf("front-channel logout kept the browser_state: %+v", d.Response)
	}
}

func TestSessionManagementOffByDefault(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	d := s.request("GET", "https://exeunt.test/app1/", Header{Name: "x-exeunt-session-state", Value: "forged.salt"})
	if !contains(d.RemoveHeaders, "x-exeunt-session-state") || headerValue(d.SetHeaders, "x-exeunt-session-state") != "" {
		t.Fatalf("without session management: remove %v, set %v", d.RemoveHeaders, d.SetHeaders)
	}
	if _, ok := s.jar[smCookie]; ok {
		t.Fatal("a browser_state cookie without session management")
	}
	var doc map[string]any
	if err := json.Unmarshal(s.request("GET", "https://exeunt.test/.well-known/openid-configuration").Response.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["check_session_iframe"]; ok {
		t.Fatal("discovery publishes check_session_iframe without session management")
	}
	// Not an endpoint then: a path like any other, which no client owns here, so refused.
	if d := s.request("GET", "https://exeunt.test/connect/checksession"); d.Response == nil || d.Response.Status != 404 {
		t.Fatalf("the check session path without session management: %+v, want the 404 of a path nobody owns", d)
	}
	if d := s.request("GET", "https://exeunt.test/app1/"); setCookieFor(d.ResponseHeaders, smCookie) != "" {
		t.Fatal("a browser_state cookie without session management")
	}
}

func TestCheckSessionDiscoveryAndPage(t *testing.T) {
	s := newSessionManagementEnv(t)
	var doc map[string]any
	if err := json.Unmarshal(s.request("GET", "https://exeunt.test/.well-known/openid-configuration").Response.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["check_session_iframe"] != "https://exeunt.test/connect/checksession" {
		t.Fatalf("check_session_iframe = %v", doc["check_session_iframe"])
	}

	resp := s.request("GET", "https://exeunt.test/connect/checksession?x=1").Response
	if resp == nil || resp.Status != 200 {
		t.Fatalf("check session iframe: %+v", resp)
	}
	h := func(name string) string { return headerValue(resp.Headers, name) }
	if h("cache-control") != "no-store" || h("content-type") != "text/html; charset=utf-8" || h("x-frame-options") != "" {
		t.Fatalf("headers %v", resp.Headers)
	}
	body := string(resp.Body)
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(body, -1)
	if len(scripts) != 1 {
		t.Fatalf("want one inline script, found %d", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	want := "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; frame-ancestors *; base-uri 'none'; form-action 'none'"
	if got := h("content-security-policy"); got != want {
		t.Fatalf("CSP\n got %s\nwant %s", got, want)
	}
	if strings.Contains(body, "src=") || strings.Contains(body, "href=") {
		t.Fatal("the page loads something from elsewhere")
	}
	cfg := embeddedCheckSessionConfig(t, body)
	if cfg.Cookie != smCookie {
		t.Fatalf("cookie name %q", cfg.Cookie)
	}
	if got := strings.Join(cfg.Clients["app1"], " "); got != "https://exeunt.test:* http://exeunt.test:*" {
		t.Fatalf("app1's origins: %s", got)
	}

	if resp := s.request("POST", "https://exeunt.test/connect/checksession").Response; resp == nil || resp.Status != 405 {
		t.Fatalf("POST: %+v", resp)
	}
}

func embeddedCheckSessionConfig(t *testing.T, body string) checkSessionConfig {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="exeunt-check-session" type="application/json">(.*?)</script>`).FindStringSubmatch(body)
	var cfg checkSessionConfig
	if m == nil {
		t.Fatal("no embedded configuration")
	}
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("embedded configuration %s: %v", m[1], err)
	}
	return cfg
}

// The iframe's own load brings the browser_state cookie up to date too: set for a
// valid session, deleted for an ended one.
func TestCheckSessionLoadUpdatesBrowserState(t *testing.T) {
	s := newSessionManagementEnv(t)
	_, sid := s.signedIn()
	delete(s.jar, smCookie)
	if set := setCookieFor(s.request("GET", "https://exeunt.test/connect/checksession").Response.Headers, smCookie); set == "" {
		t.Fatal("loading the iframe did not restore browser_state")
	}
	if set := setCookieFor(s.request("GET", "https://exeunt.test/connect/checksession").Response.Headers, smCookie); set != "" {
		t.Fatalf("loading the iframe re-set an up-to-date browser_state: %q", set)
	}
	if err := revokeNow(t, s.e, sid, s.now.Add(time.Hour).Unix(), s.now); err != nil {
		t.Fatal(err)
	}
	if set := setCookieFor(s.request("GET", "https://exeunt.test/connect/checksession").Response.Headers, smCookie); !strings.Contains(set, "Max-Age=0") {
		t.Fatalf("loading the iframe kept a revoked session's browser_state: %q", set)
	}
}

func TestSessionManagementConfig(t *testing.T) {
	on := set("logout.session_management", true)
	runConfigCases(t, []configCase{
		{name: "renamed", edits: []edit{on, set("paths.check_session", "/exeunt/check"), set("identity_headers.session_state", "X-Session-State")},
			check: func(t *testing.T, c *Config) {
				is(t, "Paths.CheckSession", c.Paths.CheckSession, "/exeunt/check")
				is(t, "IdentityHeaders.SessionState", c.IdentityHeaders.SessionState, "x-session-state")
				if !contains(c.IdentityHeaderNames(), "x-session-state") {
					t.Error("the session_state header is not stripped from requests")
				}
			}},
		{name: "outside the cookie path, off", edits: []edit{set("cookie.name", "exeunt"), set("cookie.path", "/apps")}, unreached: true,
			check: func(t *testing.T, c *Config) {}},
		{name: "outside the cookie path", edits: []edit{on, set("cookie.name", "exeunt"), set("cookie.path", "/apps")},
			err: `exeunt configuration: field "paths.check_session": is "/connect/checksession", outside cookie.path "/apps": the check session iframe reads the browser_state cookie, which has the session cookie's path; move one or the other`},
		{name: "inside the cookie path", edits: []edit{on, set("cookie.name", "exeunt"), set("cookie.path", "/apps"), set("paths.check_session", "/apps/check")}, unreached: true,
			check: func(t *testing.T, c *Config) {}},
		{name: "same as another path", edits: []edit{on, set("paths.check_session", "/connect/endsession")},
			err: `exeunt configuration: field "paths.check_session": is "/connect/endsession", the same path as "paths.end_session"; every path Exeunt answers must be distinct`},
		{name: "same header as another", edits: []edit{set("identity_headers.session_state", "x-exeunt-sid")},
			err: `exeunt configuration: field "identity_headers.session_state": is "x-exeunt-sid", the same header as identity_headers.sid; each needs its own`},
	})
}

func TestCheckSessionOrigins(t *testing.T) {
	e := checkSessionEngine(t)
	for id, want := range map[string]string{
		"app1":  "https://app1.example.test:* http://app1.example.test:*",
		"wiki":  "https://wiki.acme.com:8443 https://wiki.acme.com:*",
		"local": "https://localhost:3000 http://localhost:3000 https://[::1]:* http://[::1]:* https://portal.acme.com",
	} {
		if got := strings.Join(e.cfg.checkSessionOrigins[id], " "); got != want {
			t.Errorf("%s: %s\nwant %s", id, got, want)
		}
	}
	for _, c := range []struct {
		scheme, authority, want string
	}{
		{"https", "App.Example.test:443", "https://app.example.test"},
		{"http", "localhost:80", "http://localhost"},
		{"http", "localhost:8080", "http://localhost:8080"},
		{"", "[::1]:8443", "https://[::1]:8443"},
	} {
		if got := requestOrigin(Request{Scheme: c.scheme, Authority: c.authority}); got != c.want {
			t.Errorf("requestOrigin(%s, %s) = %s, want %s", c.scheme, c.authority, got, c.want)
		}
	}
}

// checkSessionEngine has session management on and clients on several kinds of origin
// (which no one cookie could reach, so it is parsed without that check, as
// parseConfigReaching says).
func checkSessionEngine(t *testing.T) *Engine {
	t.Helper()
	cfg, err := parseConfigReaching(configWith(t, set("logout.session_management", true),
		appendTo("clients", map[string]any{"client_id": "wiki", "name": "Wiki", "hosts": []any{"wiki.acme.com:8443", "wiki.acme.com"}}),
		appendTo("clients", map[string]any{"client_id": "local", "hosts": []any{"localhost:3000", "[::1]"},
			"post_logout_redirect_uris": []any{"http://localhost:3000/bye", "https://portal.acme.com/signed-out"}})), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, NewMemoryStore(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestGoldenCheckSessionPage(t *testing.T) {
	e := checkSessionEngine(t)
	resp := e.checkSessionPage()
	if resp.Status != 200 {
		t.Fatalf("rendering failed: %s", resp.Body)
	}
	checkGolden(t, "checksession.html", resp.Body)
}

// TestCheckSessionScript runs the iframe's script in Node.js (there when the repository's
// test peers are; skipped otherwise), with a stand-in window and document, and checks its
// answers against the Go computation. The real browser runs it in e2e/browser.
func TestCheckSessionScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	e := checkSessionEngine(t)
	body := string(e.checkSessionPage().Body)
	cfg := embeddedCheckSessionConfig(t, body)
	const bs = "YnJvd3Nlci1zdGF0ZQ"
	good := independentSessionState("app1", "https://app1.example.test", bs, "c2FsdHNhbHQ")
	goodPort := independentSessionState("wiki", "https://wiki.acme.com:8443", bs, "s")
	cases := []struct {
		Cookie string `json:"cookie"`
		Origin string `json:"origin"`
		Data   string `json:"data"`
		Want   string `json:"-"`
	}{
		{"a=1; " + cfg.Cookie + "=" + bs + "; b=2", "https://app1.example.test", "app1 " + good, "unchanged"},
		{cfg.Cookie + "=" + bs, "https://app1.example.test:4443", "app1 " + good, "changed"}, // another origin, same client
		{cfg.Cookie + "=other", "https://app1.example.test", "app1 " + good, "changed"},
		{"", "https://app1.example.test", "app1 " + good, "changed"},
		{cfg.Cookie + "x=" + bs, "https://app1.example.test", "app1 " + good, "changed"}, // not the cookie
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "app1 nosalt", "error"},
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "app1", "error"},
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "app1 abc.", "error"},
		{cfg.Cookie + "=" + bs, "https://wiki.acme.com:8443", "wiki " + goodPort, "unchanged"},
		{cfg.Cookie + "=" + bs, "https://evil.example", "app1 " + good, "none"},        // not app1's origin
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "wiki " + good, "none"},   // app1's origin, not wiki's
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "nobody " + good, "none"}, // unknown client
		{cfg.Cookie + "=" + bs, "https://app1.example.test", "toString " + good, "none"},
		{cfg.Cookie + "=" + bs, "null", "app1 " + good, "none"},
		{cfg.Cookie + "=" + bs, "https://wiki.acme.com:8443.evil.example", "wiki " + goodPort, "none"},
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(body)
	m := regexp.MustCompile(`(?s)<script id="exeunt-check-session" type="application/json">(.*?)</script>`).FindStringSubmatch(body)
	casesJSON, _ := json.Marshal(cases)
	harness := `
"use strict";
const cases = ` + string(casesJSON) + `;
const configText = ` + mustJSON(m[1]) + `;
const script = ` + mustJSON(scripts[1]) + `;
let listener = null;
// The script answers after crypto.subtle's digest, which resolves on another thread: the
// harness waits for every digest the script started to settle, then for the script's
// own callbacks to run, instead of for a fixed time (20 ms was too short on a loaded machine).
const pending = new Set();
const subtle = new Proxy(globalThis.crypto.subtle, { get(target, key) {
  const v = target[key];
  if (typeof v !== "function") { return v; }
  return (...args) => { const p = v.apply(target, args); pending.add(p); const done = () => pending.delete(p); p.then(done, done); return p; };
} });
const settled = async () => {
  do {
    await Promise.allSettled([...pending]);
    await new Promise((r) => setTimeout(r, 0));
  } while (pending.size > 0);
};
globalThis.window = { crypto: { subtle, getRandomValues: (a) => globalThis.crypto.getRandomValues(a) }, addEventListener(type, f) { if (type === "message") { listener = f; } } };
globalThis.document = { cookie: "", getElementById(id) { return id === "exeunt-check-session" ? { textContent: configText } : null; } };
(0, eval)(script);
(async () => {
  const out = [];
  for (const c of cases) {
    document.cookie = c.cookie;
    let answer = "none", to = "";
    listener({ data: c.data, origin: c.origin, source: { postMessage(a, o) { answer = a; to = o; } } });
    await settled();
    if (answer !== "none" && to !== c.origin) { answer = "posted to " + to; }
    out.push(answer);
  }
  console.log(JSON.stringify(out));
})();
`
	path := filepath.Join(t.TempDir(), "harness.js")
	if err := os.WriteFile(path, []byte(harness), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got []string
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || len(got) != len(cases) {
		t.Fatalf("node printed %q: %v", stdout.String(), err)
	}
	for i, c := range cases {
		if got[i] != c.Want {
			t.Errorf("cookie %q, origin %s, message %q: answered %s, want %s", c.Cookie, c.Origin, c.Data, got[i], c.Want)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
