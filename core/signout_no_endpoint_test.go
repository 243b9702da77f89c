package core

import (
	"net/url"
	"strings"
	"testing"
)

// Found in review: with a provider that has no end session endpoint, the sign-out showed
// "You are signed out" and nothing else, and returned to the app by itself, while the
// provider's session lived on (the provider would sign the user straight back in). The
// page now says so, as when the provider's session could not be ended, and stays.
func TestASignOutAtAProviderWithoutEndSessionEndpointSaysItsSessionLivesOn(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) {
		p := cfg["providers"].([]any)[0].(map[string]any)
		p["authorization_endpoint"] = "https://idp.test/authorize"
		p["token_endpoint"] = "https://idp.test/token"
		p["jwks_uri"] = "https://idp.test/jwks"
		cfg["logout"] = map[string]any{"automatic_redirect": true}
	})
	hint, _ := s.signedIn()
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}, "client_id": {"app1"},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}))
	if d.Response == nil || d.Response.Status != 200 {
		t.Fatalf("the sign-out: %+v", d)
	}
	body := string(d.Response.Body)
	if !strings.Contains(body, "offers no way to end your session there from here: you may still be signed in there") {
		t.Fatalf("the page does not say the provider's session lives on:\n%s", body)
	}
	if strings.Contains(body, "\" data-auto-redirect>") {
		t.Fatalf("the page goes back to the app by itself, where the provider signs the user back in:\n%s", body)
	}
	if s.signedInStill() {
		t.Fatal("the session survived")
	}
}
