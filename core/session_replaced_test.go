package core

import (
	"testing"
	"time"
)

// A page on any site can send a browser to /exeunt/signin?provider=oidc again and again
// (top-level navigations, which carry the Lax cookies): with the provider's session alive
// each is a silent sign-in and a new session. The session each one replaced in that
// browser (its cookie overwritten) stayed live in the index, so once the user had
// session.max_per_user of them the limit signed out the user's other browsers, oldest
// first, and every app was told: a third-party page signed the user out of every other
// device. A session a sign-in replaces is ended with it, so forced sign-ins in one
// browser leave the user's other sessions alone, and the replaced session's cookie
// (should anyone have kept a copy) opens nothing.
func TestSignInsForcedInOneBrowserSignOutNoOtherBrowser(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) { m["session"] = map[string]any{"max_per_user": 2} })
	s.tick()
	other := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	other.signIn("https://exeunt.test/app1/")
	if !other.request("GET", "https://exeunt.test/app1/").Continues() {
		t.Fatal("the other browser is not signed in")
	}
	forced := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}}
	var replaced []string
	for i := 1; i <= 4; i++ {
		forced.now = s.now.Add(time.Duration(i) * time.Minute)
		if v := forced.jar[s.e.cfg.Cookie.Name]; v != "" {
			replaced = append(replaced, v)
		}
		forced.signIn("https://exeunt.test/exeunt/signin?provider=oidc&return=https%3A%2F%2Fexeunt.test%2Fapp1%2F")
		if !forced.request("GET", "https://exeunt.test/app1/").Continues() {
			t.Fatalf("forced sign-in %d: the browser is not signed in", i)
		}
	}
	other.now = forced.now
	if !other.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("sign-ins forced in one browser signed the user's other browser out (session.max_per_user 2)")
	}
	if n := s.metrics.get(counterLogoutSigninReplaced); n != 3 {
		t.Errorf("%s = %d, want 3 (each sign-in after the first replaced one)", counterLogoutSigninReplaced, n)
	}
	for i, v := range replaced {
		copy := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{s.e.cfg.Cookie.Name: v}, now: forced.now}
		if copy.request("GET", "https://exeunt.test/app1/", Header{Name: "accept", Value: "application/json"}).Continues() {
			t.Errorf("the session replaced by forced sign-in %d still opens the app", i+2)
		}
	}
}
