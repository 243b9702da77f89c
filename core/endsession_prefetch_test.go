package core

import (
	"net/url"
	"testing"
)

// A browser's speculative load of a sign-out link (Chrome's speculation rules and
// <link rel=prefetch> send Sec-Purpose: prefetch, prerenders "prefetch;prerender";
// older browsers Purpose or X-Moz: prefetch, Safari's Top Sites X-Purpose: preview) is not the user asking to sign out: an app
// page whose "Sign out" is a GET link with id_token_hint (RP-Initiated Logout allows it)
// would sign the user out on hover. Such a request is refused (503, which browsers
// treat as a failed prefetch and do not use) and changes nothing; the user's own click
// then signs out. Before, the prefetch ended the session.
func TestASpeculativeLoadOfTheEndSessionEndpointSignsNobodyOut(t *testing.T) {
	for _, h := range []Header{
		{Name: "sec-purpose", Value: "prefetch"},
		{Name: "sec-purpose", Value: "prefetch;prerender"},
		{Name: "sec-purpose", Value: "prefetch;anonymous-client-ip"},
		{Name: "purpose", Value: "prefetch"},
		{Name: "x-moz", Value: "prefetch"},
		{Name: "x-purpose", Value: "preview"}, // Safari's Top Sites
		{Name: "x-purpose", Value: " Preview "},
	} {
		s := newSignoutEnv(t, nil)
		hint, _ := s.signedIn()
		link := endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"}})
		d := s.request("GET", link, h)
		if d.Response == nil || d.Response.Status != 503 || headerValue(d.Response.Headers, "set-cookie") != "" {
			t.Fatalf("%s: %s: want 503 without cookies, got %+v", h.Name, h.Value, d.Response)
		}
		if !s.signedInStill() {
			t.Fatalf("%s: %s: the speculative load signed the user out", h.Name, h.Value)
		}
		if to := location(t, s.request("GET", link)); to == "" || s.signedInStill() {
			t.Fatalf("%s: the user's own click did not sign out", h.Name)
		}
	}
}
