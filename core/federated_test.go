package core

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Federated sign-out inside core: the provider tells Exeunt, through the browser's
// iframe (without cookies) or with a logout token.

func TestProviderFrontchannelEndsSessionsWithoutTheCookie(t *testing.T) {
	s := newSignoutEnv(t, nil)
	_, sid := s.signedIn()
	// The provider's iframe: a cross-site request, so no cookie comes along.
	iframe := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	d := iframe.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=idp-sid-1")
	if d.Response == nil || d.Response.Status != 200 || headerValue(d.Response.Headers, "cache-control") != "no-store" {
		t.Fatalf("front-channel logout: %+v", d.Response)
	}
	body := string(d.Response.Body)
	if !strings.Contains(body, "app1/fc?keep=1&amp;iss=https%3A%2F%2Fexeunt.test&amp;sid="+sid) || !strings.Contains(body, "app2/fc?iss=") {
		t.Fatalf("the page must render the visited clients' iframes:\n%s", body)
	}
	if s.signedInStill() {
		t.Fatal("the edge session survived the provider's front-channel logout")
	}
	if s.metrics.get("exeunt.logout.provider_frontchannel") != 1 {
		t.Fatalf("metrics = %v", s.metrics.m)
	}
	s.tick()
	if len(s.apps.tokens["app1"]) != 1 || len(s.apps.tokens["app2"]) != 1 || len(s.apps.tokens["app3"]) != 0 {
		t.Fatalf("cascade over the back-channel: %v", s.apps.tokens)
	}
	checkLogoutToken(t, s.browser, s.apps.tokens["app1"][0], "app1", sid)
	// Again: nothing left to end, still a page.
	if d := iframe.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=idp-sid-1"); d.Response.Status != 200 {
		t.Fatalf("repeat: %d", d.Response.Status)
	}
}

