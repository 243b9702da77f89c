package core

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// The hardening of issue 11, item 5: Exeunt's cookies kept from apps, sign-outs that
// need the user's word, length limits and bounded storage, the logout context endpoint,
// a failing token endpoint, and the back-channel log line.

// storeBytes is the size of everything under prefix in a test engine's store.
func storeBytes(t *testing.T, e *Engine, prefix string) int {
	t.Helper()
	m := e.store.(*MemoryStore)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, v := range m.data {
		if strings.HasPrefix(k, prefix) {
			n += len(v.value)
		}
	}
	return n
}

// storeSnapshot is every key's version: equal snapshots mean nothing was written.
func storeSnapshot(e *Engine) map[string]uint32 {
	m := e.store.(*MemoryStore)
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]uint32{}
	for k, v := range m.data {
		out[k] = v.version
	}
	return out
}

func sameSnapshot(a, b map[string]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestIsOwnCookie(t *testing.T) {
	e := mustEngine(t, signinConfig(t))
	for name, want := range map[string]bool{
		"__Host-exeunt": true, "__Host-exeunt.1": true, "__Host-exeunt.12": true, "__Host-exeunt-logout": true,
		"__Host-exeunt-browser-state": true, "__Host-exeunt-flow-abcdefgh": true, "__Host-exeunt-unconfirmed": true,
		"__Host-exeunt.": false, "__Host-exeunt.1a": false, "__Host-exeuntx": false, "__Host-exeunt-other": false,
		"__host-exeunt": false, "session": false, "": false, "__Host-exeun": false,
	} {
		if got := e.isOwnCookie(name); got != want {
			t.Errorf("isOwnCookie(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestOwnCookiesAreNotForwardedToApps(t *testing.T) {
	m := signinConfigMap()
	m["public_path_prefixes"] = []string{"/public/"}
	e := mustEngine(t, configFrom(t, m))
	cookie := func(vs ...string) []Header {
		var hs []Header
		for _, v := range vs {
			hs = append(hs, Header{Name: "cookie", Value: v})
		}
		return hs
	}
	tests := []struct {
		name    string
		headers []Header
		want    string // the forwarded Cookie header; "-" none at all; "=" untouched
	}{
		{"no cookie", nil, "="},
		{"only app cookies", cookie("a=1; b=2"), "="},
		{"session only", cookie("__Host-exeunt=sealed"), "-"},
		{"app before ours", cookie("app=1; theme=dark; __Host-exeunt=2~x; __Host-exeunt.1=y"), "app=1; theme=dark"},
		{"ours first", cookie("__Host-exeunt-flow-abcdefgh=f; app=1"), "app=1"},
		{"ours in between", cookie("a=1; __Host-exeunt-logout=id; b=2; __Host-exeunt-browser-state=bs"), "a=1; b=2"},
		{"two headers", cookie("a=1; __Host-exeunt=s", "b=2"), "a=1; b=2"},
		{"near names kept", cookie("__Host-exeuntx=1; __Host-exeunt=s; __Host-exeunt.z=2"), "__Host-exeuntx=1; __Host-exeunt.z=2"},
		{"empty pairs", cookie(";; __Host-exeunt=s;  a=1 ;"), "a=1"},
		// Spaces around a name: apps (Go's net/http among them) read these as our names.
		{"space before =", cookie("a=1; __Host-exeunt =s; b=2"), "a=1; b=2"},
		{"tab before =", cookie("__Host-exeunt\t=s; a=1"), "a=1"},
		{"space before = in a second header", cookie("a=1", "__Host-exeunt.1 =c"), "a=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Request{Method: "GET", Path: "/public/x", Authority: "exeunt.test", Scheme: "https", Headers: tt.headers}
			d := e.OnRequestHeaders(r, e.now)
			if !d.Continues() {
				t.Fatalf("a public path must pass: %+v", d)
			}
			set, removed := headerValue(d.SetHeaders, "cookie"), contains(d.RemoveHeaders, "cookie")
			switch tt.want {
			case "=":
				if set != "" || removed {
					t.Fatalf("cookies touched: set %q, removed %v", set, removed)
				}
			case "-":
				if !removed || set != "" {
					t.Fatalf("want the Cookie header removed: set %q, removed %v", set, removed)
				}
			default:
				if set != tt.want || removed {
					t.Fatalf("forwarded %q (removed %v), want %q", set, removed, tt.want)
				}
			}
		})
	}

	// A signed-in request: the app gets its identity and its own cookies, not the session.
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	b.jar["app1pref"] = "blue"
	d := b.request("GET", "https://exeunt.test/app1/page")
	if !d.Continues() || headerValue(d.SetHeaders, "x-exeunt-sub") != "alice" || headerValue(d.SetHeaders, "cookie") != "app1pref=blue" {
		t.Fatalf("signed-in request: %+v", d)
	}

	// The setting keeps them, and is parsed strictly.
	m = signinConfigMap()
	m["cookie"] = map[string]any{"forward_to_apps": true}
	keep := &browser{t: t, e: mustEngine(t, configFrom(t, m)), idp: newFakeIdP(t), jar: map[string]string{}, now: b.now}
	keep.signIn("https://exeunt.test/app1/")
	if d := keep.request("GET", "https://exeunt.test/app1/"); headerValue(d.SetHeaders, "cookie") != "" || contains(d.RemoveHeaders, "cookie") {
		t.Fatalf("forward_to_apps: the cookies must pass untouched: %+v", d)
	}
	m["cookie"] = map[string]any{"forward_to_apps": "yes"}
	raw, _ := json.Marshal(m)
	if _, err := ParseConfig(raw); err == nil || !strings.Contains(err.Error(), `"cookie.forward_to_apps"`) {
		t.Fatalf("a bad forward_to_apps: %v", err)
	}
}

func TestAppsCannotSetExeuntCookies(t *testing.T) {
	var logs []string
	e := mustEngine(t, signinConfig(t))
	e.log = func(s string) { logs = append(logs, s) }
	r := Request{Method: "GET", Path: "/app1/x?token=secret", Authority: "exeunt.test"}
	tests := []struct {
		in, want []string
		dropped  bool
	}{
		{nil, nil, false},
		{[]string{"a=1; Path=/", "b=2"}, []string{"a=1; Path=/", "b=2"}, false},
		{[]string{"__Host-exeunt=planted; Path=/; Secure"}, nil, true},
		{[]string{"a=1", "__Host-exeunt.1=x", "b=2", "__Host-exeunt-logout=y", " __Host-exeunt-flow-12345678=z"}, []string{"a=1", "b=2"}, true},
		{[]string{"__Host-exeuntx=1"}, []string{"__Host-exeuntx=1"}, false},
		// A nameless cookie whose value reads as one of ours: browsers send it back as
		// "__Host-exeunt=planted" (modern ones refuse this for __Host- values only).
		{[]string{"=__Host-exeunt=planted; Path=/", "a=1"}, []string{"a=1"}, true},
		{[]string{" = __Host-exeunt-logout=x"}, nil, true},
		{[]string{"=other=1"}, []string{"=other=1"}, false},
	}
	for _, tt := range tests {
		logs = nil
		keep, dropped := e.FilterResponseCookies(r, tt.in, e.now)
		if dropped != tt.dropped || strings.Join(keep, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: kept %q (dropped %v), want %q (%v)", tt.in, keep, dropped, tt.want, tt.dropped)
		}
		if tt.dropped && (len(logs) == 0 || !strings.Contains(logs[0], "dropped a Set-Cookie for Exeunt's cookie") ||
			strings.Contains(strings.Join(logs, "\n"), "secret") || strings.Contains(strings.Join(logs, "\n"), "planted")) {
			t.Errorf("%q: log %q: want the name, without the value or the query", tt.in, logs)
		}
	}
}

func TestFrontchannelLogoutWithoutIssAndSidAsksFirst(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	for _, method := range []string{"GET"} { // a HEAD is refused (own_endpoints.go)
		d := s.request(method, "https://exeunt.test/signout-oidc")
		if d.Response == nil || d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), `name="logout_id"`) {
			t.Fatalf("%s without iss and sid: want the prompt, got %+v", method, d.Response)
		}
		if !s.signedInStill() || s.metrics.get("exeunt.logout.provider_frontchannel") != 0 {
			t.Fatalf("%s without iss and sid ended the session", method)
		}
	}
	// The user confirms on the prompt: the session ends.
	logoutID, csrf := promptFields(t, s.request("GET", "https://exeunt.test/signout-oidc").Response)
	d := s.send("POST", "https://exeunt.test/connect/endsession", []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode()),
		Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}, Header{Name: "sec-fetch-site", Value: "same-origin"})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") || s.signedInStill() {
		t.Fatalf("confirmed: %s, signed in %v", to, s.signedInStill())
	}

	// A framed cross-site request without iss and sid brings no cookie: nothing to end,
	// and no page may say "signed out".
	s.signIn("https://exeunt.test/app1/")
	iframe := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	d = iframe.request("GET", "https://exeunt.test/signout-oidc", Header{Name: "sec-fetch-site", Value: "cross-site"}, Header{Name: "sec-fetch-mode", Value: "navigate"}, Header{Name: "sec-fetch-dest", Value: "iframe"})
	if d.Response == nil || d.Response.Status != 400 || strings.Contains(string(d.Response.Body), "signed out</h1>") || !s.signedInStill() {
		t.Fatalf("framed, cookieless, without iss and sid: %+v", d.Response)
	}
}

