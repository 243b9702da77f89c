package oidc_test

import (
	"fmt"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

func ExampleSealer() {
	newKey, _ := oidc.GenerateSealingKey("2026-03")
	oldKey, _ := oidc.GenerateSealingKey("2026-01")
	sealer, err := oidc.NewSealer([]oidc.SealingKey{newKey, oldKey}) // the first seals
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	cookie, _ := sealer.Seal("session", []byte(`{"sid":"abc"}`), now, now.Add(8*time.Hour))

	payload, err := sealer.Open("session", cookie, now.Add(time.Hour))
	fmt.Println(string(payload), err)
	_, err = sealer.Open("logout", cookie, now.Add(time.Hour))
	fmt.Println(err)
	_, err = sealer.Open("session", cookie, now.Add(9*time.Hour))
	fmt.Println(err)
	// Output:
	// {"sid":"abc"} <nil>
	// oidc: invalid sealed value: sealed for another purpose
	// oidc: expired: sealed value expired at 2026-03-14T23:09:26Z
}

func ExamplePKCEChallenge() {
	// RFC 7636, Appendix B.
	fmt.Println(oidc.PKCEChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
	// Output: E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
}

func ExampleNewLogoutTokenClaims() {
	key, _ := oidc.GenerateSigningKey("sig-1")
	signer, _ := oidc.NewSigner([]oidc.SigningKey{key})
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	claims, _ := oidc.NewLogoutTokenClaims("https://edge.example", "app-1", "alice", "sid-1", now, time.Minute)
	token, _ := signer.Sign(oidc.LogoutTokenType, claims)

	_, err := signer.VerifyOwn(token, oidc.LogoutTokenType)
	fmt.Println(err)
	// Output: <nil>
}
