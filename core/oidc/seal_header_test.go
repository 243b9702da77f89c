package oidc

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/jose"
)

// TestSealHeaderIsEncryptDirs: the header Seal writes directly (sealHeader) is, byte for
// byte, the one EncryptDir writes from the map Seal gave it before, for plain and for
// unusual purposes, kids and expiries; a kid or purpose JSON would escape goes through
// the map.
func TestSealHeaderIsEncryptDirs(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, SealingKeySize)
	now := time.Unix(1_700_000_000, 0)
	for _, c := range []struct {
		kid, purpose string
		exp          int64
	}{
		{"k1", "session", now.Unix() + 3600},
		{"2026-12", "logout-confirm", 1},
		{"key with spaces~", "unconfirmed", 1 << 40},
		{"k", "x", now.Unix() + 1},
		{`k"1`, "logout", now.Unix() + 60},
		{"k1", "<purpose>", now.Unix() + 60},
		{"k\u00e91", "logout", now.Unix() + 60},
		{"k1", "tab\there", now.Unix() + 60},
		{`back\slash`, "a&b", now.Unix() + 60},
	} {
		s, err := NewSealer([]SealingKey{{KID: c.kid, Secret: secret}})
		if err != nil {
			t.Fatal(err)
		}
		exp := time.Unix(c.exp, 0)
		sealed, err := s.Seal(c.purpose, []byte("payload"), exp.Add(-time.Second), exp)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jose.EncryptDirA256GCM(secret, c.kid, map[string]any{headerPurpose: c.purpose, headerExpiry: c.exp}, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := strings.Cut(sealed, ".")
		if w, _, _ := strings.Cut(want, "."); got != w {
			t.Errorf("kid %q, purpose %q: header %s, EncryptDir's %s", c.kid, c.purpose, got, w)
		}
		_, direct := sealHeader(c.kid, c.purpose, c.exp)
		if plain := plainHeaderString(c.kid) && plainHeaderString(c.purpose); direct != plain {
			t.Errorf("kid %q, purpose %q: written directly %v", c.kid, c.purpose, direct)
		}
		if payload, err := s.Open(c.purpose, sealed, exp.Add(-time.Second)); err != nil || string(payload) != "payload" {
			t.Errorf("kid %q, purpose %q: opens to %q, %v", c.kid, c.purpose, payload, err)
		}
	}
}
