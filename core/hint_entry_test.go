package core

import (
	"reflect"
	"strings"
	"testing"
)

// TestHintEntryClaimsAreTheDecodedOnes: the fast path of ownAssertion (hint.go) finds the
// cache entry by the names read without decoding the JSON, and answers with the claims
// decoded when the assertion was cached: the same claims that decoding the hint gives,
// and a copy (a caller changing them changes nothing for the next hint).
func TestHintEntryClaimsAreTheDecodedOnes(t *testing.T) {
	s := newSignoutEnv(t, nil)
	hint, sid := s.signedIn()
	if got, aud, ok := hintEntryNames(hint); !ok || got != sid || aud != "app1" {
		t.Fatalf("hintEntryNames: %q %q %v, want %q app1", got, aud, ok, sid)
	}
	cached, found := s.e.cachedAssertionFor(sid, "app1")
	if !found || cached.claims == nil || cached.token != hint {
		t.Fatalf("the cache holds no decoded claims for the hint: %v %+v", found, cached)
	}
	want, ok := assertionPayload(hint)
	if !ok {
		t.Fatal("the hint does not decode")
	}
	for i := 0; i < 2; i++ {
		c, own := s.e.ownAssertion(hint)
		if !own || !reflect.DeepEqual(*c, want) {
			t.Fatalf("ownAssertion: %v %+v, want %+v", own, c, want)
		}
		c.Sub, c.SID = "mallory", "other" // must not reach the cache
	}
}

// TestHintEntryNamesOnlyAsSigned: names spelt otherwise than Exeunt signs them (escaped,
// absent, not a string) or a payload too long to decode on the stack name no entry; such
// a hint goes the whole way (decoded, compared, verified).
func TestHintEntryNamesOnlyAsSigned(t *testing.T) {
	for name, payload := range map[string]string{
		"escaped sid":   `{"aud":"app1","sid":"a\"b"}`,
		"escaped aud":   `{"aud":"app\u0031","sid":"s1"}`,
		"no sid":        `{"aud":"app1"}`,
		"no aud":        `{"sid":"s1"}`,
		"sid a number":  `{"aud":"app1","sid":1}`,
		"unterminated":  `{"aud":"app1","sid":"s1`,
		"too long":      `{"aud":"app1","sid":"s1","x":"` + strings.Repeat("x", maxHintPayload) + `"}`,
		"not base64url": "",
	} {
		raw := b64(`{"alg":"ES256"}`) + "." + b64(payload) + ".sig"
		if name == "not base64url" {
			raw = b64(`{"alg":"ES256"}`) + ".e30+.sig"
		}
		if sid, aud, ok := hintEntryNames(raw); ok {
			t.Errorf("%s: named %q %q", name, sid, aud)
		}
	}
	if sid, aud, ok := hintEntryNames(b64(`{"alg":"ES256"}`) + "." + b64(`{"iss":"x","aud":"app1","sub":"a","sid":"s1"}`) + ".sig"); !ok || sid != "s1" || aud != "app1" {
		t.Errorf("plain names: %q %q %v", sid, aud, ok)
	}
}
