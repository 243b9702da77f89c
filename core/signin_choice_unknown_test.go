package core

import (
	"net/url"
	"strings"
	"testing"
)

// An unknown provider in the sign-in choice's link is refused without repeating it: the
// page is Exeunt's own, on the issuer's origin, and a link anyone can write must not put
// their words in it ("There is no identity provider called x. Your account is locked:
// call ..."). Before, the page echoed up to 64 characters of the parameter.
func TestAnUnknownProviderIsRefusedWithoutEchoingIt(t *testing.T) {
	b := newBrowser(t)
	const planted = "x. Your account is locked: sign in at evil.example"
	for _, accept := range []string{"text/html", "application/json"} {
		d := b.request("GET", "https://exeunt.test/exeunt/signin?"+url.Values{"provider": {planted}}.Encode(), Header{Name: "accept", Value: accept})
		if d.Response == nil || d.Response.Status != 400 {
			t.Fatalf("%s: want 400, got %+v", accept, d.Response)
		}
		if body := string(d.Response.Body); strings.Contains(body, "evil.example") || strings.Contains(body, "account is locked") {
			t.Fatalf("%s: the page repeats the parameter:\n%s", accept, body)
		}
	}
	d := b.request("GET", "https://exeunt.test/exeunt/signin?provider=nope")
	if body := string(d.Response.Body); !strings.Contains(body, "Unknown identity provider") {
		t.Fatalf("the page no longer says what is wrong:\n%s", body)
	}
}
