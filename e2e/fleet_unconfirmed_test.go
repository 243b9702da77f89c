package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// A sign-out whose write etcd does not answer in time, and applies later (docs/fleet.md
// section 5): a hung member or a partition that keeps the request in flight. Played with a
// real etcd behind a proxy that holds the writes (etcdHold): the replica's call times out,
// then the proxy lets the write through and etcd applies it, with nobody waiting.
//
// What must hold: the page shown says what is known (not confirmed; not "still signed in",
// not "signed out"), the cookie kept; once etcd has applied the write, the session is
// refused on every replica and app1 receives its back-channel logout token, exactly once;
// and the user's retry (at the other replica) completes the browser's part: the provider's
// end session endpoint, then the signed-out page with the front-channel iframes and the way
// back to the app.
func TestFleetSignOutEtcdDidNotConfirm(t *testing.T) {
	var hold *etcdHold
	f := startFleet(t, fleetOptions{etcd: map[string]any{"timeout": "1s"}, etcdVia: func(addr string) string {
		hold = newEtcdHold(t, addr)
		return hold.addr
	}})
	A, B := f.replicas[0], f.replicas[1]

	b := f.browser(t)
	sid := b.signIn(A, "fleet-u9")
	b.app(A, "app2")
	hint := b.assertion(A)
	cookie := b.cookie()
	q := url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {f.issuer + "/public/app1/signed-out"}, "state": {"fleet-state-9"}}

	// Every write to keys (put, txn: the sign-out's) is held past the call's timeout (1 s);
	// reads and lease grants go through, so the replicas keep following.
	hold.hold(func(r *http.Request) bool { return r.URL.Path == "/v3/kv/txn" || r.URL.Path == "/v3/kv/put" })
	res := b.get(A, "/connect/endsession?"+q.Encode())
	if res.status != http.StatusServiceUnavailable || res.header.Get("location") != "" {
		t.Fatalf("a sign-out etcd did not answer: %d (location %q), want a 503 page\n%s", res.status, res.header.Get("location"), res.body)
	}
	if strings.Contains(res.body, "still signed in") || strings.Contains(res.body, "signed out") {
		t.Errorf("the page claims an outcome etcd may yet change:\n%s", res.body)
	}
	if !strings.Contains(res.body, "could not be confirmed") {
		t.Errorf("the page does not say the sign-out was not confirmed:\n%s", res.body)
	}
	if b.jar["__Host-exeunt"] != cookie {
		t.Error("the unconfirmed sign-out changed the session cookie (the retry needs it)")
	}
	if b.jar["__Host-exeunt-unconfirmed"] == "" {
		t.Error("the unconfirmed sign-out set no unconfirmed mark")
	}
	if hold.count() == 0 {
		t.Fatal("no write was held: the test did not play what it says")
	}

	// etcd applies the held write now.
	hold.release()
	applied := time.Now()
	f.waitRefused(t, A, b, cookie, applied, signOutBound)
	f.waitRefused(t, B, b, cookie, applied, signOutBound)
	f.checkFleetLogoutToken(t, f.app1.waitToken(t, sid, 15*time.Second), "app1", sid, "fleet-u9")

	// The retry, at the other replica: the provider, then the signed-out page.
	toProvider := b.endSession(B, q)
	if u, _ := url.Parse(toProvider); u.Query().Has("id_token_hint") || u.Query().Get("client_id") == "" {
		t.Errorf("the retry asks the provider with %q: want its client_id and no id_token_hint (an ended session's cookie reveals no token)", toProvider)
	}
	if _, ok := b.jar["__Host-exeunt"]; ok {
		t.Error("the retry did not clear the session cookie")
	}
	if _, ok := b.jar["__Host-exeunt-unconfirmed"]; ok {
		t.Error("the retry did not clear the unconfirmed mark")
	}
	back, err := f.peer.ConfirmLogout(b.idpJar, toProvider)
	if err != nil {
		t.Fatal(err)
	}
	if back.Path != "/signout-callback-oidc" {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	page := b.get(A, back.String())
	if page.status != http.StatusOK {
		t.Fatalf("the signed-out page: %d %s", page.status, page.body)
	}
	iss := url.QueryEscape(f.issuer)
	for _, want := range []string{
		f.issuer + "/public/app1/signed-out?state=fleet-state-9",
		f.issuer + "/public/app1/frontchannel-logout?iss=" + iss + "&sid=" + sid,
		f.issuer + "/public/app2/frontchannel-logout?iss=" + iss + "&sid=" + sid,
	} {
		if !hasLink([]byte(page.body), want) {
			t.Errorf("the signed-out page lacks %s; it links %q", want, links([]byte(page.body)))
		}
	}

	// Exactly once: the retry queued nothing more (past the deliveries' retry delays).
	time.Sleep(time.Second)
	n := 0
	for _, tok := range f.app1.tokensSoFar() {
		if unverifiedClaims(tok)["sid"] == sid {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("app1 received %d logout tokens for the session, want exactly 1", n)
	}
}

// etcdHold is a proxy in front of etcd's gateway that can hold requests: a held request is
// not sent on while the hold lasts, whatever its sender does meanwhile (it times out and
// goes); release sends every held request to etcd, which applies it, the answer going
// nowhere: a write in flight through a partition, or queued at a hung member.
type etcdHold struct {
	t      testing.TB
	addr   string
	target string
	client *http.Client

	mu       sync.Mutex
	match    func(*http.Request) bool
	held     []heldRequest
	released chan struct{}
}

type heldRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

func newEtcdHold(t testing.TB, target string) *etcdHold {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &etcdHold{t: t, addr: ln.Addr().String(), target: target,
		client: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

// hold starts holding the requests match selects.
func (h *etcdHold) hold(match func(*http.Request) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.match, h.released = match, make(chan struct{})
}

// count is how many requests are held.
func (h *etcdHold) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.held)
}

// release ends the hold and sends the held requests to etcd, in order, each answered
// before the next goes: when it returns, etcd has applied them.
func (h *etcdHold) release() {
	h.mu.Lock()
	held, done := h.held, h.released
	h.held, h.match = nil, nil
	h.mu.Unlock()
	for _, r := range held {
		resp, err := h.send(context.Background(), r)
		if err != nil {
			h.t.Errorf("etcdHold: sending a held %s to etcd: %v", r.path, err)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			h.t.Errorf("etcdHold: etcd answered a held %s with %d", r.path, resp.StatusCode)
		}
	}
	if done != nil {
		close(done)
	}
}

func (h *etcdHold) send(ctx context.Context, r heldRequest) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, "http://"+h.target+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	req.Header = r.header
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, err
}

func (h *etcdHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	hr := heldRequest{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body}
	h.mu.Lock()
	if h.match != nil && h.match(r) {
		h.held = append(h.held, hr)
		released := h.released
		h.mu.Unlock()
		select { // the sender gives up first (its timeout); nothing is answered
		case <-r.Context().Done():
		case <-released:
		}
		return
	}
	h.mu.Unlock()
	resp, err := h.send(r.Context(), hr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
