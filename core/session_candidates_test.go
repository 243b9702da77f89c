package core

import (
	"net/url"
	"strings"
	"testing"
)

// Several cookies of the session cookie's name come in one request when they differ in
// Domain or Path (RFC 6265 §5.4, longer paths first): with a domain cookie, any host
// under the domain can plant one on a longer path. The first of them used to be the
// only one read.

// twoBrowsers signs a victim and an attacker in at the same Exeunt, and returns the
// cookie name, both sessions' cookie values, and the victim's SID.
func twoBrowsers(t *testing.T) (victim *browser, name, own, planted, victimSID string) {
	victim = newBrowser(t)
	victim.signIn("https://exeunt.test/app1/")
	victimSID = headerValue(victim.request("GET", "https://exeunt.test/app1/").SetHeaders, "x-exeunt-sid")
	attacker := &browser{t: t, e: victim.e, idp: victim.idp, jar: map[string]string{}, now: victim.now}
	attacker.signIn("https://exeunt.test/app1/")
	name = victim.e.cfg.Cookie.Name
	own, planted = victim.jar[name], attacker.jar[name]
	if own == "" || planted == "" || own == planted || victimSID == "" {
		t.Fatalf("setup: two sessions expected, got %q and %q", own, planted)
	}
	return victim, name, own, planted, victimSID
}

// withCookie sends a request carrying exactly the Cookie header given, as a browser
// whose jar holds several cookies of one name sends them.
func withCookie(b *browser, method, rawURL, cookie string, headers ...Header) Decision {
	saved := b.jar
	b.jar = map[string]string{}
	defer func() { b.jar = saved }()
	return b.request(method, rawURL, append(headers, Header{Name: "cookie", Value: cookie})...)
}

func TestPlantedCookieOnALongerPathDoesNotHideTheSession(t *testing.T) {
	b, name, own, planted, sid := twoBrowsers(t)
	for _, tc := range []struct{ what, first string }{
		{"garbage", "garbage"},
		{"a tampered seal", tamper(own)},
		{"a chunked claim with no chunks", "2~" + own},
		{"the same session, again", own},
	} {
		t.Run(tc.what, func(t *testing.T) {
			d := withCookie(b, "GET", "https://exeunt.test/app1/", "other=1; "+name+"="+tc.first+"; "+name+"="+own)
			if !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-sid") != sid {
				t.Fatalf("%s planted before the session hides it: %+v", tc.what, d.Response)
			}
		})
	}
	t.Run("seven planted copies", func(t *testing.T) {
		cookie := strings.Repeat(name+"=x; ", maxCookieCopies-1) + name + "=" + own
		if d := withCookie(b, "GET", "https://exeunt.test/app1/", cookie); !d.Continues() {
			t.Fatalf("the session after %d planted copies is not found: %+v", maxCookieCopies-1, d.Response)
		}
	})
	_ = planted
}

func TestTwoDifferentValidSessionsAreNeitherUsed(t *testing.T) {
	b, name, own, planted, _ := twoBrowsers(t)
	for _, order := range []string{name + "=" + planted + "; " + name + "=" + own, name + "=" + own + "; " + name + "=" + planted} {
		d := withCookie(b, "GET", "https://exeunt.test/app1/", order)
		if d.Continues() {
			t.Fatalf("a request with two different valid sessions went on as %s", headerValue(d.SetHeaders, "x-exeunt-sid"))
		}
		if d.Response.Status != 400 || !strings.Contains(string(d.Response.Body), "Two sessions") || headerValue(d.Response.Headers, "location") != "" {
			t.Fatalf("two valid sessions: status %d, location %q, want the 400 page that says so (no sign-in loop)", d.Response.Status, headerValue(d.Response.Headers, "location"))
		}
		for _, h := range d.Response.Headers {
			if h.Name == "set-cookie" && strings.HasPrefix(h.Value, name+"=") {
				t.Fatalf("a session cookie is changed (%s): deleting the one Exeunt set would leave the other", h.Value)
			}
		}
		api := withCookie(b, "GET", "https://exeunt.test/app1/", order, Header{Name: "accept", Value: "application/json"})
		if api.Continues() || api.Response.Status != 400 || !strings.Contains(string(api.Response.Body), `"invalid_request"`) {
			t.Fatalf("an API call with two valid sessions: %+v", api)
		}
	}
	// A sign-out with both is no ordinary request: it ends both once the user confirms
	// (signout_two_sessions_test.go). Its prompt ends neither, nor uses either.
	d := withCookie(b, "GET", endSessionURL(url.Values{}), name+"="+planted+"; "+name+"="+own)
	if d.Continues() || d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), `name="confirm"`) {
		t.Fatalf("sign-out with two valid sessions: want the prompt, got %+v", d.Response)
	}
	if !b.request("GET", "https://exeunt.test/app1/").Continues() {
		t.Fatal("the victim's own session ended before the user confirmed")
	}
}

