package core

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Requirements of ../shared/design/SPEC-MUSTS.md that had no test of their own (issue
// 17), each named after the line it checks. The same cases against the built .wasm and
// the real provider are in e2e/spec_musts_test.go and e2e/browser/spec_musts_test.go.

var specIframeSrcRE = regexp.MustCompile(`<iframe[^>]*\ssrc="([^"]*)"`)

// specIframes lists the src of every iframe of a page, unescaped.
func specIframes(body []byte) []string {
	var out []string
	for _, m := range specIframeSrcRE.FindAllSubmatch(body, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

// specIsPrompt tells whether d is the logout prompt: a 200 page with the confirmation form,
// no redirect and no cookie changed.
func specIsPrompt(t *testing.T, d Decision) bool {
	t.Helper()
	if d.Response == nil || d.Response.Status != 200 || headerValue(d.Response.Headers, "location") != "" {
		return false
	}
	for _, h := range d.Response.Headers {
		if h.Name == "set-cookie" {
			t.Errorf("the prompt set a cookie: %s", h.Value)
		}
	}
	body := string(d.Response.Body)
	return strings.Contains(body, `name="logout_id"`) && strings.Contains(body, `name="csrf"`)
}

// specBrief describes a response for a failure message: status, location, start of body.
func specBrief(r *Response) string {
	if r == nil {
		return "no response"
	}
	body := string(r.Body)
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return fmt.Sprintf("%d location=%q body=%q", r.Status, headerValue(r.Headers, "location"), body)
}

// RP-Initiated Logout items 3 and 6: a valid hint whose sid is an older session of this
// browser is not proof that the current session asks; the user confirms.
func TestSpecEndSessionHintOfAnOlderSessionPrompts(t *testing.T) {
	s := newSignoutEnv(t, nil)
	oldHint, oldSID := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {oldHint}})))
	if s.signedInStill() {
		t.Fatal("the first sign-out did not end the session")
	}
	s.signIn("https://exeunt.test/app1/")
	newSID := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-sid")
	if newSID == "" || newSID == oldSID {
		t.Fatalf("second session sid %q, first %q", newSID, oldSID)
	}

	params := url.Values{"id_token_hint": {oldHint}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}
	d := s.request("GET", endSessionURL(params))
	if !specIsPrompt(t, d) || !s.signedInStill() {
		t.Fatalf("a hint of an older session must prompt and leave the current one alone: %s", specBrief(d.Response))
	}
	if got := s.metrics.get("exeunt.logout.rp_initiated"); got != 1 {
		t.Fatalf("exeunt.logout.rp_initiated = %d, want 1 (the first sign-out only)", got)
	}
	// By POST too.
	d = s.send("POST", "https://exeunt.test/connect/endsession", []byte(params.Encode()), Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	if !specIsPrompt(t, d) || !s.signedInStill() {
		t.Fatalf("POST with a hint of an older session: %s", specBrief(d.Response))
	}
	// The user confirms: the current session ends, and the way back is the one the
	// (validated) request asked for.
	logoutID, csrf := promptFields(t, d.Response)
	d = s.send("POST", "https://exeunt.test/connect/endsession", []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
		Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
	to, _ := url.Parse(location(t, d))
	if s.signedInStill() || to.Host != "idp.test" {
		t.Fatalf("confirmed: want signed out and sent to the provider, got %s", to)
	}
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	if page.Response.Status != 200 || !slices.Contains(specIframes(page.Response.Body), "https://exeunt.test/app1/fc?keep=1&iss=https%3A%2F%2Fexeunt.test&sid="+newSID) {
		t.Fatalf("the logged-out page must notify the clients of the session that ended (%s): %q", newSID, specIframes(page.Response.Body))
	}
}

// RP-Initiated Logout items 3 and 6: a valid hint of another browser's session, or a
// logout_hint naming another user, leads to the prompt, never to a silent sign-out.
func TestSpecEndSessionHintOfAnotherSessionPrompts(t *testing.T) {
	mallory := newSignoutEnv(t, nil)
	malloryHint, _ := mallory.signedIn()
	alice := &browser{t: t, e: mallory.e, idp: mallory.idp, jar: map[string]string{}, now: mallory.now}
	alice.signIn("https://exeunt.test/app1/")
	aliceHint := headerValue(alice.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-assertion")
	aliceSignedIn := func() bool {
		return alice.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues()
	}
	for name, params := range map[string]url.Values{
		"another session's hint": {"id_token_hint": {malloryHint}},
		"with its client and a registered URI": {"id_token_hint": {malloryHint}, "client_id": {"app1"},
			"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"x"}},
		"own hint, logout_hint of someone else": {"id_token_hint": {aliceHint}, "logout_hint": {"mallory"}},
	} {
		d := alice.request("GET", endSessionURL(params))
		if !specIsPrompt(t, d) || !aliceSignedIn() {
			t.Fatalf("%s: want the prompt and Alice still signed in, got %s", name, specBrief(d.Response))
		}
	}
	if !mallory.signedInStill() {
		t.Fatal("Mallory's session ended through Alice's browser")
	}
	if got := mallory.metrics.get("exeunt.logout.rp_initiated"); got != 0 {
		t.Fatalf("exeunt.logout.rp_initiated = %d, want 0", got)
	}
	// Alice's own hint with her own logout_hint is proof: no prompt.
	if to := location(t, alice.request("GET", endSessionURL(url.Values{"id_token_hint": {aliceHint}, "logout_hint": {"alice"}}))); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the current session's own hint: %s", to)
	}
}

// The provider comes back with a state that does not match, or that cannot be opened,
// while the browser holds the logoutId cookie: the cookie names the sign-out, and the
// logged-out page tells the front-channel clients (issue 17, item 2).
func TestSpecSignoutCallbackUsesTheCookieWhenStateFails(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	logoutCookie := s.e.cfg.Cookie.Name + "-logout"

	// Another sign-out's valid logoutId that did not happen (a prompt's context) and
	// one that happened through another browser: both open, neither is this one.
	other := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	other.signIn("https://exeunt.test/app3/")
	promptID, _ := promptFields(t, other.request("GET", "https://exeunt.test/connect/endsession").Response)

	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"app-st"}})))
	cookie := s.jar[logoutCookie]
	if cookie == "" {
		t.Fatal("no logoutId cookie")
	}
	for name, state := range map[string]string{
		"garbage":                      "nonsense",
		"altered":                      tamper(cookie),
		"unknown stored id":            "sAAAAAAAAAAAAAAAAAAAAAA",
		"a context not yet signed out": promptID,
	} {
		s.jar[logoutCookie] = cookie
		d := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(state))
		if d.Response == nil || d.Response.Status != 200 {
			t.Fatalf("%s state with the cookie: want the logged-out page, got %s", name, specBrief(d.Response))
		}
		frames := specIframes(d.Response.Body)
		for _, want := range []string{
			"https://exeunt.test/app1/fc?keep=1&iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
			"https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
		} {
			if !slices.Contains(frames, want) {
				t.Errorf("%s state: the logged-out page lacks the iframe %s; it has %q", name, want, frames)
			}
		}
		if !strings.Contains(string(d.Response.Body), "https://exeunt.test/app1/signed-out?state=app-st") {
			t.Errorf("%s state: the way back to the app is missing", name)
		}
		if _, ok := s.jar[logoutCookie]; ok {
			t.Errorf("%s state: the logoutId cookie survived the callback", name)
		}
	}

	// Neither matches: refused, no redirect, nothing rendered for anyone.
	for name, c := range map[string]string{"no cookie": "", "altered cookie": tamper(cookie), "a prompt's context": promptID} {
		delete(s.jar, logoutCookie)
		if c != "" {
			s.jar[logoutCookie] = c
		}
		d := s.request("GET", "https://exeunt.test/signout-callback-oidc?state=nonsense")
		if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" || len(specIframes(d.Response.Body)) != 0 {
			t.Errorf("bad state, %s: want the error page, got %s", name, specBrief(d.Response))
		}
	}
	// The other browser's prompt was never confirmed: its session lives on.
	if !other.request("GET", "https://exeunt.test/app3/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("the other browser was signed out")
	}
}

