package core

import (
	"net/url"
	"strings"
	"testing"
)

// Found in review: the page a provider's front-channel iframe gets, when no app is to be
// told through the browser, said "Signed out of all applications." whatever happened: also
// when the provider named a session this Exeunt did not have (or had already ended), and
// when the apps of the one it ended learn of it only through the back-channel queue,
// later. It now says only what happened here.
func TestProviderFrontchannelPageSaysOnlyWhatEnded(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) {
		for _, c := range cfg["clients"].([]any) {
			delete(c.(map[string]any), "frontchannel_logout_uri")
		}
	})
	s.signedIn()
	iframe := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	frontchannel := func(psid string) string {
		t.Helper()
		d := iframe.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid="+psid)
		if d.Response == nil || d.Response.Status != 200 {
			t.Fatalf("front-channel logout of %s: %+v", psid, d.Response)
		}
		body := string(d.Response.Body)
		if strings.Contains(body, "Signed out of all applications") || strings.Contains(body, "<iframe") {
			t.Fatalf("front-channel logout of %s claims every application, or has frames:\n%s", psid, body)
		}
		return body
	}
	if body := frontchannel("idp-sid-1"); !strings.Contains(body, "Your session here has ended.") {
		t.Fatalf("the session ended, the page does not say so:\n%s", body)
	}
	if s.signedInStill() {
		t.Fatal("the session survived")
	}
	for _, psid := range []string{"idp-sid-1", "idp-sid-unknown"} {
		if body := frontchannel(psid); !strings.Contains(body, "No session to end was found here.") {
			t.Fatalf("nothing ended (%s), the page does not say so:\n%s", psid, body)
		}
	}
}
