package e2e

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// A browser holding two different valid sessions (the attacker's planted by a sibling
// host on longer paths) is refused on every ordinary request, but its sign-out ends
// both: build/exeunt.wasm in hostsim, the real provider, Go's RFC 6265 cookie jar.

// sessionCookie is the value of the session cookie Exeunt set in b's jar (Path=/).
func (b *jarBrowser) sessionCookie() string {
	for _, c := range b.jar.Cookies(&url.URL{Scheme: "https", Host: "exeunt.test", Path: "/"}) {
		if c.Name == "__Secure-exeunt" {
			return c.Value
		}
	}
	return ""
}

// opensAlone reports whether a session cookie value, sent alone, opens app1.
func (e *signinEnv) opensAlone(value string) bool {
	e.t.Helper()
	resp, err := e.host.Do(context.Background(), &hostsim.Request{Method: "GET", Scheme: "https", Authority: "exeunt.test", Path: "/app1/",
		Header: []hostsim.Pair{{Name: "accept", Value: "application/json"}, {Name: "cookie", Value: "__Secure-exeunt=" + value}}}, e.apps)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.Status == 200
}

// unverifiedSID is a logout token's sid claim, read without verifying the token
// (checkLogoutToken verifies the victim's).
func unverifiedSID(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	var c struct {
		SID string `json:"sid"`
	}
	if err != nil || parsed.UnsafeClaimsWithoutVerification(&c) != nil || c.SID == "" {
		t.Fatalf("a logout token without sid: %v", err)
	}
	return c.SID
}

func TestSignOutWithAPlantedSessionEndsBoth(t *testing.T) {
	app1, app2 := newBCLListener(t, 0), newBCLListener(t, 0)
	e := newEnv(t, envOptions{
		config:   map[string]any{"cookie": map[string]any{"name": "__Secure-exeunt", "domain": "exeunt.test"}},
		clients:  signoutClients(),
		clusters: map[string]hostsim.Cluster{"app1": {Address: app1.addr()}, "app2": {Address: app2.addr()}},
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		},
	})
	victim := newJarBrowser(e)
	victim.signIn("alice")
	for _, app := range []string{"app1", "app2"} {
		if r := victim.get("https://exeunt.test/" + app + "/"); r.Status != 200 {
			t.Fatalf("setup: the victim at %s: %d", app, r.Status)
		}
	}
	victimSID, own := e.apps.seenBy("app2").Get("x-exeunt-sid"), victim.sessionCookie()
	attacker := newJarBrowser(e)
	attacker.signIn("mallory")
	if r := attacker.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("setup: the attacker at app1: %d", r.Status)
	}
	plantedSID, planted := e.apps.seenBy("app1").Get("x-exeunt-sid"), attacker.sessionCookie()
	if victimSID == "" || plantedSID == "" || victimSID == plantedSID {
		t.Fatal("setup: two different sessions expected")
	}
	// Planted where it is sent before the victim's own: under app1, and under the end
	// session endpoint.
	victim.plant(planted, "/app1/")
	victim.plant(planted, "/connect/")
	if r := victim.get("https://exeunt.test/app1/page"); r.Status != 400 {
		t.Fatalf("setup: two sessions under app1: %d, want the 400 page", r.Status)
	}

	// The app's sign-out link: the prompt (nothing named which session), then the
	// user's confirmation ends both.
	prompt := victim.get("https://exeunt.test/connect/endsession?" + url.Values{"client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-7"}}.Encode())
	fields := map[string]string{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(prompt.Body), -1) {
		fields[m[1]] = html.UnescapeString(m[2])
	}
	if prompt.Status != 200 || fields["logout_id"] == "" || fields["csrf"] == "" {
		t.Fatalf("sign-out with two sessions: want the prompt, got %d %s", prompt.Status, prompt.Body)
	}
	confirm := url.Values{"logout_id": {fields["logout_id"]}, "csrf": {fields["csrf"]}, "confirm": {"yes"}}.Encode()
	// The same confirmation posted by the planter's page on a sibling site, in a browser
	// without Fetch Metadata (its Origin says where it came from): nothing ends, and the
	// user's own click still works.
	if r := victim.send("POST", "https://exeunt.test/connect/endsession", []byte(confirm),
		hostsim.Pair{Name: "content-type", Value: "application/x-www-form-urlencoded"},
		hostsim.Pair{Name: "origin", Value: "https://evil.exeunt.test"}); r.Status != 400 || !e.opensAlone(own) || !e.opensAlone(planted) {
		t.Fatalf("the prompt for all posted from https://evil.exeunt.test without Sec-Fetch-Site: %d, want 400 and both sessions alive", r.Status)
	}
	toProvider, _ := url.Parse(redirectOf(t, victim.send("POST", "https://exeunt.test/connect/endsession", []byte(confirm),
		hostsim.Pair{Name: "content-type", Value: "application/x-www-form-urlencoded"})))
	if q := toProvider.Query(); !e.peer.OnProvider(toProvider) || q.Has("id_token_hint") || q.Get("client_id") != "exeunt" {
		t.Fatalf("want the provider's end session endpoint with client_id and no id_token_hint: %s", toProvider)
	}
	for what, value := range map[string]string{"the victim's": own, "the planted": planted} {
		if e.opensAlone(value) {
			t.Fatalf("%s session still opens after the sign-out", what)
		}
	}

	// The provider signs its session out and sends the browser back: signed out, with
	// the iframes of both sessions' apps and the request's own way back.
	back, err := e.peer.ConfirmLogout(victim.idpJar, toProvider.String())
	if err != nil {
		t.Fatal(err)
	}
	page := victim.get(back.String())
	if page.Status != 200 || !hasLink(page.Body, "https://exeunt.test/app1/signed-out?state=st-7") {
		t.Fatalf("the signed-out page: %d %q", page.Status, links(page.Body))
	}
	for _, sid := range []string{victimSID, plantedSID} {
		if want := "https://exeunt.test/app1/fc?iss=https%3A%2F%2Fexeunt.test&sid=" + sid; !hasLink(page.Body, want) {
			t.Errorf("the signed-out page lacks %s", want)
		}
	}

	// Back-channel: app1 hears of both sessions, app2 of the victim's alone.
	got := map[string]string{}
	for i := 0; i < 2; i++ {
		tok := app1.wait(10 * time.Second)
		got[unverifiedSID(t, tok)] = tok
	}
	if got[victimSID] == "" || got[plantedSID] == "" {
		t.Fatalf("app1 was told of %d sessions, want the victim's and the planted one", len(got))
	}
	e.checkLogoutToken(got[victimSID], "app1", victimSID)
	e.checkLogoutToken(app2.wait(10*time.Second), "app2", victimSID)
	e.waitMetric("exeunt.logout.rp_initiated", 2)

	// No longer stuck: the planted copies no longer open, and the victim signs in again.
	victim.signIn("alice")
	if r := victim.get("https://exeunt.test/app1/page"); r.Status != 200 || e.apps.seenBy("app1").Get("x-exeunt-sub") != "alice" {
		t.Fatalf("after signing in again, under the planted path: %d as %q", r.Status, e.apps.seenBy("app1").Get("x-exeunt-sub"))
	}
	if sid := e.apps.seenBy("app1").Get("x-exeunt-sid"); sid == victimSID || sid == plantedSID {
		t.Fatal("an ended session was used")
	}
}
