package e2e

import (
	"net/url"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// TestAPrefetchOfASignOutLinkSignsNobodyOut: through build/exeunt.wasm, a browser's
// prefetch or preview of an app's GET sign-out link (with id_token_hint, so proven to come from the
// session) is answered 503 and ends nothing; the user's own click then signs out.
func TestAPrefetchOfASignOutLinkSignsNobodyOut(t *testing.T) {
	e := newEnv(t, envOptions{clients: signoutClients()})
	hint, _ := e.signedInApps()
	link := "https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"}}.Encode()
	// Chrome's speculation rules, the older Purpose (Chrome, Safari) and X-Moz (Firefox),
	// and Safari's X-Purpose: preview (its Top Sites thumbnails load the page unasked).
	for _, announce := range []hostsim.Pair{
		{Name: "sec-purpose", Value: "prefetch;prerender"},
		{Name: "purpose", Value: "prefetch"},
		{Name: "x-moz", Value: "prefetch"},
		{Name: "x-purpose", Value: "preview"},
	} {
		r := e.get(link, announce)
		if r.Status != 503 || len(r.HeaderValues("set-cookie")) != 0 {
			t.Fatalf("the load with %s: %s: %d, set-cookie %q; want 503 and no cookie", announce.Name, announce.Value, r.Status, r.HeaderValues("set-cookie"))
		}
		if !e.signedIn() {
			t.Fatalf("the load with %s: %s signed the user out", announce.Name, announce.Value)
		}
	}
	if to := redirectOf(t, e.get(link)); to == "" || e.signedIn() {
		t.Fatalf("the user's click: sent to %q, still signed in: %v", to, e.signedIn())
	}
}
