package jose

import (
	"bytes"
	"strings"
	"testing"
)

// TestEncryptDirDrawsAFreshIV: the AEAD draws each IV (newGCM), so two values sealed with
// one key never share one, and a tampered IV does not open.
func TestEncryptDirDrawsAFreshIV(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	seen := map[string]bool{}
	for range 50 {
		tok, err := EncryptDirA256GCM(key, "k1", nil, []byte("same"))
		if err != nil {
			t.Fatal(err)
		}
		iv := strings.Split(tok, ".")[2]
		if seen[iv] {
			t.Fatalf("IV %s drawn twice", iv)
		}
		seen[iv] = true
		parts := strings.Split(tok, ".")
		b := []byte(parts[2]) // another base64url letter: still 12 bytes, a different IV
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		parts[2] = string(b)
		if _, _, err := DecryptDirA256GCM(strings.Join(parts, "."), func(string) ([]byte, bool) { return key, true }); err == nil {
			t.Fatal("a value with a changed IV opened")
		}
	}
}
