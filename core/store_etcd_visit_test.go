package core

import (
	"net/url"
	"strings"
	"testing"
)

// A session's first visit to a client on the etcd store, between two replicas: the
// request reaches the client only once etcd's record of the session names it, so that a
// provider-initiated sign-out landing on another replica right after (the provider's
// front-channel iframe carries no cookie: the other replica knows the session's clients
// only from etcd) notifies that client too. The record was written in the background
// while the request went on, and under load the other replica read it before the write:
// no logout token, and no front-channel iframe, for the client the user had just used
// (e2e TestFleet/ProviderFrontChannelAtTheWrongReplicaEndsTheSessionEverywhere failed so).
func TestEtcdFirstVisitIsInTheIndexBeforeTheClientIsReached(t *testing.T) {
	etcdFlows.url, etcdFlows.t = etcdURL(t), t
	defer func() { etcdFlows.url = "" }()
	m := etcdStoreConfig()
	a := etcdEngineEnv(t, m, &logLines{}) // replica A
	b := etcdEngineEnv(t, m, &logLines{}) // replica B, on the same etcd and prefix
	a.now = b.now
	a.start()
	b.start()

	b.signIn("https://exeunt.test/app1/")
	// The first visit to app1, at B. What the request's Decision leaves in its Background
	// the glue sends only after the request went on (and, under load, later still): it is
	// held here until the end.
	d, held := b.requestHoldingBackground("GET", "https://exeunt.test/app1/")
	if !d.Continues() {
		t.Fatalf("the first visit to app1 at B: %+v", d.Response)
	}
	sid := headerValue(d.SetHeaders, "x-exeunt-sid")
	if sid == "" {
		t.Fatal("app1 got no x-exeunt-sid")
	}

	// The provider's front-channel iframe lands on A, without the cookie.
	iframe := &browser{t: t, e: a.e, idp: a.idp, jar: map[string]string{}, now: a.now}
	page := iframe.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=idp-sid-1")
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("the front-channel logout at A: %+v", page.Response)
	}
	if body := string(page.Response.Body); !strings.Contains(body, "app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid="+sid) {
		t.Errorf("A's page has no front-channel iframe for app1, which the session had just reached at B (%d background calls not made yet):\n%s", len(held), body)
	}
	a.tick()
	if n := len(a.apps.tokens["app1"]); n != 1 {
		t.Errorf("app1 got %d logout tokens from A's tick, want 1 (%d background calls not made yet)", n, len(held))
	}
	storeBackground(t, held)
}

// requestHoldingBackground is request without making the Decision's background calls:
// it answers the request's own calls (the store's) and returns the final Decision and
// the background calls met on the way, unmade.
func (b *browser) requestHoldingBackground(method, rawURL string) (Decision, []*Call) {
	b.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		b.t.Fatal(err)
	}
	hs := []Header{{Name: "accept", Value: "text/html"}}
	var cookies []string
	for k, v := range b.jar {
		cookies = append(cookies, k+"="+v)
	}
	if len(cookies) > 0 {
		hs = append(hs, Header{Name: "cookie", Value: strings.Join(cookies, "; ")})
	}
	d := b.e.OnRequestHeaders(Request{Method: method, Path: u.RequestURI(), Authority: u.Host, Scheme: u.Scheme, Headers: hs}, b.now)
	var held []*Call
	for i := 0; d.Call != nil || d.Wait != nil; i++ {
		if i > 100 {
			b.t.Fatal("over 100 calls")
		}
		held = append(held, d.Background...)
		if d.Wait != nil {
			d = pastWait(d.Wait)
			continue
		}
		r, ok := storeAnswer(b.t, d.Call)
		if !ok {
			b.t.Fatalf("a call the test does not answer: %s %s", d.Call.Cluster, d.Call.Path)
		}
		d = d.Call.Then(r)
	}
	return d, append(held, d.Background...)
}
