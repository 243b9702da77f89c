package core

import (
	"strings"
	"testing"
)

func TestUnownedRequestsAreRefusedByDefault(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	for _, path := range []string{"/", "/other/", "/APP1/", "/app1x"} {
		for _, method := range []string{"GET", "HEAD", "POST"} {
			// Signed in or not, with forged identity or not: nobody's path never reaches an app.
			d := b.request(method, "https://exeunt.test"+path, Header{Name: "x-exeunt-sub", Value: "admin"}, Header{Name: "accept-language", Value: "fr-FR,fr;q=0.9"})
			if d.Continues() || d.Response.Status != 404 || !strings.Contains(string(d.Response.Body), "Aucune application ici") ||
				headerValue(d.Response.Headers, "cache-control") != "no-store" {
				t.Fatalf("%s %s: %+v", method, path, d)
			}
		}
	}
	d := b.request("GET", "https://evil.example/app1/")
	errorStatus(t, d, 404, "No application is configured at this address.")
	d = b.request("GET", "https://exeunt.test/other/", Header{Name: "accept", Value: "application/json"})
	if d.Continues() || d.Response.Status != 404 || headerValue(d.Response.Headers, "content-type") != "application/json" ||
		!strings.Contains(string(d.Response.Body), `"error":"not_found"`) {
		t.Fatalf("API call to nobody's path: %+v", d)
	}
}

func TestUnownedRequestsCanRequireASessionInstead(t *testing.T) {
	m := signinConfigMap()
	m["unowned_requests"] = "sign_in"
	b := newBrowser(t)
	b.e = mustEngine(t, configFrom(t, m))

	// Signed out: sent to sign in, like a client's page, and brought back.
	if got := b.signIn("https://exeunt.test/other/page"); got != "https://exeunt.test/other/page" {
		t.Fatalf("after sign-in: %q", got)
	}
	d := b.request("HEAD", "https://exeunt.test/other/page", Header{Name: "x-exeunt-assertion", Value: "forged"})
	if !d.Continues() || !contains(d.RemoveHeaders, "x-exeunt-assertion") {
		t.Fatalf("signed in: %+v", d)
	}
	got := map[string]string{}
	for _, h := range d.SetHeaders {
		got[h.Name] = h.Value
	}
	if got["x-exeunt-sub"] != "alice" || got["x-exeunt-sid"] == "" || got["x-exeunt-idp"] != "oidc" {
		t.Fatalf("identity headers: %v", got)
	}
	if _, ok := got["x-exeunt-assertion"]; ok {
		t.Fatal("an assertion for a request no client owns: it would have no audience")
	}
	s, _, err := b.e.openSession(parseCookies([]Header{{Name: "cookie", Value: b.cookieHeader()}}), b.now)
	if err != nil || len(s.Clients) != 0 {
		t.Fatalf("the session records clients %v (%v); nobody's path is no client", s.Clients, err)
	}
	// Another browser, without a session: never the app.
	other := newBrowser(t)
	other.e = b.e
	other.idp = b.idp
	if d := other.request("GET", "https://exeunt.test/other/page"); d.Continues() {
		t.Fatalf("signed out: %+v", d)
	}
}
