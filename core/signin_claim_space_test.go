package core

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// A name or email with a space or tab at either end is passed on without them: a
// header value has none (RFC 9110 §5.5; HTTP/2 calls a request with one malformed,
// RFC 9113 §8.2.1), the name is for display and the email's surrounding white space is
// no part of the address (RFC 5322 §3.2.2, CFWS is semantically invisible; OIDC Core
// §5.1 wants an addr-spec). The session, the headers and the assertion carry the same
// value; white space inside is kept. (sub with white space at an end is refused:
// headerSafeClaims, TestIDTokenClaimsThatCannotBeHeadersSignNobodyIn.)
func TestNameAndEmailLoseTheirSurroundingWhiteSpace(t *testing.T) {
	b := newBrowser(t)
	b.idp.mutate = func(c map[string]any) {
		c["name"], c["email"], c["email_verified"] = " \tAlice  Smith\t ", "  alice@example.test\t", true
	}
	b.signIn("https://exeunt.test/app1/")
	d := b.request("GET", "https://exeunt.test/app1/")
	if !d.Continues() {
		t.Fatalf("signed-in request: %+v", d)
	}
	if got := headerValue(d.SetHeaders, "x-exeunt-name"); got != "Alice  Smith" {
		t.Fatalf("x-exeunt-name %q, want %q", got, "Alice  Smith")
	}
	if got := headerValue(d.SetHeaders, "x-exeunt-email"); got != "alice@example.test" {
		t.Fatalf("x-exeunt-email %q, want %q", got, "alice@example.test")
	}
	tok := headerValue(d.SetHeaders, "x-exeunt-assertion")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("assertion %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c["name"] != "Alice  Smith" || c["email"] != "alice@example.test" {
		t.Fatalf("assertion name %q email %q", c["name"], c["email"])
	}
	// Only white space: no email (and no email_verified), no name.
	b = newBrowser(t)
	b.idp.mutate = func(c map[string]any) { c["name"], c["email"] = " ", "\t" }
	b.signIn("https://exeunt.test/app1/")
	d = b.request("GET", "https://exeunt.test/app1/")
	for _, h := range d.SetHeaders {
		if h.Name == "x-exeunt-name" || h.Name == "x-exeunt-email" || h.Name == "x-exeunt-email-verified" {
			t.Fatalf("%s: %q passed on for a claim of white space only", h.Name, h.Value)
		}
	}
}