// Back-Channel Logout 1.0 §2.5: an HTTP POST, application/x-www-form-urlencoded, with
// the single field logout_token; 200 and 204 are success.
func TestSpecBackchannelDeliveryFormAnd204(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.apps.answer = func(cluster string, attempt int) int {
		if cluster == "app1" {
			return 204
		}
		return 200
	}
	hint, sid := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))

	calls := s.e.OnTick(s.now)
	if len(calls) != 2 {
		t.Fatalf("%d deliveries, want 2 (app1 and app2)", len(calls))
	}
	for _, c := range calls {
		if c.Method != "POST" || headerValue(c.Headers, "content-type") != "application/x-www-form-urlencoded" {
			t.Fatalf("%s: %s with content-type %q, want a form POST", c.Cluster, c.Method, headerValue(c.Headers, "content-type"))
		}
		form, err := url.ParseQuery(string(c.Body))
		if err != nil || len(form) != 1 || len(form["logout_token"]) != 1 {
			t.Fatalf("%s: body %q, want the single field logout_token", c.Cluster, c.Body)
		}
		checkLogoutToken(t, s.browser, form.Get("logout_token"), c.Cluster, sid)
		s.follow(c)
	}
	// 204 counts as delivered: never retried, never failed.
	for i := 0; i < 5; i++ {
		s.now = s.now.Add(time.Minute)
		s.tick()
	}
	if n := len(s.apps.tokens["app1"]); n != 1 {
		t.Fatalf("app1 answered 204 and got %d attempts, want 1", n)
	}
	m := s.metrics
	if m.get("exeunt.client.app1.backchannel.sent") != 1 || m.get("exeunt.client.app1.backchannel.retried") != 0 || m.get("exeunt.client.app1.backchannel.failed") != 0 {
		t.Fatalf("metrics after a 204 = %v", m.m)
	}
}

