package oidc

import (
	"encoding/base64"
	"testing"
)

func TestRandomID(t *testing.T) {
	for _, n := range []int{0, 1, 16, 32, 33} {
		id := RandomID(n)
		if want := base64.RawURLEncoding.EncodedLen(n); len(id) != want {
			t.Errorf("RandomID(%d) has %d characters, want %d", n, len(id), want)
		}
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) != n {
			t.Errorf("RandomID(%d) = %q is not unpadded base64url of %d bytes", n, id, n)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		id := RandomID(16)
		if seen[id] {
			t.Fatalf("RandomID(16) repeated %q", id)
		}
		seen[id] = true
	}
}
