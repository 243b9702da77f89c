package core

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The signed-in path's small fast paths (BENCHMARKS.md, "Issue 15: the signed-in path
// and the sign-out") must answer exactly what the library functions they stand in for
// answer.

// fastPathInputs are the ends a cookie pair can have: spaces of every kind, quotes,
// DEL, bytes of multi-byte characters (U+00A0 and U+0085 are spaces to TrimSpace).
var fastPathInputs = func() []string {
	ends := []string{"", " ", "\t", "\n", "\v", "\f", "\r", "\x7f", "\"", "\"\"", "\u00a0", "\u0085", "\u2003", "é", "\xff", "a", "="}
	var out []string
	for _, l := range ends {
		for _, r := range ends {
			for _, mid := range []string{"", "x", "v=1", " \" "} {
				out = append(out, l+mid+r)
			}
		}
	}
	return out
}()

func TestTrimSpaceIsStringsTrimSpace(t *testing.T) {
	for _, s := range fastPathInputs {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Errorf("trimSpace(%q) = %q, strings.TrimSpace says %q", s, got, want)
		}
	}
}

func TestUnquoteIsStringsTrimOfQuotes(t *testing.T) {
	for _, s := range fastPathInputs {
		if got, want := unquote(s), strings.Trim(s, `"`); got != want {
			t.Errorf("unquote(%q) = %q, strings.Trim says %q", s, got, want)
		}
	}
}

// TestAssertionCacheIsPerSessionAndClient: the cache keyed by session id, then client,
// keeps one entry per pair, replaces it in place, and starts over at its bound.
func TestAssertionCacheIsPerSessionAndClient(t *testing.T) {
	c := newVMCaches()
	at := time.Unix(1700000000, 0)
	c.cacheAssertion("s1", "app1", cachedAssertion{exp: at, token: "t1"})
	c.cacheAssertion("s1", "app2", cachedAssertion{exp: at, token: "t2"})
	c.cacheAssertion("s2", "app1", cachedAssertion{exp: at, token: "t3"})
	c.cacheAssertion("s1", "app1", cachedAssertion{exp: at, token: "t4"}) // replaces t1
	for _, k := range []struct{ sid, client, want string }{{"s1", "app1", "t4"}, {"s1", "app2", "t2"}, {"s2", "app1", "t3"}, {"s2", "app2", ""}, {"s3", "app1", ""}} {
		got, ok := c.cachedAssertionFor(k.sid, k.client)
		if ok != (k.want != "") || got.token != k.want {
			t.Errorf("(%s, %s): %q, %v; want %q", k.sid, k.client, got.token, ok, k.want)
		}
	}
	if c.assertionCount != 3 {
		t.Fatalf("count %d, want 3 (a replacement is not a new entry)", c.assertionCount)
	}
	for i := c.assertionCount; i < maxCachedAssertions; i++ {
		c.cacheAssertion("bulk"+strconv.Itoa(i), "app1", cachedAssertion{exp: at})
	}
	if c.assertionCount != maxCachedAssertions {
		t.Fatalf("count %d, want %d", c.assertionCount, maxCachedAssertions)
	}
	c.cacheAssertion("last", "app1", cachedAssertion{exp: at, token: "t5"})
	if c.assertionCount != 1 || len(c.assertions) != 1 {
		t.Fatalf("past the bound the cache did not start over: %d entries, %d sessions", c.assertionCount, len(c.assertions))
	}
	if _, ok := c.cachedAssertionFor("s1", "app1"); ok {
		t.Fatal("an entry from before the start-over is still served")
	}
	if got, ok := c.cachedAssertionFor("last", "app1"); !ok || got.token != "t5" {
		t.Fatalf("the entry that started the cache over is missing: %q %v", got.token, ok)
	}
}

// TestProviderLogoutQueryIsValuesEncode: the query to a provider's end_session_endpoint
// is what url.Values.Encode writes for the same members, with or without the optional
// ones, and with values that need escaping.
func TestProviderLogoutQueryIsValuesEncode(t *testing.T) {
	for _, clientID := range []string{"exeunt", "a b&c=d/é"} {
		for _, hint := range []string{"", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "x+y z%"} {
			for _, uri := range []string{"https://exeunt.test/signout-callback-oidc", "https://h.test/cb?x=1&y=2#f"} {
				for _, ui := range []string{"", "fr en", "fr-CA"} {
					q := url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {uri}}
					if hint != "" {
						q.Set("id_token_hint", hint)
					}
					if ui != "" {
						q.Set("ui_locales", ui)
					}
					if got, want := providerLogoutQuery(clientID, hint, uri, ui), q.Encode(); got != want {
						t.Errorf("providerLogoutQuery(%q, %q, %q, %q) = %q, url.Values.Encode says %q", clientID, hint, uri, ui, got, want)
					}
				}
			}
		}
	}
}