// Front-Channel Logout 1.0 §2: frontchannel_logout_uri is absolute; a relative one is
// refused at configuration, naming the field.
func TestSpecFrontchannelURIMustBeAbsolute(t *testing.T) {
	const want = `exeunt configuration: field "clients[0].frontchannel_logout_uri": must be an absolute URL such as https://app.example.test/path`
	runConfigCases(t, []configCase{
		{name: "path", edits: []edit{set("clients[0].frontchannel_logout_uri", "/frontchannel-logout")}, err: want},
		{name: "relative path", edits: []edit{set("clients[0].frontchannel_logout_uri", "frontchannel-logout")}, err: want},
		{name: "scheme-relative", edits: []edit{set("clients[0].frontchannel_logout_uri", "//app1.example.test/fc")}, err: want},
	})
}

// Front-Channel Logout 1.0 §2: iss and sid are added for a client that requires the
// session (the default); one with frontchannel_logout_session_required false gets its
// URI as registered, without either.
func TestSpecFrontchannelWithoutSession(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) {
		cfg["clients"].([]any)[1].(map[string]any)["frontchannel_logout_session_required"] = false
	})
	hint, sid := s.signedIn()
	to, _ := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))))
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	frames := specIframes(page.Response.Body)
	slices.Sort(frames)
	want := []string{"https://exeunt.test/app1/fc?keep=1&iss=https%3A%2F%2Fexeunt.test&sid=" + sid, "https://exeunt.test/app2/fc"}
	if !slices.Equal(frames, want) {
		t.Fatalf("iframes = %q, want %q", frames, want)
	}
}

