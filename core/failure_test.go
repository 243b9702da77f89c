package core

import (
	"strings"
	"testing"
)

// TestFailureAnswers renders failures both ways: the JSON form is RFC 6749 §5.2's, with
// the failure's extra headers after the fixed ones; the page form is translated, and
// the detail goes to the log and never into either body.
func TestFailureAnswers(t *testing.T) {
	var logged []string
	e := pageEngine(t, false)
	e.log = func(s string) { logged = append(logged, s) }
	const secret = "provider said: key k1 unknown"
	f := pageFailure(401, "signin_unverified").withRetry("https://auth.example.test/").logged(secret)
	f.oauth, f.description = "login_required", "sign in first"
	f = f.withHeaders(Header{Name: "www-authenticate", Value: `Bearer error="login_required"`})

	j := e.answer(f, asJSON, "fr")
	is(t, "JSON status", j.Status, 401)
	is(t, "JSON body", string(j.Body), `{"error":"login_required","error_description":"sign in first"}`)
	is(t, "JSON headers", len(j.Headers), 3)
	is(t, "JSON content type", j.Headers[0], Header{Name: "content-type", Value: "application/json"})
	is(t, "JSON cache", j.Headers[1], Header{Name: "cache-control", Value: "no-store"})
	is(t, "JSON extra header", j.Headers[2].Name, "www-authenticate")

	for lang, want := range map[string]string{"en": "could not be verified", "fr": "n&#39;a pas pu être vérifiée"} {
		p := e.answer(f, asPage, lang)
		body := string(p.Body)
		if p.Status != 401 || !strings.Contains(body, want) || !strings.Contains(body, `href="https://auth.example.test/"`) {
			t.Errorf("%s page: status %d, want the translated text %q and the retry link:\n%s", lang, p.Status, want, body)
		}
		if p.Headers[len(p.Headers)-1].Name != "www-authenticate" {
			t.Errorf("%s page: the failure's headers are not added: %v", lang, p.Headers)
		}
	}
	for _, r := range []*Response{j, e.answer(f, asPage, "en")} {
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("the detail reached the body:\n%s", r.Body)
		}
	}
	is(t, "detail logged once per answer", strings.Join(logged, "|"), strings.Repeat(secret+"|", 3)+secret)

	// An unknown reason shows invalid_request's text rather than failing.
	is(t, "unknown reason", string(e.page("fr", pageFailure(400, "no_such_reason")).Body), string(e.page("fr", pageFailure(400, "invalid_request")).Body))
}
