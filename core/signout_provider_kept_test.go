package core

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// unsavableContexts are logout contexts whose store does not answer.
type unsavableContexts struct{ logoutContextStore }

func (unsavableContexts) save(_, _ string, _ []byte, _, _ time.Time, then func(error) Decision) Decision {
	return then(errClaimsDown)
}

// When the edge session ended but the provider's could not be (the logout context that
// brings the browser back could not be kept, so the provider was never asked), the
// signed-out page says the provider's session may live on, and does not send the browser
// back to the app by itself, where the provider would sign it straight back in.
func TestSignedOutPageSaysWhenTheProvidersSessionWasNotEnded(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) {
		m["logout"] = map[string]any{"context_storage": "store", "automatic_redirect": true}
	})
	hint, _ := s.signedIn()
	s.e.ports.contexts = unsavableContexts{s.e.ports.contexts}
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}}))
	if d.Response == nil || d.Response.Status != 200 || s.signedInStill() {
		t.Fatalf("want the signed-out page and the edge session ended, got %+v", d.Response)
	}
	body := string(d.Response.Body)
	if !strings.Contains(body, "could not be ended: you may still be signed in there") {
		t.Fatalf("the page claims a complete sign-out:\n%s", body)
	}
	if strings.Contains(body, " data-auto-redirect>") || !strings.Contains(body, "https://exeunt.test/app1/signed-out") {
		t.Fatalf("want the way back as a link, without going there by itself:\n%s", body)
	}

	// The same sign-out with the context kept goes to the provider, and says nothing of it.
	s2 := newSignoutEnv(t, func(m map[string]any) {
		m["logout"] = map[string]any{"context_storage": "store", "automatic_redirect": true}
	})
	hint, _ = s2.signedIn()
	d = s2.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("with the context kept, want the provider's sign-out, got %s", to)
	}
}
