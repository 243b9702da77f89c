package e2e

import (
	"net/url"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// TestAPrefetchOfASignOutLinkSignsNobodyOut: through build/exeunt.wasm, a browser's
// prefetch of an app's GET sign-out link (with id_token_hint, so proven to come from the
// session) is answered 503 and ends nothing; the user's own click then signs out.
func TestAPrefetchOfASignOutLinkSignsNobodyOut(t *testing.T) {
	e := newEnv(t, envOptions{clients: signoutClients()})
	hint, _ := e.signedInApps()
	link := "https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"}}.Encode()
	r := e.get(link, hostsim.Pair{Name: "sec-purpose", Value: "prefetch;prerender"})
	if r.Status != 503 || len(r.HeaderValues("set-cookie")) != 0 {
		t.Fatalf("the prefetch: %d, set-cookie %q; want 503 and no cookie", r.Status, r.HeaderValues("set-cookie"))
	}
	if !e.signedIn() {
		t.Fatal("the prefetch signed the user out")
	}
	if to := redirectOf(t, e.get(link)); to == "" || e.signedIn() {
		t.Fatalf("the user's click: sent to %q, still signed in: %v", to, e.signedIn())
	}
}
