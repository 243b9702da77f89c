package core

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// oauthErrorChars is what RFC 6749 §5.2 allows in error and error_description:
// %x20-21 / %x23-5B / %x5D-7E, printable ASCII without '"' and '\'.
var oauthErrorChars = regexp.MustCompile(`^[\x20-\x21\x23-\x5B\x5D-\x7E]*$`)

// RFC 6749 §5.2: an OAuth-style error answer's error and error_description hold only
// those characters. The back-channel endpoint's descriptions say what was wrong with the
// token, which quotes values from it ("typ is \"JWT\"", a kid with any bytes): those
// quotes, backslashes and bytes outside printable ASCII are replaced.
func TestOAuthErrorAnswersUseTheCharactersRFC6749Allows(t *testing.T) {
	s := newSignoutEnv(t, nil)
	s.signedIn()
	tok := func(change func(map[string]any, map[jose.HeaderKey]any)) string {
		return s.idp.logoutToken(t, s.now, jose.RS256, change)
	}
	for name, d := range map[string]Decision{
		"typ JWT":            s.postLogoutToken(tok(func(_ map[string]any, h map[jose.HeaderKey]any) { h["typ"] = "JWT" })),
		"kid with quotes":    s.postLogoutToken(tok(func(_ map[string]any, h map[jose.HeaderKey]any) { h["kid"] = "k\"\\é\u2028\x01" })),
		"iss with a quote":   s.postLogoutToken(tok(func(c map[string]any, _ map[jose.HeaderKey]any) { c["iss"] = "https://evil.test/\"x\"" })),
		"not a form":         s.postBackchannel([]byte("logout_token=%zz")),
		"GET":                (&browser{t: t, e: s.e, idp: s.idp, jar: map[string]string{}, now: s.now}).request("GET", "https://exeunt.test/backchannel-oidc"),
		"logout context 405": s.request("POST", "https://exeunt.test/exeunt/logout-context"),
	} {
		var body map[string]string
		if d.Response == nil || d.Response.Status < 400 || json.Unmarshal(d.Response.Body, &body) != nil || body["error"] == "" || body["error_description"] == "" {
			t.Errorf("%s: want an OAuth-style error answer, got %s", name, specBrief(d.Response))
			continue
		}
		for _, m := range []string{"error", "error_description"} {
			if !oauthErrorChars.MatchString(body[m]) {
				t.Errorf("%s: %s %q has characters RFC 6749 §5.2 does not allow", name, m, body[m])
			}
		}
	}
}