func TestCookieMayBeWithheld(t *testing.T) {
	lax := mustEngine(t, signinConfig(t))
	m := signinConfigMap()
	m["cookie"] = map[string]any{"same_site": "Strict"}
	strict := mustEngine(t, configFrom(t, m))
	m["cookie"] = map[string]any{"same_site": "None"}
	none := mustEngine(t, configFrom(t, m))
	h := func(kv ...string) []Header {
		var out []Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		e      *Engine
		method string
		hs     []Header
		want   bool
	}{
		{"same-origin POST", lax, "POST", h("sec-fetch-site", "same-origin"), false},
		{"same-site POST", lax, "POST", h("sec-fetch-site", "same-site"), false},
		{"typed GET", lax, "GET", h("sec-fetch-site", "none"), false},
		{"cross-site POST", lax, "POST", h("sec-fetch-site", "cross-site", "sec-fetch-mode", "navigate", "sec-fetch-dest", "document"), true},
		{"cross-site top-level GET, Lax", lax, "GET", h("sec-fetch-site", "cross-site", "sec-fetch-mode", "navigate", "sec-fetch-dest", "document"), false},
		{"cross-site iframe GET, Lax", lax, "GET", h("sec-fetch-site", "cross-site", "sec-fetch-mode", "navigate", "sec-fetch-dest", "iframe"), true},
		{"cross-site fetch GET, Lax", lax, "GET", h("sec-fetch-site", "cross-site", "sec-fetch-mode", "cors", "sec-fetch-dest", "empty"), true},
		{"cross-site top-level GET, Strict", strict, "GET", h("sec-fetch-site", "cross-site", "sec-fetch-mode", "navigate", "sec-fetch-dest", "document"), true},
		{"cross-site POST, None", none, "POST", h("sec-fetch-site", "cross-site"), false},
		{"old browser, POST from elsewhere", lax, "POST", h("origin", "https://app.other.example"), true},
		{"old browser, POST with Origin null", lax, "POST", h("origin", "null"), true},
		{"old browser, POST from here", lax, "POST", h("origin", "https://exeunt.test"), false},
		{"no browser, POST", lax, "POST", nil, false},
		{"old browser, GET", lax, "GET", h("origin", "https://app.other.example"), false},
	} {
		if got := tt.e.cookieMayBeWithheld(Request{Method: tt.method, Headers: tt.hs}); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCrossSiteEndSessionPostWithAHintAsksOnExeuntsOwnPage(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	crossSite := []Header{{Name: "content-type", Value: "application/x-www-form-urlencoded"}, {Name: "origin", Value: "https://app.other.example"},
		{Name: "sec-fetch-site", Value: "cross-site"}, {Name: "sec-fetch-mode", Value: "navigate"}, {Name: "sec-fetch-dest", Value: "document"}}
	body := []byte(url.Values{"id_token_hint": {hint}, "client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"},
		"state": {"st-1"}}.Encode())
	// The same browser, but the Lax cookie stays home on a cross-site POST.
	cookieless := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	d := cookieless.send("POST", "https://exeunt.test/connect/endsession", body, crossSite...)
	page := string(d.Response.Body)
	if d.Response.Status != 200 || !strings.Contains(page, `name="logout_id"`) || strings.Contains(page, "You are signed out") || strings.Contains(page, "st-1") {
		t.Fatalf("a cross-site POST without the cookie must get the prompt, never \"signed out\": %d\n%s", d.Response.Status, page)
	}
	if !s.signedInStill() || s.metrics.get("exeunt.logout.rp_initiated") != 0 {
		t.Fatal("the session changed before the user confirmed")
	}
	logoutID, csrf := promptFields(t, d.Response)
	confirm := []byte(url.Values{"logout_id": {logoutID}, "csrf": {csrf}, "confirm": {"yes"}}.Encode())
	form := Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}

	// Replayed from another site, the confirmation arrives without the cookie: refused,
	// and it says nothing about being signed out.
	if d := cookieless.send("POST", "https://exeunt.test/connect/endsession", confirm, crossSite...); d.Response.Status != 403 ||
		strings.Contains(string(d.Response.Body), "You are signed out") || !s.signedInStill() {
		t.Fatalf("cross-site confirmation: %+v", d.Response)
	}
	// From a sibling site (which the cookie does follow): refused too.
	if d := s.send("POST", "https://exeunt.test/connect/endsession", confirm, form, Header{Name: "sec-fetch-site", Value: "same-site"}); d.Response.Status != 400 || !s.signedInStill() {
		t.Fatalf("same-site confirmation of a prompt bound to no session: %+v", d.Response)
	}
	// On Exeunt's own page the form POST is same-origin and carries the cookie: signed out,
	// through the provider, and the way back keeps the app's state.
	d = s.send("POST", "https://exeunt.test/connect/endsession", confirm, form, Header{Name: "sec-fetch-site", Value: "same-origin"}, Header{Name: "origin", Value: "null"})
	if to := location(t, d); !strings.HasPrefix(to, "https://idp.test/logout?") || s.signedInStill() {
		t.Fatalf("confirmed: %s", to)
	}
	to, _ := url.Parse(location(t, d))
	back := s.request("GET", "https://exeunt.test/signout-callback-oidc?state="+url.QueryEscape(to.Query().Get("state")))
	if back.Response.Status != 200 || !strings.Contains(string(back.Response.Body), "https://exeunt.test/app1/signed-out?state=st-1") {
		t.Fatalf("logged-out page: %+v", back.Response)
	}

	// Truly signed out, a same-origin request is told so (the cookie would have come).
	d = cookieless.send("POST", "https://exeunt.test/connect/endsession", body, form, Header{Name: "sec-fetch-site", Value: "same-origin"})
	if d.Response.Status != 200 || !strings.Contains(string(d.Response.Body), "app1/signed-out?state=st-1") {
		t.Fatalf("already signed out, same-origin: %+v", d.Response)
	}
}

