package oidc

import (
	"strings"
	"testing"
)

// The example of RFC 7636 Appendix B.
func TestPKCEChallengeRFC7636AppendixB(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const want = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := PKCEChallenge(verifier); got != want {
		t.Fatalf("PKCEChallenge = %q, want %q", got, want)
	}
}

func TestNewPKCE(t *testing.T) {
	v1, c1 := NewPKCE()
	v2, _ := NewPKCE()
	if len(v1) != 43 {
		t.Errorf("verifier has %d characters, want 43 (32 bytes)", len(v1))
	}
	// RFC 7636 §4.1: [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
	if strings.Trim(v1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != "" {
		t.Errorf("verifier %q has characters RFC 7636 does not allow", v1)
	}
	if c1 != PKCEChallenge(v1) {
		t.Errorf("challenge is not the S256 of the verifier")
	}
	if v1 == v2 {
		t.Errorf("two verifiers are equal")
	}
}
