package core

import (
	jose "github.com/go-jose/go-jose/v4"

	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// Lines of ../shared/design/SPEC-MUSTS.md whose tests covered part of the requirement
// only (spec review, 2026-12-04; docs/spec-musts-tests.md lists them).

// RP-Initiated Logout item 5: post_logout_redirect_uri is compared with the registered
// ones exactly, so no form a URL normaliser would call the same passes: another case in
// the path, a trailing slash, a percent-encoded character, the default port written
// out, a fragment, another scheme, a dot segment, an empty query, another query. Each
// is refused with a page (no redirect, no cookie) and ends nothing.
func TestSpecEndSessionRedirectURIComparedExactly(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	for _, uri := range []string{
		"https://exeunt.test/APP1/signed-out",
		"https://exeunt.test/app1/signed-out/",
		"https://exeunt.test/app1/signed%2Dout",
		"https://exeunt.test:443/app1/signed-out",
		"https://exeunt.test/app1/signed-out#x",
		"http://exeunt.test/app1/signed-out",
		"https://exeunt.test/app1/./signed-out",
		"https://exeunt.test/app1/signed-out?",
		"https://exeunt.test/app1/bye?from=Exeunt",
		"https://exeunt.test/app1/bye?from=exeunt&x=1",
		"https://exeunt.test/app1/bye",
		"https://exeunt.test/app1/signed-out ",
	} {
		d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {uri}, "state": {"st"}}))
		if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" ||
			strings.Contains(string(d.Response.Body), "state=st") {
			t.Errorf("%q: want a 400 page without a way back, got %s", uri, specBrief(d.Response))
		}
		for _, h := range d.Response.Headers {
			if h.Name == "set-cookie" {
				t.Errorf("%q: a refused request set a cookie: %s", uri, h.Value)
			}
		}
		if !s.signedInStill() {
			t.Fatalf("%q: the refused request signed the user out", uri)
		}
	}
	// The registered URI itself is accepted (the cases above differ from it only as said).
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}))
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the registered URI: %s", to)
	}
}

// Front-Channel Logout 1.0 §4 and SPEC-MUSTS "one <iframe> per client": the logged-out
// page has exactly one iframe for each client the session visited that has a
// frontchannel_logout_uri, however often it was visited, and none for a client it did
// not visit (app2 in the first case) or one without the URI (app3).
func TestSpecFrontchannelOneIframePerVisitedClient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		visits []string
		want   []string // client ids whose iframe the page must have, once each
	}{
		{"app1 only, visited three times", []string{"/app1/", "/app1/a", "/app1/b?x=1"}, []string{"app1"}},
		{"app1 and app2, each twice, and app3", []string{"/app1/", "/app2/", "/app1/c", "/app2/d", "/app3/"}, []string{"app1", "app2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignoutEnv(t, nil)
			s.signIn("https://exeunt.test/app1/")
			var hint, sid string
			for _, p := range tc.visits {
				d := s.request("GET", "https://exeunt.test"+p)
				if !d.Continues() {
					t.Fatalf("%s: %s", p, specBrief(d.Response))
				}
				if hint == "" {
					hint, sid = headerValue(d.SetHeaders, "x-exeunt-assertion"), headerValue(d.SetHeaders, "x-exeunt-sid")
				}
			}
			to, err := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))))
			if err != nil || to.Host != "idp.test" {
				t.Fatalf("not sent to the provider: %v", to)
			}
			page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
			if page.Response == nil || page.Response.Status != 200 {
				t.Fatalf("logged-out page: %s", specBrief(page.Response))
			}
			src := map[string]string{
				"app1": "https://exeunt.test/app1/fc?keep=1&iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
				"app2": "https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
			}
			var want []string
			for _, c := range tc.want {
				want = append(want, src[c])
			}
			got := specIframes(page.Response.Body)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("iframes %q, want %q", got, want)
			}
		})
	}
}

// Back-Channel Logout 1.0 §2.8: 200 (or 204) says the logout succeeded; another answer
// does not. A 202 Accepted ("I will see to it") or a redirect is counted as failed, not
// as sent, and is final: the client answered, and a fresh token would get the same
// answer (RATIONALE.md, "Why only 200 and 204 deliver a logout token").
func TestSpecBackchannelOnly200And204AreSuccess(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.apps.answer = func(cluster string, attempt int) int {
		switch cluster {
		case "app1":
			return 202
		case "app2":
			return 302
		}
		return 200
	}
	hint, _ := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	for i := 0; i < 8; i++ {
		s.tick()
		s.now = s.now.Add(30 * time.Second)
	}
	for _, c := range []string{"app1", "app2"} {
		if n := len(s.apps.tokens[c]); n != 1 {
			t.Errorf("%s got %d attempts, want 1 (final)", c, n)
		}
		if s.metrics.get("exeunt.client."+c+".backchannel.sent") != 0 || s.metrics.get("exeunt.client."+c+".backchannel.failed") != 1 ||
			s.metrics.get("exeunt.client."+c+".backchannel.retried") != 0 {
			t.Errorf("%s: metrics = %v", c, s.metrics.m)
		}
	}
}

// Back-Channel Logout 1.0 §2.6 (SPEC-MUSTS "iat/exp with small leeway"), at the engine's
// own endpoint: a provider whose clock is a minute off is still heard (iat a minute
// ahead; exp a minute past), and a token expired well past the leeway is refused and
// ends nothing. core/oidc tests the verifier with a leeway it is given; this tests the
// one the engine gives it.
func TestSpecProviderLogoutTokenWithinAndPastTheClockLeeway(t *testing.T) {
	for _, tc := range []struct {
		name     string
		iat, exp time.Duration // from now
		accepted bool
	}{
		{"on time", 0, 2 * time.Minute, true},
		{"the provider's clock a minute ahead", time.Minute, 3 * time.Minute, true},
		{"expired a minute ago", -3 * time.Minute, -time.Minute, true},
		{"expired ten minutes ago", -12 * time.Minute, -10 * time.Minute, false},
		{"issued ten minutes ahead", 10 * time.Minute, 12 * time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSignoutEnv(t, nil)
			s.signedIn()
			tok := s.idp.logoutToken(t, s.now, jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) {
				c["iat"], c["exp"] = s.now.Add(tc.iat).Unix(), s.now.Add(tc.exp).Unix()
			})
			d := s.postLogoutToken(tok)
			if tc.accepted {
				if d.Response == nil || d.Response.Status != 200 || s.signedInStill() {
					t.Fatalf("want 200 and signed out: %s, signed in still %v", specBrief(d.Response), s.signedInStill())
				}
				return
			}
			if d.Response == nil || d.Response.Status != 400 || !s.signedInStill() {
				t.Fatalf("want 400 and still signed in: %s, signed in still %v", specBrief(d.Response), s.signedInStill())
			}
		})
	}
}
