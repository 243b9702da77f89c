package core

import "testing"

// An app's answer that carries the re-sealed session cookie must be uncacheable for every
// cache in front of Envoy, a CDN included: a CDN reads CDN-Cache-Control (RFC 9213 §2) or
// Surrogate-Control in place of Cache-Control, so the app's "max-age=3600" there would
// still have it store the answer, cookie included. The decision sets all three, each
// replacing the app's own (the e2e test TestAnAnswerCarryingTheSessionCookieIsNotCacheableByACDN
// runs it through the built module).
func TestAnAnswerCarryingTheSessionCookieIsUncacheableForACDN(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	d := b.request("GET", "https://exeunt.test/app2/")
	if !d.Continues() || setCookieFor(d.ResponseHeaders, "__Host-exeunt") == "" {
		t.Fatalf("first visit to app2 does not re-seal the session: %+v", d)
	}
	want := map[string]string{"cache-control": "private, no-store", "cdn-cache-control": "private, no-store", "surrogate-control": "no-store"}
	for name, value := range want {
		var got []string
		for _, h := range d.ResponseHeaders {
			if h.Name == name {
				got = append(got, h.Value)
			}
		}
		if len(got) != 1 || got[0] != value {
			t.Errorf("the answer carrying the session cookie gets %s %q, want %q", name, got, value)
		}
		if !ReplacesUpstream(name) {
			t.Errorf("%s is added beside the app's, not in its place", name)
		}
	}
	if ReplacesUpstream("set-cookie") {
		t.Error("the engine's Set-Cookie would replace the app's own cookies")
	}
}
