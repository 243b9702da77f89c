package core

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

// The logged-out page's status after its front-channel iframes have loaded comes from
// their load events, which fire for an app's 500 and for the browser's own network
// error page as well as for a sign-out: a page cannot read a cross-origin frame's
// status. So what it says once they have loaded is that each app was asked to sign
// out, never that the user is signed out of them.
func TestFrontChannelStatusClaimsOnlyWhatTheLoadEventsShow(t *testing.T) {
	doneAttr := regexp.MustCompile(`data-done="([^"]*)"`)
	for lang, want := range map[string]string{
		"en": "Every application has been asked to sign you out.",
		"fr": "Chaque application a été invitée à vous déconnecter.",
	} {
		body := string(pageEngine(t, false).loggedOutPage(lang, loggedOutData{ClientName: "App One", ReturnURL: returnTo, Frames: twoFrames}).Body)
		m := doneAttr.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: the page has no status for when the frames have loaded", lang)
		}
		if got := html.UnescapeString(m[1]); got != want {
			t.Errorf("%s: once the frames have loaded the page says %q, want %q", lang, got, want)
		}
		for _, claim := range []string{"Signed out of all applications", "Déconnexion effectuée dans toutes les applications"} {
			if strings.Contains(body, claim) {
				t.Errorf("%s: the page with frames claims %q, which their load events cannot show", lang, claim)
			}
		}
	}
}
