package core

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// A sign-out from a browser holding two different valid sessions (one planted by a
// sibling host on a longer path: session_candidates_test.go) ends both, once the user
// confirms (signout_all.go).

// twoSessionsEnv is a victim who signed in and visited app1 and app2, and a planter who
// signed in at the same Exeunt and visited app1 and app3, whose cookie is now in the
// victim's browser before the victim's own (a longer path).
type twoSessionsEnv struct {
	*signoutEnv
	name, own, planted      string // the cookie's name, the victim's and the planter's values
	victimSID, plantedSID   string
	victimHint, plantedHint string // each one's assertion for app1 (an id_token_hint)
}

func newTwoSessionsEnv(t *testing.T) *twoSessionsEnv {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	planter := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	planter.signIn("https://exeunt.test/app1/")
	d := planter.request("GET", "https://exeunt.test/app1/")
	planter.request("GET", "https://exeunt.test/app3/")
	name := s.e.cfg.Cookie.Name
	env := &twoSessionsEnv{signoutEnv: s, name: name, own: s.jar[name], planted: planter.jar[name], victimSID: sid,
		plantedSID: headerValue(d.SetHeaders, "x-exeunt-sid"), victimHint: hint, plantedHint: headerValue(d.SetHeaders, "x-exeunt-assertion")}
	if env.own == "" || env.planted == "" || env.victimSID == "" || env.plantedSID == "" || env.victimSID == env.plantedSID {
		t.Fatal("setup: two different sessions expected")
	}
	return env
}

// both is the Cookie header of the victim's browser: the planted copy first.
func (s *twoSessionsEnv) both() string {
	return s.name + "=" + s.planted + "; " + s.name + "=" + s.own
}

// sendWith sends a request carrying exactly the Cookie header given (and keeps the
// cookies it sets in the jar, as withCookie does not).
func (s *twoSessionsEnv) sendWith(method, rawURL, cookie string, body []byte, headers ...Header) Decision {
	saved := s.jar
	s.jar = map[string]string{}
	defer func() { s.jar = saved }()
	return s.send(method, rawURL, body, append(headers, Header{Name: "cookie", Value: cookie})...)
}

// opens reports whether a Cookie header opens an app (as an API call: no sign-in).
func (s *twoSessionsEnv) opens(cookie string) bool {
	return withCookie(s.browser, "GET", "https://exeunt.test/app1/", cookie, Header{Name: "accept", Value: "application/json"}).Continues()
}

var formType = Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}

// confirm posts a prompt's form with cookie.
func (s *twoSessionsEnv) confirm(prompt Decision, cookie string, headers ...Header) Decision {
	s.t.Helper()
	if prompt.Response == nil || prompt.Response.Status != 200 || !strings.Contains(string(prompt.Response.Body), `name="confirm"`) {
		s.t.Fatalf("want the sign-out prompt, got %+v", prompt.Response)
	}
	id, csrf := promptFields(s.t.(*testing.T), prompt.Response)
	body := []byte(url.Values{"logout_id": {id}, "csrf": {csrf}, "confirm": {"yes"}}.Encode())
	return s.sendWith("POST", "https://exeunt.test/connect/endsession", cookie, body, append(headers, formType)...)
}

