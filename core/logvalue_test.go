package core

import (
	"net/url"
	"strings"
	"testing"
)

func TestLogQuoteCutsLongValues(t *testing.T) {
	is(t, "short", logQuote("server_error"), `"server_error"`)
	is(t, "control characters", logQuote("a\nexeunt: forged"), `"a\nexeunt: forged"`)
	is(t, "at the limit", logQuote(strings.Repeat("a", maxLogged)), `"`+strings.Repeat("a", maxLogged)+`"`)
	is(t, "over it", logQuote(strings.Repeat("a", 60000)), `"`+strings.Repeat("a", maxLogged)+`"... (cut, 60000 bytes)`)
}

// The provider's error on the way back from signing out is logged, bounded: a callback
// URL with a 60 KB error writes one short line, marked as cut.
func TestASignoutCallbackErrorIsLoggedBounded(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var logs []string
	s.e.log = func(m string) { logs = append(logs, m) }
	hint, _ := s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}))
	to, _ := url.Parse(location(t, d))
	huge := strings.Repeat("x", 60000)
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?"+url.Values{"state": {to.Query().Get("state")}, "error": {huge}}.Encode())
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("callback with an error: %+v", page.Response)
	}
	for _, l := range logs {
		if strings.Contains(l, "answered error=") {
			if want := `answered error="` + strings.Repeat("x", maxLogged) + `"... (cut, 60000 bytes) on the way back`; !strings.Contains(l, want) || len(l) > 400 {
				t.Fatalf("logged %d bytes: %.300s", len(l), l)
			}
			return
		}
	}
	t.Fatalf("the provider's error is not logged: %q", logs)
}

// A dropped Set-Cookie is logged with the request it answered and the cookie's name,
// both bounded: neither a 50 KB path nor an app's 50 KB flow-cookie name floods the log.
func TestADroppedSetCookieIsLoggedBounded(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var logs []string
	s.e.log = func(m string) { logs = append(logs, m) }
	long := strings.Repeat("p", 50000)
	r := Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/app1/" + long + "?q=" + long}
	name := s.e.cfg.Cookie.Name + "-flow-" + long
	if _, dropped := s.e.FilterResponseCookies(r, []string{name + "=v; Path=/"}, s.now); !dropped {
		t.Fatal("the Set-Cookie for an Exeunt flow cookie was kept")
	}
	if len(logs) != 1 || len(logs[0]) > 600 || strings.Count(logs[0], "(cut, ") != 2 || strings.Contains(logs[0], "?q=") {
		t.Fatalf("logged %q", logs)
	}
}
