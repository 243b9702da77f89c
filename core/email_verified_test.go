package core

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// An email reaches an app only with the provider's email_verified beside it, as a
// header and in the assertion: an app that links accounts by email must be able to
// tell an address the provider checked from one anybody could have typed in there.

// emailBrowser signs in at a provider whose ID token's email_verified is set by edit
// (or left out), with a public prefix and unowned requests signed in.
func emailBrowser(t *testing.T, edit func(map[string]any)) *browser {
	m := signinConfigMap()
	m["public_path_prefixes"] = []string{"/shared/"}
	m["unowned_requests"] = "sign_in"
	b := &browser{t: t, e: mustEngine(t, configFrom(t, m)), idp: newFakeIdP(t), jar: map[string]string{}, now: time.Now()}
	b.idp.mutate = edit
	b.signIn("https://exeunt.test/app1/")
	return b
}

func TestEmailVerifiedTravelsWithTheEmail(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(map[string]any)
		want string
	}{
		"verified":                 {func(c map[string]any) { c["email_verified"] = true }, "true"},
		"verified, as a string":    {func(c map[string]any) { c["email_verified"] = "true" }, "true"},
		"not verified":             {func(c map[string]any) { c["email_verified"] = false }, "false"},
		"claim omitted (Entra ID)": {func(c map[string]any) { delete(c, "email_verified") }, "false"},
	} {
		t.Run(name, func(t *testing.T) {
			b := emailBrowser(t, c.edit)
			forged := Header{Name: "x-exeunt-email-verified", Value: "true"}
			d := b.request("GET", "https://exeunt.test/app1/", forged)
			if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-email-verified") {
				t.Fatalf("signed-in request with a forged header: %+v", d)
			}
			if got := headerValues(d.SetHeaders, "x-exeunt-email-verified"); len(got) != 1 || got[0] != c.want {
				t.Fatalf("x-exeunt-email-verified = %q, want [%q]", got, c.want)
			}
			claims := assertionOf(t, b, headerValue(d.SetHeaders, "x-exeunt-assertion"))
			if claims["email"] != "alice@example.test" || claims["email_verified"] != (c.want == "true") {
				t.Fatalf("assertion email %v, email_verified %#v; want %v", claims["email"], claims["email_verified"], c.want == "true")
			}
			// unowned_requests "sign_in": the unsigned identity headers say the same.
			d = b.request("GET", "https://exeunt.test/elsewhere", forged)
			if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-email-verified") || headerValue(d.SetHeaders, "x-exeunt-email-verified") != c.want {
				t.Fatalf("unowned request: %+v", d)
			}
			// A public request passes with no identity at all, a forged one removed.
			d = b.request("GET", "https://exeunt.test/shared/x.css", forged)
			if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-email-verified") || len(d.SetHeaders) != 0 {
				t.Fatalf("public request: %+v", d)
			}
		})
	}
}

// Without an email there is nothing to verify: neither header, nor the claim.
func TestNoEmailNoEmailVerified(t *testing.T) {
	b := emailBrowser(t, func(c map[string]any) { delete(c, "email"); c["email_verified"] = true })
	d := b.request("GET", "https://exeunt.test/app1/")
	if !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-sub") != "alice" {
		t.Fatalf("signed-in request: %+v", d)
	}
	if got := headerValues(d.SetHeaders, "x-exeunt-email-verified"); len(got) != 0 || headerValue(d.SetHeaders, "x-exeunt-email") != "" {
		t.Fatalf("no email, yet x-exeunt-email-verified %q", got)
	}
	if _, ok := assertionOf(t, b, headerValue(d.SetHeaders, "x-exeunt-assertion"))["email_verified"]; ok {
		t.Fatal("the assertion has email_verified without an email")
	}
}

// A forged header is stripped from a request that has no session as well, and a
// session cookie sealed before email_verified existed reads as not verified.
func TestEmailVerifiedForgedWithoutSessionAndOldCookies(t *testing.T) {
	b := emailBrowser(t, func(c map[string]any) { c["email_verified"] = true })
	cookie := b.jar["__Host-exeunt"]
	delete(b.jar, "__Host-exeunt")
	d := b.request("GET", "https://exeunt.test/shared/", Header{Name: "x-exeunt-email-verified", Value: "true"})
	if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-email-verified") {
		t.Fatalf("public request without a session: %+v", d)
	}

	b.jar["__Host-exeunt"] = cookie
	s, _, err := b.e.openSession(parseCookies([]Header{{Name: "cookie", Value: b.cookieHeader()}}), b.now)
	if err != nil || !s.EmailVerified {
		t.Fatalf("session %+v, %v: email_verified not kept", s, err)
	}
	// A cookie sealed before the field existed: the same session without "ev".
	s.EmailVerified = false
	payload, _ := json.Marshal(&s)
	if strings.Contains(string(payload), `"ev"`) || !strings.Contains(string(payload), `"email":"alice@example.test"`) {
		t.Fatalf("payload %s: want the email and no ev", payload)
	}
	raw, err := b.e.keys.sealer.Seal(sessionPurpose, payload, b.now, s.expiry(b.e.cfg.Session.IdleTimeout))
	if err != nil {
		t.Fatal(err)
	}
	b.jar["__Host-exeunt"] = raw
	d = b.request("GET", "https://exeunt.test/app2/")
	if got := headerValue(d.SetHeaders, "x-exeunt-email-verified"); !d.Continues() || got != "false" {
		t.Fatalf("an older cookie gives x-exeunt-email-verified %q, want false", got)
	}
}

func headerValues(hs []Header, name string) []string {
	var out []string
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// assertionOf verifies an assertion with the published JWKS and returns its claims.
func assertionOf(t *testing.T, b *browser, tok string) map[string]any {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b.request("GET", "https://exeunt.test/.well-known/jwks.json").Response.Body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS: %v", err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := parsed.Claims(set.Keys[0].Key, &c); err != nil {
		t.Fatalf("assertion does not verify: %v", err)
	}
	return c
}