func TestSignOutWithTwoSessionsEndsBoth(t *testing.T) {
	s := newTwoSessionsEnv(t)
	params := url.Values{"client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"st-2"}}
	prompt := s.sendWith("GET", endSessionURL(params), s.both(), nil)
	if !s.opens(s.name+"="+s.own) || !s.opens(s.name+"="+s.planted) {
		t.Fatal("the prompt ended a session before the user confirmed")
	}
	d := s.confirm(prompt, s.both())
	to := location(t, d)
	q := mustQuery(t, to)
	if !strings.HasPrefix(to, "https://idp.test/logout?") || q.Has("id_token_hint") || q.Get("client_id") != "exeunt" {
		t.Fatalf("no hint named either session: want the provider asked with client_id and no id_token_hint, got %s", to)
	}
	deleted := false
	for _, h := range d.Response.Headers {
		deleted = deleted || h.Name == "set-cookie" && strings.HasPrefix(h.Value, s.name+"=;") && strings.Contains(h.Value, "Max-Age=0")
	}
	if !deleted {
		t.Fatalf("the session cookie Exeunt set is not deleted: %v", d.Response.Headers)
	}
	// Each is refused, alone and together; together no longer gets the "two sessions" page.
	for what, cookie := range map[string]string{"the victim's": s.name + "=" + s.own, "the planted": s.name + "=" + s.planted, "both": s.both()} {
		if s.opens(cookie) {
			t.Errorf("%s cookie still opens after the sign-out", what)
		}
	}
	if d := withCookie(s.browser, "GET", "https://exeunt.test/app1/", s.both()); d.Response == nil || d.Response.Status != 302 {
		t.Fatalf("after the sign-out the browser goes to sign in again, got %+v", d.Response)
	}
	if n := s.metrics.get(counterLogoutRPInitiated); n != 2 {
		t.Fatalf("counted %d sign-outs, want 2", n)
	}
	// Back-channel: each session's apps, each with its own sid.
	s.tick()
	want := map[string][]string{"app1": {s.victimSID, s.plantedSID}, "app2": {s.victimSID}, "app3": {s.plantedSID}}
	for app, sids := range want {
		got := map[string]bool{}
		for _, tok := range s.apps.tokens[app] {
			c := checkLogoutToken(t, s.browser, tok, app, tok2sid(t, tok))
			got[c["sid"].(string)] = true
		}
		if len(got) != len(sids) || len(s.apps.tokens[app]) != len(sids) {
			t.Fatalf("%s received tokens for %v, want one for each of %v", app, got, sids)
		}
		for _, sid := range sids {
			if !got[sid] {
				t.Fatalf("%s was not told that sid %s ended", app, sid)
			}
		}
	}
	// The signed-out page: the request's own way back, the iframes of both sessions.
	page := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(q.Get("state")))
	if page.Response == nil || page.Response.Status != 200 {
		t.Fatalf("the signed-out page: %+v", page.Response)
	}
	for _, want := range []string{
		`https://exeunt.test/app1/signed-out?state=st-2`,
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.victimSID,
		`https://exeunt.test/app2/fc?iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.victimSID,
		`https://exeunt.test/app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid=` + s.plantedSID,
	} {
		if !strings.Contains(string(page.Response.Body), want) {
			t.Errorf("the signed-out page lacks %s", want)
		}
	}
	// The browser signs in again, the planted (revoked) copy still sent first.
	s.signIn("https://exeunt.test/app1/")
	d = withCookie(s.browser, "GET", "https://exeunt.test/app1/", s.name+"="+s.planted+"; "+s.name+"="+s.jar[s.name])
	if sid := headerValue(d.SetHeaders, "x-exeunt-sid"); !d.Continues() || sid == s.victimSID || sid == s.plantedSID {
		t.Fatalf("signing in again beside the ended planted cookie: %+v", d.Response)
	}
}

// tok2sid reads a logout token's sid without verifying it (checkLogoutToken verifies).
func tok2sid(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	var c struct {
		SID string `json:"sid"`
	}
	if err != nil || parsed.UnsafeClaimsWithoutVerification(&c) != nil || c.SID == "" {
		t.Fatalf("a logout token without sid: %v", err)
	}
	return c.SID
}

// A confirmation that is not the user's own click on the prompt for all sessions ends
// nothing: the planter's prompt for her own session (from her own browser), and the
// prompt for all posted from a sibling site.
func TestTwoSessionsEndOnlyByTheirOwnPrompt(t *testing.T) {
	s := newTwoSessionsEnv(t)
	own := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.name+"="+s.planted, nil)
	again := s.confirm(own, s.both())
	if again.Response == nil || again.Response.Status != 200 || !strings.Contains(string(again.Response.Body), `name="confirm"`) {
		t.Fatalf("a prompt made for one session, posted with two: want the prompt again, got %+v", again.Response)
	}
	all := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
	if d := s.confirm(all, s.both(), Header{Name: "sec-fetch-site", Value: "same-site"}); d.Response == nil || d.Response.Status != 400 {
		t.Fatalf("the prompt for all posted from a sibling site: want 400, got %+v", d.Response)
	}
	if !s.opens(s.name+"="+s.own) || !s.opens(s.name+"="+s.planted) {
		t.Fatal("a session ended without the user's confirmation")
	}
	// The provider's front-channel address without iss and sid asks the same way.
	fc := s.sendWith("GET", "https://exeunt.test/signout-oidc", s.both(), nil)
	if fc.Response == nil || fc.Response.Status != 200 || !strings.Contains(string(fc.Response.Body), `name="confirm"`) || !s.opens(s.name+"="+s.own) {
		t.Fatalf("front-channel logout without iss and sid, two sessions: want the prompt, got %+v", fc.Response)
	}
	location(t, s.confirm(fc, s.both()))
	if s.opens(s.name+"="+s.own) || s.opens(s.name+"="+s.planted) {
		t.Fatal("the confirmed prompt left a session")
	}
}

// oneFailingRevocation fails the revocation of one sid, outright or with its outcome
// unknown, and passes the others to the real store.
type oneFailingRevocation struct {
	revocations
	sid     string
	unknown bool
}