// RP-Initiated Logout items 3 and 4: a hint signed with our own key but naming another
// issuer, or a client we do not know, is refused, and changes nothing.
func TestSpecEndSessionHintOfAnotherIssuerIsRefused(t *testing.T) {
	s := newSignoutEnv(t, nil)
	_, sid := s.signedIn()
	for name, c := range map[string]assertionClaims{
		"another issuer": {Iss: "https://other.test", Aud: "app1"},
		"unknown client": {Iss: "https://exeunt.test", Aud: "nobody"},
	} {
		c.Sub, c.SID, c.IdP, c.Iat, c.Exp = "alice", sid, "oidc", s.now.Unix(), s.now.Add(5*time.Minute).Unix()
		tok, err := s.e.keys.signer.Sign("JWT", c)
		if err != nil {
			t.Fatal(err)
		}
		d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {tok}}))
		if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" || !s.signedInStill() {
			t.Fatalf("a hint of %s: want 400, no redirect, still signed in; got %s", name, specBrief(d.Response))
		}
	}
}

var specHrefRE = regexp.MustCompile(`<a[^>]*\shref="([^"]*)"`)

// specLinks lists the href of every link of a page, unescaped.
func specLinks(body []byte) []string {
	var out []string
	for _, m := range specHrefRE.FindAllSubmatch(body, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

// RP-Initiated Logout item 9 and the conformance cases "no state" and "only state":
// without state the way back is the registered URI as it is; a state without a
// post_logout_redirect_uri goes nowhere.
func TestSpecEndSessionStateOnlyWithTheRedirect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params url.Values
		want   []string
	}{
		{"no state", url.Values{"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}, []string{"https://exeunt.test/app1/signed-out"}},
		{"only state", url.Values{"state": {"only-state-9"}}, nil},
	} {
		s := newSignoutEnv(t, nil)
		hint, _ := s.signedIn()
		tc.params.Set("id_token_hint", hint)
		to, _ := url.Parse(location(t, s.request("GET", endSessionURL(tc.params))))
		page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
		if page.Response.Status != 200 {
			t.Fatalf("%s: %s", tc.name, specBrief(page.Response))
		}
		if got := specLinks(page.Response.Body); !slices.Equal(got, tc.want) || strings.Contains(string(page.Response.Body), "only-state-9") {
			t.Fatalf("%s: links %q, want %q (and the state nowhere)", tc.name, got, tc.want)
		}
	}
	// Nor does the logout context (for teams' own pages) carry it.
	s := newSignoutEnv(t, nil)
	s.signedIn()
	logoutID, _ := promptFields(t, s.request("GET", endSessionURL(url.Values{"client_id": {"app1"}, "state": {"only-state-9"}})).Response)
	d := s.request("GET", "https://exeunt.test/exeunt/logout-context?logoutId="+url.QueryEscape(logoutID))
	if d.Response.Status != 200 || strings.Contains(string(d.Response.Body), "only-state-9") {
		t.Fatalf("logout context of a request with only state: %s", specBrief(d.Response))
	}
}

// RP-Initiated Logout item 3 with Back-Channel Logout 1.0 §4.1 (cross-JWT confusion):
// id_token_hint is an ID token (here an assertion, typ JWT) Exeunt issued; a logout
// token is signed with the same key but is not one (typ logout+jwt), and is refused as
// a hint like any token Exeunt did not issue as an assertion: 400, no redirect, nothing
// ended.
func TestSpecEndSessionRefusesALogoutTokenAsHint(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}})))
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 {
		t.Fatalf("app1 received %d logout tokens, want 1", len(s.apps.tokens["app1"]))
	}
	logoutToken := s.apps.tokens["app1"][0]
	checkLogoutToken(t, s.browser, logoutToken, "app1", sid)

	// A new session; the logout token of the old one, its sid, its client, arrives as
	// a hint with that client's registered URI.
	s.signIn("https://exeunt.test/app1/")
	rejected := s.metrics.get("exeunt.logout.rejected")
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {logoutToken},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}))
	if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "location") != "" ||
		!strings.Contains(string(d.Response.Body), "not issued here") || !s.signedInStill() {
		t.Fatalf("a logout token as id_token_hint: want the 400 page of a hint not issued here, got %s", specBrief(d.Response))
	}
	if got := s.metrics.get("exeunt.logout.rejected"); got != rejected+1 {
		t.Fatalf("exeunt.logout.rejected = %d, want %d", got, rejected+1)
	}
}
