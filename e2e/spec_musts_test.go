package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exeunt/exeunt/e2e/oidcpeer"
	"github.com/exeunt/exeunt/hostsim"
)

// Requirements of ../shared/design/SPEC-MUSTS.md that had no test of their own (issue
// 17), through build/exeunt.wasm in hostsim against the real provider (oidc-provider
// v9). The core tests of the same lines are in core/spec_musts_test.go.

// specPromptFields reads the hidden fields of the logout prompt; empty when the page is
// not the prompt.
func specPromptFields(body []byte) map[string]string {
	fields := map[string]string{}
	for _, m := range regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		fields[m[1]] = html.UnescapeString(m[2])
	}
	return fields
}

// specWantPrompt fails unless resp is the logout prompt: 200, the confirmation form, no
// redirect, no cookie set or cleared.
func specWantPrompt(t *testing.T, what string, resp *hostsim.Response) {
	t.Helper()
	f := specPromptFields(resp.Body)
	if resp.Status != 200 || resp.HeaderValue("location") != "" || len(resp.HeaderValues("set-cookie")) != 0 || f["logout_id"] == "" || f["csrf"] == "" {
		t.Fatalf("%s: want the prompt, got %d location=%q set-cookie=%q", what, resp.Status, resp.HeaderValue("location"), resp.HeaderValues("set-cookie"))
	}
}

func specSignoutEnv(t *testing.T, clusters map[string]hostsim.Cluster, clients []any) *signinEnv {
	return newEnv(t, envOptions{clients: clients, clusters: clusters,
		peerClient: func(c *oidcpeer.Client) {
			c.PostLogoutRedirectURIs = []string{"https://exeunt.test/signout-callback-oidc"}
		}})
}

// RP-Initiated Logout items 3 and 6: a valid id_token_hint of an older session of this
// browser, or of another browser's session, leads to the prompt; the current session
// lives on until the user confirms.
func TestSpecHintOfAnotherOrOlderSessionPrompts(t *testing.T) {
	e := specSignoutEnv(t, map[string]hostsim.Cluster{"app1": {Address: newBCLListener(t, 0).addr()}, "app2": {Address: newBCLListener(t, 0).addr()}},
		signoutClients())
	oldHint, oldSID := e.signedInApps()
	// A complete sign-out, at the provider too, then a new sign-in: a new session.
	back, err := e.peer.ConfirmLogout(e.idpJar, redirectOf(t, e.get("https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {oldHint}}.Encode())))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.get(back.String()); r.Status != 200 || e.signedIn() {
		t.Fatalf("first sign-out: %d, signed in %v", r.Status, e.signedIn())
	}
	_, newSID := e.signedInApps()
	if newSID == "" || newSID == oldSID {
		t.Fatalf("second session %q, first %q", newSID, oldSID)
	}
	params := url.Values{"id_token_hint": {oldHint}, "client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s"}}
	specWantPrompt(t, "older session's hint", e.get("https://exeunt.test/connect/endsession?"+params.Encode()))
	if !e.signedIn() {
		t.Fatal("a hint of an older session signed the current one out")
	}

	// Another browser (Mallory's) signs in; her valid hint arrives in Alice's browser.
	aliceJar, aliceIdP := e.jar, e.idpJar
	e.jar = map[string]string{}
	e.idpJar, _ = cookiejar.New(nil)
	back, err = e.peer.Login(e.idpJar, redirectOf(t, e.get("https://exeunt.test/app1/")), "mallory")
	if err != nil {
		t.Fatal(err)
	}
	redirectOf(t, e.get(back.String()))
	if r := e.get("https://exeunt.test/app1/"); r.Status != 200 {
		t.Fatalf("Mallory at app1: %d", r.Status)
	}
	malloryHint, malloryJar := e.apps.seenBy("app1").Get("x-exeunt-assertion"), e.jar
	e.jar, e.idpJar = aliceJar, aliceIdP
	specWantPrompt(t, "another session's hint", e.get("https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {malloryHint}}.Encode()))
	if !e.signedIn() {
		t.Fatal("another session's hint signed Alice out")
	}
	e.jar = malloryJar
	if !e.signedIn() {
		t.Fatal("Mallory's session ended through Alice's browser")
	}
	e.waitMetric("exeunt.logout.rp_initiated", 1) // the first sign-out only
}

// specFormListener is a client's back-channel endpoint that answers every request with
// status and records what came.
type specFormListener struct {
	srv    *httptest.Server
	status int
	mu     sync.Mutex
	got    []specFormRequest
}

type specFormRequest struct {
	method, contentType string
	query               string
	form                url.Values
	parseErr            error
}

func newSpecFormListener(t *testing.T, status int) *specFormListener {
	l := &specFormListener{status: status}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		l.mu.Lock()
		l.got = append(l.got, specFormRequest{method: r.Method, contentType: r.Header.Get("content-type"), query: r.URL.RawQuery, form: form, parseErr: err})
		l.mu.Unlock()
		w.WriteHeader(l.status)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *specFormListener) requests() []specFormRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]specFormRequest(nil), l.got...)
}