func TestParametersOverTheirLimitAreRefusedAndChangeNothing(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, _ := s.signedIn()
	over := func(name string) string { return strings.Repeat("a", paramLimits[name]+1) }
	base := func() url.Values {
		return url.Values{"id_token_hint": {hint}, "client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"s"}}
	}
	for _, name := range endSessionLimited {
		for _, method := range []string{"GET", "POST"} {
			q := base()
			q.Set(name, over(name))
			before := storeSnapshot(s.e)
			var d Decision
			if method == "GET" {
				d = s.request("GET", endSessionURL(q), Header{Name: "accept-language", Value: "fr"})
			} else {
				d = s.send("POST", "https://exeunt.test/connect/endsession", []byte(q.Encode()),
					Header{Name: "content-type", Value: "application/x-www-form-urlencoded"}, Header{Name: "accept-language", Value: "fr"})
			}
			errorStatus(t, d, 400, "Le paramètre "+name+" est plus long")
			if !sameSnapshot(before, storeSnapshot(s.e)) || !s.signedInStill() || headerValue(d.Response.Headers, "set-cookie") != "" {
				t.Fatalf("%s %s over its limit changed something", method, name)
			}
		}
	}
	// At the limit, a value passes the check (here: an unknown client, refused as such).
	q := url.Values{"client_id": {strings.Repeat("a", paramLimits["client_id"])}}
	errorStatus(t, s.request("GET", endSessionURL(q)), 400, "not registered")

	// return, at the provider choice.
	ret := "https://exeunt.test/app1/?" + strings.Repeat("q", paramLimits["return"])
	errorStatus(t, s.request("GET", "https://exeunt.test/exeunt/signin?"+url.Values{"return": {ret}}.Encode()), 400, "return")

	errorStatus(t, s.request("GET", "https://exeunt.test/exeunt/signin?provider="+strings.Repeat("p", 65)), 400, "provider")

	// An authorization response's state names the flow cookie: only Exeunt's alphabet.
	for _, state := range []string{"abcdefgh;Domain=evil.example", "abc\r\ndefgh", strings.Repeat("a", 129)} {
		d := s.request("GET", "https://exeunt.test/signin-oidc?"+url.Values{"code": {"c"}, "state": {state}}.Encode())
		errorStatus(t, d, 400, "no valid state")
		if strings.Contains(headerValue(d.Response.Headers, "set-cookie"), "evil") {
			t.Fatalf("state %q reached a Set-Cookie: %v", state, d.Response.Headers)
		}
	}

	// A long request URL starting a sign-in is cut before it rides in the flow cookie.
	b := newBrowser(t)
	start := "https://exeunt.test/app1/deep?" + strings.Repeat("x", 5000)
	if back := b.signIn(start); back != "https://exeunt.test/app1/deep" {
		t.Fatalf("after a sign-in from a too-long URL the browser goes to %q", back)
	}
}

func TestStoredLogoutContextsAreBounded(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) { cfg["logout"] = map[string]any{"context_storage": "store"} })
	_, sid := s.signedIn()
	max := func(name string) string { return strings.Repeat("h", paramLimits[name]) }
	// 300 logout requests without a hint, each with parameters at their limits: every
	// one shows a prompt whose context goes to the store.
	var first, last string
	for i := 0; i < 300; i++ {
		q := url.Values{"client_id": {"app1"}, "post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"},
			"state": {max("state")}, "ui_locales": {max("ui_locales")}, "logout_hint": {max("logout_hint")}}
		d := s.send("POST", "https://exeunt.test/connect/endsession", []byte(q.Encode()), Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
		id, _ := promptFields(t, d.Response)
		if i == 0 {
			first = id
		}
		last = id
	}
	ids, _, _ := contextsBySID.get(s.e.store, sid, s.now)
	if n := len(strings.Fields(ids)); n != maxContextsPerSession {
		t.Fatalf("the session keeps %d stored contexts, want %d", n, maxContextsPerSession)
	}
	if _, err := decodeNow(t, s.e, first, s.now); err == nil {
		t.Fatal("the oldest context of the session is still there")
	}
	if _, err := decodeNow(t, s.e, last, s.now); err != nil {
		t.Fatalf("the newest context is gone: %v", err)
	}
	if n := storeBytes(t, s.e, "exeunt/logout/"); n > maxContextsPerSession*5000 {
		t.Fatalf("300 logout requests left %d bytes of contexts", n)
	}

	// In total: many sessions' contexts never pass the buckets' bound.
	for i := 0; i < 3000; i++ {
		ctx := &logoutContext{ID: "c", SID: "sid-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + url.QueryEscape(string(rune(i))), State: max("state"), LogoutHint: max("logout_hint")}
		if _, err := encodeNow(t, s.e, ctx, 0, s.now); err != nil {
			t.Fatal(err)
		}
	}
	if n := storeBytes(t, s.e, "exeunt/logout/"); n > 256*maxContextBucketBytes {
		t.Fatalf("contexts take %d bytes, past the bound of %d", n, 256*maxContextBucketBytes)
	}
	// In the default "auto" mode a prompt's context never goes to the store at all.
	auto := newSignoutEnv(t, nil)
	auto.signedIn()
	before := storeBytes(t, auto.e, "exeunt/logout/")
	q := url.Values{"client_id": {"app1"}, "state": {max("state")}, "logout_hint": {max("logout_hint")}}
	promptFields(t, auto.request("GET", endSessionURL(q)).Response)
	if storeBytes(t, auto.e, "exeunt/logout/") != before {
		t.Fatal("a prompt wrote its context to the store in auto mode")
	}
}