func TestPlantedChunkDoesNotHideAChunkedSession(t *testing.T) {
	b := newBrowser(t)
	b.idp.mutate = func(c map[string]any) { c["name"] = strings.Repeat("N", 5000) }
	b.signIn("https://exeunt.test/app1/")
	name := b.e.cfg.Cookie.Name
	if !isChunked(b.jar[name]) {
		t.Fatalf("setup: a chunked session expected, got %.3s", b.jar[name])
	}
	cookie := name + ".1=planted; " + name + "=planted"
	for k, v := range b.jar {
		cookie += "; " + k + "=" + v
	}
	if d := withCookie(b, "GET", "https://exeunt.test/app1/", cookie); !d.Continues() {
		t.Fatalf("a planted chunk before the session's own hides it: %+v", d.Response)
	}
}

func TestSessionCandidatesAreBounded(t *testing.T) {
	var parts []string
	parts = append(parts, "s=8~a")
	for i := 1; i < 8; i++ {
		for j := 0; j < 20; j++ {
			parts = append(parts, "s."+string(rune('0'+i))+"=x")
		}
	}
	cands, claimed := sessionCandidates(parseCookies([]Header{{Name: "cookie", Value: strings.Join(parts, "; ")}}), "s")
	if len(cands) != maxSessionCandidates || claimed != 8 {
		t.Fatalf("%d candidates, %d claimed; want %d and 8", len(cands), claimed, maxSessionCandidates)
	}
}

// Two seals of one session (what a change of cookie.domain or cookie.path leaves: the
// re-seal lands beside the old cookie) are one session: used, and both ended by its
// sign-out.
func TestTwoSealsOfOneSessionAreOneSession(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	name := b.e.cfg.Cookie.Name
	old := b.jar[name]
	d := b.request("GET", "https://exeunt.test/app2/") // a first visit: the session is re-sealed
	sid, hint := headerValue(d.SetHeaders, "x-exeunt-sid"), headerValue(d.SetHeaders, "x-exeunt-assertion")
	renewed := b.jar[name]
	if renewed == old || sid == "" {
		t.Fatal("setup: the visit did not re-seal the session")
	}
	both := name + "=" + old + "; " + name + "=" + renewed
	if d := withCookie(b, "GET", "https://exeunt.test/app1/", both); !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-sid") != sid {
		t.Fatalf("two seals of one session: %+v", d.Response)
	}
	if d := withCookie(b, "GET", "https://exeunt.test/app1/", name+"="+old); !d.Continues() {
		t.Fatal("setup: the older seal alone does not open")
	}
	withCookie(b, "GET", endSessionURL(url.Values{"id_token_hint": {hint}}), both)
	for _, v := range []string{old, renewed} {
		if d := withCookie(b, "GET", "https://exeunt.test/app1/", name+"="+v); d.Continues() {
			t.Fatal("a seal of the signed-out session still opens")
		}
	}
}
