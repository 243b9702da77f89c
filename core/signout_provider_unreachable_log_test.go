package core

import (
	"net/url"
	"strings"
	"testing"
)

// When the provider cannot be used at sign-out (no copy of its metadata, and fetching it
// fails), the edge session ends and the page says the provider's session may live on. The
// operator's log line must say why, not guess: here the provider answers, but its
// discovery document names another issuer, so "unreachable" would send the operator
// looking at the network instead of the configuration.
func TestSignOutWithAProviderThatCannotBeUsedLogsWhy(t *testing.T) {
	s := newSignoutEnv(t, nil)
	var logs []string
	s.e.log = func(msg string) { logs = append(logs, msg) }
	hint, _ := s.signedIn()

	// As after a restart with configured keys: the session cookie lives on, the VMs'
	// copy of the provider's metadata does not, and the provider now misbehaves.
	ms := s.e.store.(*MemoryStore)
	ms.mu.Lock()
	delete(ms.data, "exeunt/provider/oidc")
	ms.mu.Unlock()
	s.e.providers = map[string]*providerView{}
	s.idp.issuer = "https://elsewhere.test"

	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	if d.Response == nil || d.Response.Status != 200 || s.signedInStill() {
		t.Fatalf("want the signed-out page and the edge session ended, got %+v", d.Response)
	}
	if body := string(d.Response.Body); !strings.Contains(body, "you may still be signed in there") {
		t.Fatalf("the page claims a complete sign-out:\n%s", body)
	}
	var line string
	for _, l := range logs {
		if strings.Contains(l, "sign-out") && strings.Contains(l, "provider oidc") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no log line about the provider at sign-out: %q", logs)
	}
	if strings.Contains(line, "unreachable") || !strings.Contains(line, "elsewhere.test") {
		t.Fatalf("the log line does not say why the provider could not be used: %q", line)
	}
}