func TestSignInFlowCookiesAreBoundedPerBrowser(t *testing.T) {
	b := newBrowser(t)
	var lastStart string
	for i := 0; i < 40; i++ {
		lastStart = location(t, b.request("GET", "https://exeunt.test/app1/page"+strings.Repeat("x", i)))
	}
	flows := 0
	for name := range b.jar {
		if strings.HasPrefix(name, "__Host-exeunt-flow-") {
			flows++
		}
	}
	if flows != maxFlowCookies {
		t.Fatalf("after 40 signed-out visits the browser holds %d flow cookies, want %d", flows, maxFlowCookies)
	}
	if n := len(b.cookieHeader()); n > 4096 {
		t.Fatalf("Cookie header of %d bytes", n)
	}
	// The newest flow still completes.
	back := b.idp.authorize(t, lastStart)
	if to := location(t, b.request("GET", back)); to != "https://exeunt.test/app1/page"+strings.Repeat("x", 39) {
		t.Fatalf("the newest flow returned to %s", to)
	}
}

func TestEvictFlowCookiesDropsTheOldestFirst(t *testing.T) {
	e := mustEngine(t, signinConfig(t))
	cs := cookies{{Name: "cookie", Value: "__Host-exeunt-flow-aaaaaaaa=1; app=x; __Host-exeunt-flow-bbbbbbbb=2; __Host-exeunt-flow-cccccccc=3; __Host-exeunt-flow-dddddddd=4"}}
	got := e.evictFlowCookies(cs)
	if len(got) != 2 || !strings.HasPrefix(got[0].Value, "__Host-exeunt-flow-aaaaaaaa=;") || !strings.HasPrefix(got[1].Value, "__Host-exeunt-flow-bbbbbbbb=;") {
		t.Fatalf("evicted %v, want the two oldest", got)
	}
	if got := e.evictFlowCookies(cookies{{Name: "cookie", Value: "__Host-exeunt-flow-aaaaaaaa=1; __Host-exeunt-flow-bbbbbbbb=2"}}); len(got) != 0 {
		t.Fatalf("two flows and a new one fit: evicted %v", got)
	}
}

