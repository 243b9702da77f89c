package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// rawSign signs header and payload (JSON, as given) with priv under alg: tokens no
// well-behaved library would write, to feed the verifiers.
func rawSign(tb testing.TB, alg string, priv any, header, payload string) string {
	tb.Helper()
	input := encodePart([]byte(header)) + "." + encodePart([]byte(payload))
	var sig []byte
	var err error
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		r, s, e := ecdsa.Sign(rand.Reader, k, d[:])
		err = e
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	case *rsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(input))
	}
	if err != nil {
		tb.Fatal(err)
	}
	return input + "." + encodePart(sig)
}

// TestHostileTokens: what an attacker sends is refused here, and (except where
// differences_test.go says otherwise) by go-jose too.
func TestHostileTokens(t *testing.T) {
	k := keys(t)
	ecPub, rsaPub := &k.p256.PublicKey, &k.rsa.PublicKey
	good := goSign(t, ES256, k.p256, "k1", "JWT", []byte(`{"sub":"a"}`), nil)
	// The "standard base64 alphabet" case needs a '-' or '_' to replace: without one (about
	// 1 signature in 15) the token was left valid and the case failed by chance. ECDSA
	// signatures are randomised, so sign again until one appears.
	for i := 0; !strings.ContainsAny(good, "-_"); i++ {
		if i == 100 {
			t.Fatal("100 ES256 signatures without a '-' or '_' in their base64url")
		}
		good = goSign(t, ES256, k.p256, "k1", "JWT", []byte(`{"sub":"a"}`), nil)
	}
	parts := strings.Split(good, ".")
	sig, _ := decodePart(parts[2])
	rsaGood := goSign(t, RS256, k.rsa, "k1", "", []byte(`{"sub":"a"}`), nil)
	rsaParts := strings.Split(rsaGood, ".")
	rsaSig, _ := decodePart(rsaParts[2])

	// HS256 "signed" with the provider's RSA public key as the HMAC secret: what a
	// verifier that lets the token choose the algorithm would accept.
	rsaPubDER, _ := (&k.rsa.PublicKey).N.MarshalText()
	hs := goSign(t, "HS256", rsaPubDER, "k1", "", []byte(`{"sub":"a"}`), nil)

	// The DER signature a naive ECDSA signer writes, instead of r||s.
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	der, _ := ecdsa.SignASN1(rand.Reader, k.p256, d[:])

	for _, tt := range []struct {
		name  string
		token string
		algs  []string
		key   any
		want  error // nil: an *UnexpectedAlgorithmError
	}{
		{"alg none", encodePart([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", allAlgs, ecPub, nil},
		{"alg none with none allowed", encodePart([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", []string{"none"}, ecPub, nil},
		{"alg None", encodePart([]byte(`{"alg":"None"}`)) + "." + parts[1] + ".", allAlgs, ecPub, nil},
		{"HS256 with the RSA key as secret", hs, []string{RS256}, rsaPub, nil},
		{"HS256 with HS256 allowed", hs, []string{"HS256", RS256}, rsaPub, nil},
		{"alg missing", rawSign(t, ES256, k.p256, `{"kid":"k1"}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"alg not a string", rawSign(t, ES256, k.p256, `{"alg":["ES256"]}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"RS256 token, EC key", rsaGood, []string{RS256}, ecPub, ErrKeyMismatch},
		{"ES256 token, P-384 key", good, []string{ES256}, &k.p384.PublicKey, ErrKeyMismatch},
		{"ES256 token, Ed25519 key", good, []string{ES256}, k.ed.Public(), ErrKeyMismatch},
		{"signature truncated by a byte", parts[0] + "." + parts[1] + "." + encodePart(sig[:63]), []string{ES256}, ecPub, ErrSignature},
		{"signature with a byte added", parts[0] + "." + parts[1] + "." + encodePart(append(sig[:64:64], 0)), []string{ES256}, ecPub, ErrSignature},
		{"signature removed", parts[0] + "." + parts[1] + ".", []string{ES256}, ecPub, ErrSignature},
		{"ECDSA signature in DER", parts[0] + "." + parts[1] + "." + encodePart(der), []string{ES256}, ecPub, ErrSignature},
		{"RSA signature truncated", rsaParts[0] + "." + rsaParts[1] + "." + encodePart(rsaSig[:len(rsaSig)-1]), []string{RS256}, rsaPub, ErrSignature},
		{"payload changed", parts[0] + "." + encodePart([]byte(`{"sub":"b"}`)) + "." + parts[2], []string{ES256}, ecPub, ErrSignature},
		{"padded base64", good + "==", []string{ES256}, ecPub, ErrMalformed},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good), []string{ES256}, ecPub, ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], []string{ES256}, ecPub, ErrMalformed},
		{"four parts", good + ".", []string{ES256}, ecPub, ErrMalformed},
		{"JSON serialization", `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, []string{ES256}, ecPub, ErrMalformed},
		{"header not an object", rawSign(t, ES256, k.p256, `["ES256"]`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"header with trailing data", rawSign(t, ES256, k.p256, `{"alg":"ES256"} {}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"duplicate header member", rawSign(t, ES256, k.p256, `{"alg":"ES256","kid":"a","kid":"b"}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"duplicate alg, the last allowed", rawSign(t, ES256, k.p256, `{"alg":"none","alg":"ES256"}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"duplicate alg, escaped", rawSign(t, ES256, k.p256, `{"alg":"none","\u0061lg":"ES256"}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"kid not a string", rawSign(t, ES256, k.p256, `{"alg":"ES256","kid":1}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"crit with an unknown name", rawSign(t, ES256, k.p256, `{"alg":"ES256","crit":["exp"],"exp":1}`, `{}`), allAlgs, ecPub, ErrMalformed},
		{"oversized", parts[0] + "." + encodePart(make([]byte, MaxCompactSize)) + "." + parts[2], []string{ES256}, ecPub, ErrMalformed},
		{"empty", "", allAlgs, ecPub, ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ours(tt.token, tt.algs, tt.key)
			if err == nil {
				t.Fatalf("accepted, payload %q", got)
			}
			var unexpected *UnexpectedAlgorithmError
			if tt.want == nil && !errors.As(err, &unexpected) || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			goAlgs := tt.algs
			if tt.name == "oversized" {
				return // go-jose has no size limit: differences_test.go
			}
			if p, err := theirs(tt.token, goAlgs, tt.key); err == nil {
				t.Errorf("go-jose accepts it (payload %q): this case belongs in differences_test.go", p)
			}
		})
	}
}

// TestHighS: ECDSA defines (r, s) and (r, n-s) as both valid. Neither go-jose nor this
// package refuses the second ("high S"); a token can thus be re-spelled by anyone
// without the key, so nothing may treat a provider token's bytes as its identity
// (core compares the bytes of an id_token_hint only with an assertion it signed itself,
// and then still requires that exact spelling).
func TestHighS(t *testing.T) {
	k := keys(t)
	tok := goSign(t, ES256, k.p256, "k1", "JWT", []byte(`{"sub":"a"}`), nil)
	parts := strings.Split(tok, ".")
	sig, _ := decodePart(parts[2])
	n := k.p256.Curve.Params().N
	s := new(big.Int).SetBytes(sig[32:])
	flipped := append(sig[:32:32], new(big.Int).Sub(n, s).FillBytes(make([]byte, 32))...)
	other := parts[0] + "." + parts[1] + "." + encodePart(flipped)
	if _, err := ours(other, []string{ES256}, &k.p256.PublicKey); err != nil {
		t.Errorf("ours refuses the other S: %v", err)
	}
	if _, err := theirs(other, []string{ES256}, &k.p256.PublicKey); err != nil {
		t.Errorf("go-jose refuses the other S: %v", err)
	}
}
