package core

import (
	"math/rand/v2"
	"net/url"
	"testing"
)

// TestEncodeQueryIsValuesEncode holds encodeQuery to url.Values.Encode, which it replaced,
// on random maps of distinct names (given in random order) with values that need escaping.
func TestEncodeQueryIsValuesEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	parts := []string{"", "a", "client_id", "state", "x y", "é", "&=", "?#", "+%2F", "redirect_uri", "https://app.test/cb?x=1"}
	for range 2000 {
		v := url.Values{}
		var pairs []string
		for range r.IntN(8) {
			name := parts[r.IntN(len(parts))] + parts[r.IntN(len(parts))]
			if _, dup := v[name]; dup {
				continue
			}
			value := parts[r.IntN(len(parts))] + parts[r.IntN(len(parts))]
			v.Set(name, value)
			pairs = append(pairs, name, value)
		}
		if got, want := encodeQuery(pairs...), v.Encode(); got != want {
			t.Fatalf("%q: got %q, want %q", pairs, got, want)
		}
	}
}
