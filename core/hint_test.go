package core

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// The id_token_hint fast path (hint.go): a hint that is byte for byte an assertion this
// VM signed and caches skips the signature check; everything else is verified as
// before. These tests run while the cache holds the genuine assertion, so that a
// near-copy of it meets the fast path first.

// resign signs claims with a fresh P-256 key under our kid: a forgery that looks like
// our assertion in every byte but the signature.
func resign(t *testing.T, claims map[string]any) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := obj.CompactSerialize()
	return tok
}

func TestHintFastPathTakesOnlyOurOwnBytes(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	if _, own := s.e.ownAssertion(hint); !own {
		t.Fatal("the assertion app1 received is not recognized as this VM's own")
	}
	parts := strings.Split(hint, ".")
	var claims map[string]any
	plain, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(plain, &claims)
	changed := func(k string, v any) string {
		c := map[string]any{}
		for key, val := range claims {
			c[key] = val
		}
		c[k] = v
		b, _ := json.Marshal(c)
		return b64(string(b))
	}
	sig := []byte(parts[2])
	sig[10] ^= 1 // still base64url
	forgeries := map[string]string{
		"signature altered":               parts[0] + "." + parts[1] + "." + string(sig),
		"payload altered, same sid/aud":   parts[0] + "." + changed("sub", "mallory") + "." + parts[2],
		"payload re-encoded, same claims": parts[0] + "." + changed("sid", sid) + "." + parts[2],
		"header altered":                  b64(`{"alg":"ES256","kid":"k1","typ":"JWT","x":1}`) + "." + parts[1] + "." + parts[2],
		"alg none":                        b64(`{"alg":"none","kid":"k1","typ":"JWT"}`) + "." + parts[1] + ".",
		"signed by another key":           resign(t, claims),
		"trailing bytes":                  hint + "A",
		"truncated":                       hint[:len(hint)-1],
	}
	for name, forged := range forgeries {
		if name == "payload re-encoded, same claims" && forged == hint {
			continue // json.Marshal happened to write the same bytes: not a forgery
		}
		if _, own := s.e.ownAssertion(forged); own {
			t.Errorf("%s: taken as our own assertion", name)
		}
		if _, err := s.e.verifyHint(forged); err == nil {
			t.Errorf("%s: accepted as an id_token_hint", name)
		}
		d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {forged}}))
		if d.Response == nil || d.Response.Status != 400 || !s.signedInStill() {
			t.Fatalf("%s: want 400 and still signed in, got %+v", name, d.Response)
		}
	}
	// The genuine hint still signs out without a prompt.
	if to := location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))); !strings.HasPrefix(to, "https://idp.test/logout?") {
		t.Fatalf("the genuine hint: %s", to)
	}
}

func TestHintFastPathOfAnotherSessionProvesNothing(t *testing.T) {
	// Mallory's own assertion, cached on the same VM, sent from Alice's browser: ours
	// by its bytes, but it names another session, so Alice is asked, not signed out.
	mallory := newSignoutEnv(t, nil)
	malloryHint, _ := mallory.signedIn()
	alice := &browser{t: t, e: mallory.e, idp: mallory.idp, jar: map[string]string{}, now: mallory.now}
	alice.signIn("https://exeunt.test/app1/")
	if _, own := alice.e.ownAssertion(malloryHint); !own {
		t.Fatal("mallory's assertion is not in the VM's cache: this test would not reach the fast path")
	}
	d := alice.request("GET", endSessionURL(url.Values{"id_token_hint": {malloryHint}}))
	if d.Response == nil || d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), `name="csrf"`) {
		t.Fatalf("another session's hint: want the prompt, got %+v", d.Response)
	}
	if !alice.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("another session's hint signed alice out")
	}
}

func TestHintOfAnotherVMOrRenewedIsVerified(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	// Another Envoy of the same filter (same keys, shared data of its own) has not
	// signed it: verified the slow way, and accepted. (Another VM of the same Envoy
	// finds it in shared data: store_local_assertions_test.go.)
	other := mustEngine(t, s.e.cfg)
	if _, own := other.ownAssertion(hint); own {
		t.Fatal("another Envoy took the hint as its own")
	}
	if c, err := other.verifyHint(hint); err != nil || c.Aud != "app1" {
		t.Fatalf("another VM refused a valid hint: %v", err)
	}
	// The cache renews the assertion past half its lifetime; the old one, sent back,
	// is still ours and still verifies.
	s.now = s.now.Add(s.e.cfg.AssertionLifetime * 3 / 4)
	renewed := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-assertion")
	if renewed == "" || renewed == hint {
		t.Fatal("the assertion was not renewed")
	}
	if _, own := s.e.ownAssertion(hint); own {
		t.Fatal("a replaced assertion is still taken from the cache")
	}
	if _, err := s.e.verifyHint(hint); err != nil {
		t.Fatalf("an older assertion of ours refused: %v", err)
	}
	// The issuer is checked on the fast path too.
	s.e.cfg.Issuer = "https://elsewhere.test"
	if _, own := s.e.ownAssertion(renewed); !own {
		t.Fatal("the renewed assertion is not in the cache")
	}
	if _, err := s.e.verifyHint(renewed); err == nil {
		t.Fatal("a hint of another issuer accepted on the fast path")
	}
}