func TestLogoutContextEndpointWithholdsWhatBelongsToTheBrowser(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	get := func(b *browser, id string) map[string]any {
		d := b.request("GET", "https://exeunt.test/exeunt/logout-context?logoutId="+url.QueryEscape(id))
		var got map[string]any
		if d.Response == nil || d.Response.Status != 200 || json.Unmarshal(d.Response.Body, &got) != nil {
			t.Fatalf("logout context: %+v", d.Response)
		}
		return got
	}
	// A signed-out context (the one the provider sees in state).
	to, _ := url.Parse(location(t, s.request("GET", endSessionURL(url.Values{"id_token_hint": {hint},
		"post_logout_redirect_uri": {"https://exeunt.test/app1/signed-out"}, "state": {"app-secret-state"}}))))
	id := to.Query().Get("state")
	stranger := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	got := get(stranger, id)
	raw, _ := json.Marshal(got)
	if got["signed_out"] != true || got["client_name"] != "App One" || got["withheld"] != true ||
		strings.Contains(string(raw), "app-secret-state") || strings.Contains(string(raw), sid) || got["post_logout_redirect_uri"] != nil {
		t.Fatalf("to a stranger holding the logoutId: %s", raw)
	}
	// The browser that signed out holds the logoutId cookie: it gets everything.
	got = get(s.browser, id)
	raw, _ = json.Marshal(got)
	if got["state"] != "app-secret-state" || got["withheld"] != nil || !strings.Contains(string(raw), "sid="+sid) {
		t.Fatalf("to the browser it belongs to: %s", raw)
	}
}

