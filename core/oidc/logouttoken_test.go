package oidc

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestNewLogoutTokenClaims(t *testing.T) {
	c, err := NewLogoutTokenClaims("https://edge.example", "app-1", "alice", "sid-1", testNow, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	if want := []string{"aud", "events", "exp", "iat", "iss", "jti", "sid", "sub"}; !reflect.DeepEqual(names, want) {
		t.Errorf("claims %v, want exactly %v", names, want)
	}
	b, _ := json.Marshal(c["events"])
	if string(b) != `{"http://schemas.openid.net/event/backchannel-logout":{}}` {
		t.Errorf("events = %s", b)
	}
	if c["iat"] != testNow.Unix() || c["exp"] != testNow.Unix()+60 || c["iss"] != "https://edge.example" || c["aud"] != "app-1" {
		t.Errorf("claims = %v", c)
	}
	other, _ := NewLogoutTokenClaims("https://edge.example", "app-1", "alice", "sid-1", testNow, time.Minute)
	if jti, _ := c["jti"].(string); len(jti) < 22 || jti == other["jti"] {
		t.Errorf("jti %q is not fresh and random", jti)
	}
}

func TestNewLogoutTokenClaimsLifetime(t *testing.T) {
	for _, tt := range []struct {
		lifetime time.Duration
		want     int64
	}{
		{30 * time.Second, 30},
		{2 * time.Minute, 120},
		{10 * time.Minute, 120},
		{0, 120},
		{-time.Second, 120},
		{500 * time.Millisecond, 1},
		{90500 * time.Millisecond, 90},
	} {
		c, err := NewLogoutTokenClaims("i", "a", "s", "", testNow, tt.lifetime)
		if err != nil {
			t.Fatal(err)
		}
		if got := c["exp"].(int64) - c["iat"].(int64); got != tt.want {
			t.Errorf("lifetime %s: exp-iat = %d, want %d", tt.lifetime, got, tt.want)
		}
	}
}

func TestNewLogoutTokenClaimsSubjectOrSession(t *testing.T) {
	onlySID, err := NewLogoutTokenClaims("i", "a", "", "sid-1", testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := onlySID["sub"]; ok || onlySID["sid"] != "sid-1" {
		t.Errorf("claims %v", onlySID)
	}
	onlySub, _ := NewLogoutTokenClaims("i", "a", "alice", "", testNow, 0)
	if _, ok := onlySub["sid"]; ok || onlySub["sub"] != "alice" {
		t.Errorf("claims %v", onlySub)
	}
	for _, args := range [][4]string{{"i", "a", "", ""}, {"", "a", "s", ""}, {"i", "", "s", ""}} {
		if _, err := NewLogoutTokenClaims(args[0], args[1], args[2], args[3], testNow, 0); err == nil {
			t.Errorf("NewLogoutTokenClaims%q accepted", args)
		}
	}
	if _, ok := onlySub["nonce"]; ok {
		t.Error("a logout token has a nonce")
	}
}

// TestLogoutTokenRoundTrip: what Exeunt sends to its clients passes the checks Exeunt
// applies to what it receives, using only the published keys.
func TestLogoutTokenRoundTrip(t *testing.T) {
	s := newSigner(t, signingKey(t, "sig-1"))
	claims, err := NewLogoutTokenClaims("https://edge.example", "app-1", "alice", "sid-1", testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Sign(LogoutTokenType, claims)
	if err != nil {
		t.Fatal(err)
	}
	set, err := ParseJWKS(s.PublicJWKS())
	if err != nil {
		t.Fatal(err)
	}
	v := &LogoutTokenVerifier{Issuer: "https://edge.example", ClientID: "app-1", Algorithms: []string{"ES256"}}
	tok, err := v.Verify(raw, set, testNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := LogoutToken{Issuer: "https://edge.example", Subject: "alice", SID: "sid-1", JTI: claims["jti"].(string),
		IssuedAt: time.Unix(testNow.Unix(), 0), Expiry: time.Unix(testNow.Unix()+120, 0)}
	if !reflect.DeepEqual(*tok, want) {
		t.Errorf("got  %+v\nwant %+v", *tok, want)
	}
	if _, err := s.VerifyOwn(raw, LogoutTokenType); err != nil {
		t.Error(err)
	}
}

// logoutClaims are the claims of a valid logout token from the provider at testNow.
func logoutClaims() map[string]any {
	return map[string]any{
		"iss":    testIssuer,
		"aud":    testClientID,
		"iat":    testNow.Add(-5 * time.Second).Unix(),
		"exp":    testNow.Add(2 * time.Minute).Unix(),
		"jti":    "bWJq",
		"sid":    "provider-session-1",
		"sub":    "248289761001",
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
}

func TestVerifyLogoutToken(t *testing.T) {
	k := keys(t)
	set := providerJWKS(t)
	claims := logoutClaims()
	good := sign(t, jose.RS256, k.rsa, "rsa-1", "logout+jwt", claims)
	pub, _ := json.Marshal(jose.JSONWebKey{Key: &k.rsa.PublicKey})
	tok := func(typ string, c map[string]any) string { return sign(t, jose.RS256, k.rsa, "rsa-1", typ, c) }

	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"valid", good, nil},
		{"valid ES256", sign(t, jose.ES256, k.ec, "ec-1", "logout+jwt", claims), nil},
		{"valid without typ", tok("", claims), nil},
		{"typ application/logout+jwt", tok("application/logout+jwt", claims), nil},
		{"typ in upper case", tok("Logout+JWT", claims), nil},
		{"only sid", tok("logout+jwt", with(claims, "sub", nil)), nil},
		{"only sub", tok("logout+jwt", with(claims, "sid", nil)), nil},
		{"aud an array", tok("logout+jwt", with(claims, "aud", []string{"x", testClientID})), nil},
		{"other events too", tok("logout+jwt", with(claims, "events", map[string]any{BackchannelLogoutEvent: map[string]any{}, "urn:x": map[string]any{}})), nil},
		{"event value a non-empty object", tok("logout+jwt", with(claims, "events", map[string]any{BackchannelLogoutEvent: map[string]any{"x": 1}})), nil},
		{"old key", sign(t, jose.RS256, k.rsaOld, "rsa-0", "logout+jwt", claims), nil},

		{"alg none", unsigned(t, map[string]any{"alg": "none", "typ": "logout+jwt"}, claims), ErrAlgorithm},
		{"HS256 with the provider's public key", sign(t, jose.HS256, pub, "rsa-1", "logout+jwt", claims), ErrAlgorithm},
		{"unexpected alg RS512", sign(t, jose.RS512, k.rsa, "rsa-1", "logout+jwt", claims), ErrAlgorithm},
		{"typ JWT", tok("JWT", claims), ErrType},
		{"typ of an access token", tok("at+jwt", claims), ErrType},
		{"unknown kid", sign(t, jose.RS256, k.rsa, "rsa-7", "logout+jwt", claims), ErrUnknownKey},
		{"attacker's key", sign(t, jose.RS256, k.rsaOther, "rsa-1", "logout+jwt", claims), ErrSignature},
		{"tampered", tamper(good, 1), ErrSignature},
		{"wrong iss", tok("logout+jwt", with(claims, "iss", "https://evil.example")), ErrIssuer},
		{"wrong aud", tok("logout+jwt", with(claims, "aud", "other-client")), ErrAudience},
		{"aud missing", tok("logout+jwt", with(claims, "aud", nil)), ErrAudience},
		{"iat missing", tok("logout+jwt", with(claims, "iat", nil)), ErrIssuedAt},
		{"iat in the future", tok("logout+jwt", with(claims, "iat", testNow.Add(time.Minute).Unix())), ErrIssuedAt},
		{"exp missing", tok("logout+jwt", with(claims, "exp", nil)), ErrClaims},
		{"expired", tok("logout+jwt", with(claims, "exp", testNow.Add(-time.Minute).Unix())), ErrExpired},
		{"jti missing", tok("logout+jwt", with(claims, "jti", nil)), ErrClaims},
		{"events missing", tok("logout+jwt", with(claims, "events", nil)), ErrClaims},
		{"wrong event", tok("logout+jwt", with(claims, "events", map[string]any{"http://schemas.openid.net/event/backchannel-logout/x": map[string]any{}})), ErrClaims},
		{"event value a string", tok("logout+jwt", with(claims, "events", map[string]any{BackchannelLogoutEvent: ""})), ErrClaims},
		{"event value null", tok("logout+jwt", with(claims, "events", map[string]any{BackchannelLogoutEvent: nil})), ErrClaims},
		{"events an array", tok("logout+jwt", with(claims, "events", []string{BackchannelLogoutEvent})), ErrMalformed},
		{"neither sub nor sid", tok("logout+jwt", with(claims, "sub", nil, "sid", nil)), ErrSubject},
		{"with nonce", tok("logout+jwt", with(claims, "nonce", "n")), ErrNonce},
		{"with an empty nonce", tok("logout+jwt", with(claims, "nonce", "")), ErrNonce},
		{"with a null nonce", tok("logout+jwt", withNull(claims, "nonce")), ErrNonce},
		{"an ID token", tok("JWT", with(claims, "events", nil, "nonce", testNonce)), ErrType},
		{"an ID token without typ", tok("", with(claims, "events", nil, "nonce", testNonce)), ErrClaims},
		{"empty", "", ErrMalformed},
	}
	v := &LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Leeway: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt, err := v.Verify(tt.raw, set, testNow)
			wantErr(t, err, tt.want, tt.raw)
			if tt.want == nil && (lt.Issuer != testIssuer || lt.JTI != "bWJq") {
				t.Errorf("token = %+v", lt)
			}
			if tt.want != nil && lt != nil {
				t.Error("a token returned with an error")
			}
		})
	}
}

func TestLogoutTokenVerifierConfiguration(t *testing.T) {
	raw := sign(t, jose.RS256, keys(t).rsa, "rsa-1", "logout+jwt", logoutClaims())
	for _, tt := range []struct {
		name string
		v    LogoutTokenVerifier
		want error
	}{
		{"no issuer", LogoutTokenVerifier{ClientID: testClientID}, ErrIssuer},
		{"no client_id", LogoutTokenVerifier{Issuer: testIssuer}, ErrIssuer},
		{"HS256 allowed", LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"HS256"}}, ErrAlgorithm},
		{"none allowed", LogoutTokenVerifier{Issuer: testIssuer, ClientID: testClientID, Algorithms: []string{"none"}}, ErrAlgorithm},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(raw, providerJWKS(t), testNow)
			wantErr(t, err, tt.want)
		})
	}
}

// withNull returns a copy of m where name is JSON null.
func withNull(m map[string]any, name string) map[string]any {
	out := clone(m)
	out[name] = json.RawMessage("null")
	return out
}
