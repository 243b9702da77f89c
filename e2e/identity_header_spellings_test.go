package e2e

import (
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// An identity header spelt another way (underscores for dashes) reaches no app, signed in
// or on a public path, nor does a header some frameworks read as the request's path, whatever the Envoy in front does with such names: Envoy's default
// headers_with_underscores_action is ALLOW, and an app server that reads headers as CGI
// variables (WSGI, Rack, PHP) reads x_exeunt_sub and x-exeunt-sub as the same
// HTTP_X_EXEUNT_SUB. The filter must strip them itself (hostsim's Do, like such an Envoy,
// passes them on).
func TestIdentityHeadersSpeltWithUnderscoresNeverReachAnApp(t *testing.T) {
	e := newEnv(t, envOptions{config: map[string]any{"public_path_prefixes": []string{"/public/"}}})
	forged := []hostsim.Pair{
		{Name: "x_exeunt_sub", Value: "mallory"},
		{Name: "x_exeunt_assertion", Value: "forged"},
		{Name: "x-exeunt_email", Value: "mallory@example.test"},
		{Name: "x_exeunt-email-verified", Value: "true"},
		{Name: "x_exeunt_session_state", Value: "forged"},
		// Read as the request's path by some frameworks (Symfony before CVE-2018-14773's
		// fix, code written for IIS's URL Rewrite): a public path must not lead elsewhere.
		{Name: "x-original-url", Value: "/app1/admin"},
		{Name: "x_rewrite_url", Value: "/app1/admin"},
	}
	// received lists what the app got under a name that reads as an identity header to
	// an app that takes "_" for "-" (values as received).
	received := func(app string) map[string][]string {
		out := map[string][]string{}
		for name, values := range e.apps.seenBy(app) {
			if n := strings.ReplaceAll(strings.ToLower(name), "_", "-"); strings.HasPrefix(n, "x-exeunt-") || n == "x-original-url" || n == "x-rewrite-url" {
				out[name] = values
			}
		}
		return out
	}

	// Signed out, on a public path: no identity at all may arrive.
	if resp := e.get("https://exeunt.test/public/page", forged...); resp.Status != 200 {
		t.Fatalf("public path: %d %s", resp.Status, resp.Body)
	}
	if got := received("public"); len(got) != 0 {
		t.Errorf("signed out, the public app received %v", got)
	}

	// Signed in: only the headers Exeunt set, under their own names, with its values.
	e.signIn("https://exeunt.test/app1/")
	if resp := e.get("https://exeunt.test/app1/", forged...); resp.Status != 200 {
		t.Fatalf("app1: %d %s", resp.Status, resp.Body)
	}
	for name, values := range received("app1") {
		if strings.Contains(name, "_") || !strings.HasPrefix(strings.ToLower(name), "x-exeunt-") {
			t.Errorf("signed in, app1 received %s: %q", name, values)
		}
	}
	if h := e.apps.seenBy("app1"); h.Get("x-exeunt-sub") != "alice" {
		t.Errorf("signed in, app1 received x-exeunt-sub %q", h.Values("x-exeunt-sub"))
	}
}