func TestAFailingTokenEndpointIsProviderUnavailable(t *testing.T) {
	for _, status := range []int{500, 502, 503} {
		b := newBrowser(t)
		back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
		b.idp.tokenStatus = status
		d := b.request("GET", back, Header{Name: "accept-language", Value: "fr-CA, en;q=0.5"})
		errorStatus(t, d, 502, "ne peut pas terminer la connexion")
		if _, ok := b.jar["__Host-exeunt"]; ok {
			t.Fatal("a session cookie was set")
		}
	}
	// A refusal (4xx) stays a refusal.
	b := newBrowser(t)
	back := b.idp.authorize(t, location(t, b.request("GET", "https://exeunt.test/app1/")))
	b.idp.tokenStatus = 400
	errorStatus(t, b.request("GET", back), 400, "refused")
}

func TestBackchannelLogoutLogsOnlyClientsLeftUninformed(t *testing.T) {
	s := newSignoutEnv(t, func(cfg map[string]any) {
		cfg["clients"] = append(cfg["clients"].([]any), map[string]any{"client_id": "app4", "hosts": []string{"exeunt.test"},
			"path_prefixes": []string{"/app4/"}, "frontchannel_logout_uri": "https://exeunt.test/app4/fc"})
	})
	var logs []string
	s.e.log = func(m string) { logs = append(logs, m) }
	s.signedIn() // app1 (both channels) and app2 (both channels)
	s.request("GET", "https://exeunt.test/app4/")
	if d := s.postLogoutToken(s.idp.logoutToken(t, s.now, "RS256", nil)); d.Response.Status != 200 {
		t.Fatalf("logout token: %+v", d.Response)
	}
	all := strings.Join(logs, "\n")
	if !strings.Contains(all, "app4 has only front-channel logout") {
		t.Fatalf("the front-channel-only client is not reported:\n%s", all)
	}
	for _, c := range []string{"app1", "app2"} {
		if strings.Contains(all, c+" has only front-channel") {
			t.Fatalf("%s has both channels and is notified, yet logged as not:\n%s", c, all)
		}
	}
	if s.metrics.get("exeunt.client.app1.frontchannel.unsent") != 1 || s.metrics.get("exeunt.client.app4.frontchannel.unsent") != 1 {
		t.Fatalf("metrics = %v", s.metrics.m)
	}
}