// specMetric is a filter counter's value now (0 when it was never added to).
func (e *signinEnv) specMetric(name string) uint64 {
	for n, m := range e.host.Metrics() {
		if n == name || strings.HasSuffix(n, "."+name) {
			return uint64(m.Value)
		}
	}
	return 0
}

// The provider comes back with a state that is not ours while the browser still holds
// the logoutId cookie: the logged-out page, with its front-channel iframes and the way
// back, as when state is missing; without the cookie, refused. The same sign-out checks
// the back-channel delivery (Back-Channel Logout 1.0 §2.5): a form POST with the single
// field logout_token, and a 204 answer taken as delivered. app2 does not require the
// session on its front-channel URI: its iframe carries neither iss nor sid.
func TestSpecStateThatDoesNotMatchUsesTheCookie(t *testing.T) {
	app1, app2 := newSpecFormListener(t, 204), newSpecFormListener(t, 200)
	clients := signoutClients()
	clients[1].(map[string]any)["frontchannel_logout_session_required"] = false
	e := specSignoutEnv(t, map[string]hostsim.Cluster{"app1": {Address: strings.TrimPrefix(app1.srv.URL, "http://")},
		"app2": {Address: strings.TrimPrefix(app2.srv.URL, "http://")}}, clients)
	hint, sid := e.signedInApps()

	toProvider, _ := url.Parse(redirectOf(t, e.get("https://exeunt.test/connect/endsession?"+url.Values{"id_token_hint": {hint},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s-7"}}.Encode())))
	if _, ok := e.jar["__Host-exeunt-logout"]; !ok {
		t.Fatal("no logoutId cookie on the way to the provider")
	}
	q := toProvider.Query()
	q.Set("state", "not-ours")
	toProvider.RawQuery = q.Encode()
	back, err := e.peer.ConfirmLogout(e.idpJar, toProvider.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.Path != "/signout-callback-oidc" || back.Query().Get("state") != "not-ours" {
		t.Fatalf("the provider came back to %s", back)
	}
	page := e.get(back.String())
	if page.Status != 200 {
		t.Fatalf("a state that does not match, with the cookie: %d %s", page.Status, page.Body)
	}
	for _, want := range []string{
		"https://exeunt.test/app1/signed-out?state=s-7",
		"https://exeunt.test/app1/fc?iss=https%3A%2F%2Fexeunt.test&sid=" + sid,
		"https://exeunt.test/app2/fc?tenant=t1",
	} {
		if !hasLink(page.Body, want) {
			t.Errorf("the logged-out page lacks %s; it links %q", want, links(page.Body))
		}
	}
	if _, ok := e.jar["__Host-exeunt-logout"]; ok {
		t.Error("the logoutId cookie survived the callback")
	}
	// Again, now without the cookie: nothing matches, nothing is rendered.
	if r := e.get(back.String()); r.Status != 400 || r.HeaderValue("location") != "" || strings.Contains(string(r.Body), "<iframe") {
		t.Fatalf("neither state nor cookie: want the error page, got %d %s", r.Status, r.Body)
	}

	// Back-channel: one form POST each, the single field logout_token; app1's 204 is
	// success, so no retry follows.
	e.waitMetric("exeunt.client.app1.backchannel.sent", 1)
	e.waitMetric("exeunt.client.app2.backchannel.sent", 1)
	time.Sleep(1500 * time.Millisecond) // past the first retry delay (1 s)
	for name, l := range map[string]*specFormListener{"app1": app1, "app2": app2} {
		reqs := l.requests()
		if len(reqs) != 1 {
			t.Fatalf("%s received %d back-channel requests, want 1", name, len(reqs))
		}
		r := reqs[0]
		if r.method != "POST" || r.contentType != "application/x-www-form-urlencoded" || r.parseErr != nil || r.query != "" ||
			len(r.form) != 1 || len(r.form["logout_token"]) != 1 {
			t.Fatalf("%s: %s, content-type %q, query %q, form %v (%v): want a POST of the single form field logout_token",
				name, r.method, r.contentType, r.query, r.form, r.parseErr)
		}
		e.checkLogoutToken(r.form.Get("logout_token"), name, sid)
	}
	if n := e.specMetric("exeunt.client.app1.backchannel.retried") + e.specMetric("exeunt.client.app1.backchannel.failed"); n != 0 {
		t.Fatalf("a 204 was counted as a failure (%d)", n)
	}
}
