package core

import (
	"net/url"
	"strings"
	"testing"
)

// A provider that comes back to the sign-out callback with an error (RP-Initiated Logout
// lets it report one, as for an authorization response) says its own session may not
// have ended. The edge session did end, so the page is the logged-out page, but it must
// not claim a complete sign-out: it says the session at the provider may live on (as
// when the provider cannot be reached), and does not return to the app by itself.
func TestSignoutCallbackWithAProviderErrorSaysTheProviderMayStillBeSignedIn(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["logout"] = map[string]any{"automatic_redirect": true} })
	hint, _ := s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st"}}))
	to, _ := url.Parse(location(t, d))
	state := to.Query().Get("state")

	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?"+url.Values{"state": {state}, "error": {"server_error"}}.Encode())
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("callback with an error: %+v", page.Response)
	}
	body := string(page.Response.Body)
	if !strings.Contains(body, "you may still be signed in there") {
		t.Errorf("the page does not say the provider's session may live on:\n%s", body)
	}
	if strings.Contains(body, `" data-auto-redirect>`) {
		t.Error("the page returns to the app by itself, as after a complete sign-out")
	}
	if !strings.Contains(body, "https://exeunt.test/app1/signed-out?state=st") {
		t.Error("the way back to the app is gone")
	}
}
