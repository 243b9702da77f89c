package core

import (
	"maps"
	"net/url"
	"strings"
	"testing"
)

// Two first visits sent at once with the same cookie (a page of app1 that loads app2's
// frame and calls app3's API right after sign-in): each answer carries a cookie naming
// app1 and its own client, the browser keeps the last, and each visit rewrote the index
// record with its own list. app2 received the user's identity, yet neither the kept
// cookie nor the record named it, and its sign-out was never told: a sign-out notifies
// every client the session visited (RP-Initiated Logout 1.0, via SPEC-MUSTS.md 9), and
// a provider's sign-out finds the clients in the record.
func TestAFirstVisitThatRacedAnotherIsStillNotified(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signIn("https://exeunt.test/app1/")
	hint := headerValue(s.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-assertion")
	sent := maps.Clone(s.jar)
	if d := s.request("GET", "https://exeunt.test/app2/"); !d.Continues() {
		t.Fatalf("first visit to app2: %+v", d)
	}
	s.jar = maps.Clone(sent) // app3's request left with the same cookie, and its answer came last
	if d := s.request("GET", "https://exeunt.test/app3/"); !d.Continues() {
		t.Fatalf("first visit to app3: %+v", d)
	}
	sess, _, err := s.e.openSession(parseCookies([]Header{{Name: "cookie", Value: s.cookieHeader()}}), s.now)
	if err != nil {
		t.Fatal(err)
	}
	// The index holds every client reached (what a provider's sign-out reads).
	var recorded []string
	ran := false
	settle(t, &ran, s.e.ports.sessions.find(sess.Iss, sess.PSID, sess.Sub, s.now, func(recs []sessionRecord, err error) Decision {
		ran = true
		for _, r := range recs {
			if r.SID == sess.SID {
				recorded = r.Clients
			}
		}
		return Continue()
	}))
	if got := strings.Join(recorded, ","); got != "app1,app3,app2" && got != "app1,app2,app3" {
		t.Fatalf("the index record names %q, want app1, app2 and app3 (the cookie names %q)", got, sess.Clients)
	}

	// The app signs the user out: every client reached is told, app2 too.
	d := s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint}}))
	to, err := url.Parse(location(t, d))
	if err != nil || to.Host != "idp.test" {
		t.Fatalf("not sent to the provider: %v", to)
	}
	s.tick()
	for _, c := range []string{"app1", "app2", "app3"} {
		if len(s.apps.tokens[c]) != 1 {
			t.Errorf("%s received %d logout tokens, want 1", c, len(s.apps.tokens[c]))
		}
	}
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	if page.Response == nil || !strings.Contains(string(page.Response.Body), `https://exeunt.test/app2/fc?iss=`) {
		t.Fatalf("the signed-out page has no front-channel iframe for app2: %+v", page.Response)
	}
}

// The same race, in a browser that also holds a second valid session (planted): the
// sign-out of both (signout_all.go) tells every client each session reached.
func TestAFirstVisitThatRacedAnotherIsNotifiedBySignOutOfAll(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signIn("https://exeunt.test/app1/")
	s.request("GET", "https://exeunt.test/app1/")
	sent := maps.Clone(s.jar)
	s.request("GET", "https://exeunt.test/app2/")
	s.jar = maps.Clone(sent)
	s.request("GET", "https://exeunt.test/app3/")
	name := s.e.cfg.Cookie.Name
	own := s.jar[name]
	planter := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	planter.signIn("https://exeunt.test/app1/")
	planter.request("GET", "https://exeunt.test/app1/")
	env := &twoSessionsEnv{signoutEnv: s, name: name, own: own, planted: planter.jar[name]}
	prompt := env.sendWith("GET", endSessionURL(url.Values{"client_id": {"app1"}}), env.both(), nil)
	d := env.confirm(prompt, env.both())
	if d.Response == nil || (d.Response.Status != 302 && d.Response.Status != 200) {
		t.Fatalf("confirmation: %+v", d.Response)
	}
	s.tick()
	if len(s.apps.tokens["app2"]) != 1 || len(s.apps.tokens["app3"]) != 1 {
		t.Fatalf("app2 received %d logout tokens and app3 %d, want 1 each (the victim's session reached both)",
			len(s.apps.tokens["app2"]), len(s.apps.tokens["app3"]))
	}
}
