package oidc

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"testing"
)

// TestEncodeKeyPEMIsPEMs holds encodeKeyPEM to pem.EncodeToMemory, which it replaced, for
// every length around the line breaks and kids of any spelling.
func TestEncodeKeyPEMIsPEMs(t *testing.T) {
	for _, typ := range []string{pemSigningKey, pemSealingKey} {
		for _, kid := range []string{"k", "2026-12-03 key", "a:b", "é\t\"x\"", ""} {
			for n := range 200 {
				b := make([]byte, n)
				rand.Read(b)
				want := pem.EncodeToMemory(&pem.Block{Type: typ, Headers: map[string]string{pemKIDHeader: kid}, Bytes: b})
				if got := encodeKeyPEM(typ, kid, b); !bytes.Equal(got, want) {
					t.Fatalf("%s, kid %q, %d bytes:\n%s\nwant\n%s", typ, kid, n, got, want)
				}
			}
		}
	}
}