func TestProviderFrontchannelClearsThePresentCookie(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	d := s.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=idp-sid-1")
	if d.Response.Status != 200 {
		t.Fatalf("%+v", d.Response)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; ok {
		t.Fatal("the session cookie that came along was not cleared")
	}
}

func TestProviderFrontchannelRefusesAnotherIssuer(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	iframe := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	for _, q := range []string{"iss=" + url.QueryEscape("https://evil.test") + "&sid=idp-sid-1", "iss=" + url.QueryEscape("https://idp.test"), "sid=idp-sid-1"} {
		if d := iframe.request("GET", "https://exeunt.test/signout-oidc?"+q); d.Response.Status != 400 || !s.signedInStill() {
			t.Fatalf("%s: %d, signed in still: %v", q, d.Response.Status, s.signedInStill())
		}
	}
	if d := iframe.request("POST", "https://exeunt.test/signout-oidc"); d.Response.Status != 405 {
		t.Fatalf("POST: %d", d.Response.Status)
	}
}

// logoutToken signs a provider logout token with the fake provider's key; change edits
// the claims or the header first.
func (f *fakeIdP) logoutToken(t testing.TB, now time.Time, alg jose.SignatureAlgorithm, change func(claims map[string]any, hdr map[jose.HeaderKey]any)) string {
	claims := map[string]any{"iss": f.issuer, "aud": "exeunt", "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": "jti-" + now.Format("150405.000000000"), "sid": "idp-sid-1",
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}
	hdr := map[jose.HeaderKey]any{"typ": "logout+jwt"}
	if change != nil {
		change(claims, hdr)
	}
	var key any = jose.JSONWebKey{Key: f.key, KeyID: "rsa1"}
	if alg == jose.HS256 {
		key = []byte("a shared secret that nobody should accept here")
	}
	opts := &jose.SignerOptions{ExtraHeaders: hdr}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *signoutEnv) postLogoutToken(tok string) Decision {
	return s.postBackchannel([]byte(url.Values{"logout_token": {tok}}.Encode()))
}

func (s *signoutEnv) postBackchannel(body []byte) Decision {
	provider := &browser{t: s.t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	return provider.send("POST", "https://exeunt.test/backchannel-oidc", body, Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
}

func TestProviderBackchannelLogoutEndsTheSessionAndCascades(t *testing.T) {
	s := newSignoutEnv(t, nil)
	_, sid := s.signedIn()
	tok := s.idp.logoutToken(t, s.now, jose.RS256, nil)
	d := s.postLogoutToken(tok)
	if d.Response == nil || d.Response.Status != 200 || headerValue(d.Response.Headers, "cache-control") != "no-store" {
		t.Fatalf("logout token: %+v", d.Response)
	}
	if s.signedInStill() {
		t.Fatal("the edge session survived the provider's logout token")
	}
	s.tick()
	checkLogoutToken(t, s.browser, s.apps.tokens["app1"][0], "app1", sid)
	checkLogoutToken(t, s.browser, s.apps.tokens["app2"][0], "app2", sid)
	if len(s.apps.tokens["app3"]) != 0 {
		t.Fatal("a client the session never visited was notified")
	}
	// Front-channel clients cannot be told without a browser: counted as unsent.
	if s.metrics.get("exeunt.logout.provider_backchannel") != 1 || s.metrics.get("exeunt.client.app1.frontchannel.unsent") != 1 {
		t.Fatalf("metrics = %v", s.metrics.m)
	}
	// The same token again is a replay.
	if d := s.postLogoutToken(tok); d.Response.Status != 400 || !strings.Contains(string(d.Response.Body), "replayed") {
		t.Fatalf("replay: %d %s", d.Response.Status, d.Response.Body)
	}
}

func TestProviderBackchannelBySubEndsEverySessionOfTheUser(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	second := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	s.idp.mutate = func(c map[string]any) { c["sid"] = "idp-sid-2" }
	second.signIn("https://exeunt.test/app2/")
	d := s.postLogoutToken(s.idp.logoutToken(t, s.now, jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) {
		delete(c, "sid")
		c["sub"] = "alice"
	}))
	if d.Response.Status != 200 {
		t.Fatalf("%d %s", d.Response.Status, d.Response.Body)
	}
	if s.signedInStill() || second.request("GET", "https://exeunt.test/app2/", Header{Name: "accept", Value: "application/json"}).Continues() {
		t.Fatal("a sub-only logout token must end every session of that user at that provider")
	}
}

func TestProviderBackchannelRefusesBadTokensAndChangesNothing(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	now := s.now
	tok := func(alg jose.SignatureAlgorithm, change func(map[string]any, map[jose.HeaderKey]any)) []byte {
		return []byte(url.Values{"logout_token": {s.idp.logoutToken(t, now, alg, change)}}.Encode())
	}
	valid := s.idp.logoutToken(t, now, jose.RS256, nil)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name string
		body []byte
	}{
		{"alg none", []byte(url.Values{"logout_token": {b64(`{"alg":"none","typ":"logout+jwt"}`) + "." + parts[1] + "."}}.Encode())},
		{"wrong alg (HS256)", tok(jose.HS256, nil)},
		{"wrong iss", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { c["iss"] = "https://evil.test" })},
		{"wrong aud", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { c["aud"] = "someone-else" })},
		{"nonce present", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { c["nonce"] = "n" })},
		{"no events", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { delete(c, "events") })},
		{"wrong event", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) {
			c["events"] = map[string]any{"http://schemas.openid.net/event/other": map[string]any{}}
		})},
		{"expired", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-50*time.Minute).Unix()
		})},
		{"neither sub nor sid", tok(jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { delete(c, "sid") })},
		{"wrong typ", tok(jose.RS256, func(_ map[string]any, h map[jose.HeaderKey]any) { h["typ"] = "JWT" })},
		{"tampered signature", []byte(url.Values{"logout_token": {parts[0] + "." + b64(`{"iss":"https://idp.test","aud":"exeunt","sid":"idp-sid-1"}`) + "." + parts[2]}}.Encode())},
		{"no logout_token", []byte("other=1")},
		{"empty body", nil},
	}
	for _, c := range cases {
		d := s.postBackchannel(c.body)
		var e map[string]string
		if d.Response == nil || d.Response.Status != 400 || headerValue(d.Response.Headers, "cache-control") != "no-store" ||
			json.Unmarshal(d.Response.Body, &e) != nil || e["error"] == "" || e["error_description"] == "" {
			t.Errorf("%s: want 400 with an OAuth error, got %+v", c.name, d.Response)
		}
		if !s.signedInStill() {
			t.Fatalf("%s: the refused token signed the user out", c.name)
		}
	}
	// GET, an oversized body, a body that is not a form.
	provider := &browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}
	if d := provider.request("GET", "https://exeunt.test/backchannel-oidc"); d.Response.Status != 405 || headerValue(d.Response.Headers, "allow") != "POST" {
		t.Fatalf("GET: %+v", d.Response)
	}
	if d := s.postBackchannel(make([]byte, MaxRequestBody+1)); d.Response.Status != 413 {
		t.Fatalf("oversized: %d", d.Response.Status)
	}
	if d := provider.send("POST", "https://exeunt.test/backchannel-oidc", []byte(`{"logout_token":"x"}`), Header{Name: "content-type", Value: "application/json"}); d.Response.Status != 400 {
		t.Fatalf("JSON body: %d", d.Response.Status)
	}
	// A valid token still works afterwards: the refusals remembered nothing.
	if d := s.postLogoutToken(valid); d.Response.Status != 200 || s.signedInStill() {
		t.Fatalf("valid token after the refusals: %d", d.Response.Status)
	}
}