func (f oneFailingRevocation) end(sid string, seen int64, until time.Time, job deliveryJob, now time.Time, then func(ended, error) Decision) Decision {
	if sid != f.sid {
		return f.revocations.end(sid, seen, until, job, now, then)
	}
	if f.unknown {
		return f.revocations.end(sid, seen, until, job, now, func(ended, error) Decision {
			return then(ended{}, errors.Join(errors.New("test"), errOutcomeUnknown))
		})
	}
	return then(ended{}, errors.New("test: the store refuses"))
}

// Not "signed out" unless both ended: the same pages as for one session, and a retry
// ends what is left.
func TestSignOutWithTwoSessionsClaimsOnlyWhatEnded(t *testing.T) {
	for _, unknown := range []bool{false, true} {
		s := newTwoSessionsEnv(t)
		prompt := s.sendWith("GET", endSessionURL(url.Values{"id_token_hint": {s.victimHint}}), s.both(), nil)
		working := s.e.ports.revocations
		s.e.ports.revocations = oneFailingRevocation{working, s.plantedSID, unknown}
		d := s.confirm(prompt, s.both())
		s.e.ports.revocations = working
		body := ""
		if d.Response != nil {
			body = string(d.Response.Body)
		}
		want := "You are still signed in"
		if unknown {
			want = "could not be confirmed"
		}
		if d.Response == nil || d.Response.Status != 503 || !strings.Contains(body, want) || strings.Contains(body, "You are signed out") {
			t.Fatalf("unknown=%v: the planted session's revocation failed: want a 503 page saying %q, got %+v", unknown, want, d.Response)
		}
		if sessionCookieSet(s.signoutEnv, d.Response) {
			t.Fatalf("unknown=%v: the session cookie changed on a sign-out that did not complete", unknown)
		}
		if s.opens(s.name + "=" + s.own) {
			t.Fatalf("unknown=%v: the victim's session, ended first, still opens", unknown)
		}
		if !unknown && !s.opens(s.name+"="+s.planted) {
			t.Fatal("the planted session's revocation failed, yet it does not open")
		}
		// The retry: the ended copy no longer opens, so one session is left, and its
		// sign-out (confirmed) ends it.
		retry := s.sendWith("GET", "https://exeunt.test/connect/endsession", s.both(), nil)
		location(t, s.confirm(retry, s.both()))
		if s.opens(s.name+"="+s.planted) || s.opens(s.both()) {
			t.Fatalf("unknown=%v: the retry left the planted session", unknown)
		}
	}
}

// Sessions of two providers, and no hint naming either: which provider holds this
// browser's session cannot be told, so neither is asked, and the page says so.
func TestSignOutOfTwoSessionsOfTwoProvidersAsksNeither(t *testing.T) {
	s := newSignoutEnv(t, func(m map[string]any) {
		m["providers"] = append(m["providers"].([]any), map[string]any{"scheme": "other", "display_name": "Other IdP",
			"issuer": "https://other.test", "client_id": "exeunt", "client_secret": "s3cret", "cluster": "other"})
		for _, c := range m["clients"].([]any) {
			c.(map[string]any)["default_provider"] = "oidc"
		}
	})
	_, victimSID := s.signedIn()
	name := s.e.cfg.Cookie.Name
	own := s.jar[name]
	victim, _, err := s.e.openSession(parseCookies([]Header{{Name: "cookie", Value: name + "=" + own}}), s.now)
	if err != nil {
		t.Fatal(err)
	}
	// A session of the other provider, sealed as Exeunt seals one at sign-in.
	other := victim
	other.SID, other.IdP, other.Clients = "other-session-1", "other", []string{"app1"}
	set, err := s.e.sessionCookies(&other, s.now, 1)
	if err != nil || len(set) != 1 {
		t.Fatalf("setup: %v", err)
	}
	planted, _, _ := strings.Cut(strings.TrimPrefix(set[0].Value, name+"="), ";")
	both := name + "=" + planted + "; " + name + "=" + own
	ts := &twoSessionsEnv{signoutEnv: s, name: name, own: own, planted: planted}
	d := ts.confirm(ts.sendWith("GET", endSessionURL(url.Values{"client_id": {"app1"}}), both, nil), both)
	if d.Response == nil || d.Response.Status != 200 || headerValue(d.Response.Headers, "location") != "" {
		t.Fatalf("want the signed-out page here, no provider, got %+v", d.Response)
	}
	body := string(d.Response.Body)
	for _, want := range []string{"You are signed out", "at Other IdP, oidc could", "Other IdP", "could not be ended", "sid=" + victimSID, "sid=other-session-1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if ts.opens(name+"="+own) || ts.opens(name+"="+planted) {
		t.Fatal("a session survived the sign-out")
	}
}
