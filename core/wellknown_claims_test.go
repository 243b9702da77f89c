package core

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The discovery document's claims_supported lists every claim Exeunt's assertions
// carry: it said nothing of email_verified, which assertions carry beside email and
// which apps must check before linking accounts by email (docs/security-model.md).
func TestDiscoveryListsEveryClaimOfAnAssertion(t *testing.T) {
	b := newBrowser(t)
	b.idp.mutate = func(c map[string]any) { c["email_verified"] = true }
	b.signIn("https://exeunt.test/app1/")
	d := b.request("GET", "https://exeunt.test/app1/")
	parts := strings.Split(headerValue(d.SetHeaders, "x-exeunt-assertion"), ".")
	if len(parts) != 3 {
		t.Fatalf("no assertion: %+v", d)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	disc := b.request("GET", "https://exeunt.test/.well-known/openid-configuration")
	var doc struct {
		Claims []string `json:"claims_supported"`
	}
	if err := json.Unmarshal(disc.Response.Body, &doc); err != nil {
		t.Fatal(err)
	}
	for name := range claims {
		if !slices.Contains(doc.Claims, name) {
			t.Errorf("an assertion carries %q, which claims_supported %v does not list", name, doc.Claims)
		}
	}
}