func TestProviderBackchannelForAnUnknownSession(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	tok := s.idp.logoutToken(t, s.now, jose.RS256, func(c map[string]any, _ map[jose.HeaderKey]any) { c["sid"] = "no-such-session" })
	if d := s.postLogoutToken(tok); d.Response.Status != 200 || !s.signedInStill() {
		t.Fatalf("unknown session: %d", d.Response.Status)
	}
	if seen, _ := usedLogoutTokens.contains(s.e.store, "jti:"+logoutTokenID("https://idp.test", "jti-"+s.now.Format("150405.000000000")), s.now); seen {
		t.Fatal("a token that ended nothing was remembered")
	}
}

// TestProviderFrontchannelForAnotherSessionNeverSaysSignedOut: a top-level link to the
// front-channel logout URI with the provider's iss and some other sid (anyone can write one)
// arrives with this browser's Lax cookie. Its session is not the one named: it stays, and the
// page must not say "signed out" (a user on a shared computer would walk away signed in); the
// user is asked instead, as without iss and sid.
func TestProviderFrontchannelForAnotherSessionNeverSaysSignedOut(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	d := s.request("GET", "https://exeunt.test/signout-oidc?iss="+url.QueryEscape("https://idp.test")+"&sid=some-other-sid")
	if d.Response == nil || !s.signedInStill() {
		t.Fatalf("another sid ended this browser's session: %+v", d.Response)
	}
	body := string(d.Response.Body)
	if strings.Contains(strings.ToLower(body), "signed out") || !strings.Contains(body, `name="logout_id"`) {
		t.Fatalf("%d, want the prompt and no claim of a sign-out:\n%s", d.Response.Status, body)
	}
	if _, ok := s.jar[s.e.cfg.Cookie.Name]; !ok {
		t.Fatal("the live session's cookie was cleared")
	}
}

// Anyone can POST to /backchannel-{scheme}, and a logout token naming a key the cached
// key set lacks makes Exeunt fetch the provider's discovery document and keys again
// (the provider may have rotated them). Without a bound, every such request is two
// calls to the provider, made by Exeunt for whoever asks: a stream of them right after
// the keys were fetched costs the provider nothing more.
func TestUnknownKeyIDsDoNotMakeEachRequestFetchTheProvidersKeys(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	jwksFetches := func() int {
		n := 0
		for _, c := range b.idp.calls {
			if c == "GET /jwks" {
				n++
			}
		}
		return n
	}
	before := jwksFetches()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other, KeyID: "not-a-provider-key"}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	for i := 0; i < 5; i++ {
		tok, _ := jwt.Signed(signer).Claims(map[string]any{"iss": b.idp.issuer, "aud": "exeunt", "iat": b.now.Unix(),
			"exp": b.now.Add(time.Minute).Unix(), "jti": oidcRandom(i), "sid": "idp-sid-1",
			"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}).Serialize()
		d := b.send("POST", "https://exeunt.test/backchannel-oidc", []byte(url.Values{"logout_token": {tok}}.Encode()),
			Header{Name: "content-type", Value: "application/x-www-form-urlencoded"})
		if d.Response == nil || d.Response.Status != 400 {
			t.Fatalf("a logout token signed with another key: %+v", d.Response)
		}
	}
	if got := jwksFetches() - before; got > 0 {
		t.Errorf("%d key set fetches for 5 forged logout tokens right after the keys were fetched; want none", got)
	}
	// The session the forged tokens named lives on.
	if d := b.request("GET", "https://exeunt.test/app1/"); !d.Continues() {
		t.Fatalf("the session ended: %+v", d)
	}
}

func oidcRandom(i int) string { return "jti-" + string(rune('a'+i)) }
