package jose

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

// Every known difference between this package and go-jose v4.1.8 (the library it
// replaced), each as a test that fails if either side changes. Stricter here:
//
//   - base64url with non-zero trailing bits, or with CR or LF in it (which
//     encoding/base64 skips): other spellings of the same bytes;
//   - "crit", "b64" and "zip" in a JWS header (go-jose understands "b64" in "crit", and
//     ignores "zip" in a JWS);
//   - "typ" that is not a string (go-jose keeps it as an extra header; core/oidc read it
//     as absent);
//   - RSA keys under 2048 bits (go-jose verifies with them; core/oidc never offered one,
//     its key selection skipped them already);
//   - tokens over MaxCompactSize (core/oidc refused them already);
//   - a dir JWE with a non-empty encrypted key, or non-canonical base64 (core/oidc
//     refused both already, before calling go-jose).
//
// The same on both sides, though easy to get wrong: a header naming a member twice is
// refused (go-jose's JSON fork refuses duplicate keys; TestHostileTokens).
//
// More permissive here, on purpose: members that carry keys or certificates are not
// looked at. go-jose refuses a JWS whose header "jwk" is not a valid public key or whose
// "x5c" does not parse, and a JWK whose "x5c" leaf does not carry the JWK's key or whose
// "x5t" does not match it. Here a token is verified only with keys from the provider's
// key set, never with one it carries, and a provider's key is what its "kty" parameters
// say: trust in it comes from fetching the provider's jwks_uri, not from X.509 (checking
// a chain would need crypto/x509, the package this replacement removes).

func TestStricterThanGoJose(t *testing.T) {
	k := keys(t)
	ecPub := &k.p256.PublicKey
	good := goSign(t, ES256, k.p256, "k1", "JWT", []byte(`{"sub":"a"}`), nil)
	parts := strings.Split(good, ".")
	last := parts[2][len(parts[2])-1:]
	nonCanonical := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + flipLowBit(last)

	for _, tt := range []struct {
		name  string
		token string
		key   any
	}{
		{"non-canonical base64 in the signature", nonCanonical, ecPub},
		// encoding/base64 skips CR and LF even in Strict mode: the same signature
		// spelled with line breaks, which the signing input does not cover.
		{"line break in the signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:], ecPub},
		{"carriage return in the signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r" + parts[2][10:], ecPub},
		{"crit b64", rawSign(t, ES256, k.p256, `{"alg":"ES256","b64":true,"crit":["b64"]}`, `{}`), ecPub},
		{"zip in a JWS", rawSign(t, ES256, k.p256, `{"alg":"ES256","zip":"DEF"}`, `{}`), ecPub},
		{"typ a number", rawSign(t, ES256, k.p256, `{"alg":"ES256","typ":5}`, `{}`), ecPub},
		{"RSA key of 1024 bits", goSign(t, RS256, k.rsaWeak, "", "", []byte(`{}`), nil), &k.rsaWeak.PublicKey},
		{"over MaxCompactSize", goSign(t, ES256, k.p256, "", "", bytes.Repeat([]byte("a"), MaxCompactSize), nil), ecPub},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ours(tt.token, allAlgs, tt.key); err == nil {
				t.Error("accepted")
			}
			if _, err := theirs(tt.token, allAlgs, tt.key); err != nil {
				t.Errorf("go-jose refuses it too (%v): no longer a difference", err)
			}
		})
	}

	key := bytes.Repeat([]byte{7}, 32)
	sealed := goEncrypt(t, gojose.A256GCM, key, "k1", map[string]any{"exp": 1}, []byte("p"))
	sp := strings.Split(sealed, ".")
	for name, tok := range map[string]string{
		"JWE with an encrypted key": sp[0] + ".AAAA." + strings.Join(sp[2:], "."),
		"JWE with non-canonical base64": strings.Join(sp[:4], ".") + "." + sp[4][:len(sp[4])-1] +
			flipLowBit(sp[4][len(sp[4])-1:]),
		"JWE with a line break in the tag": strings.Join(sp[:4], ".") + "." + sp[4][:5] + "\n" + sp[4][5:],
	} {
		if _, _, err := DecryptDirA256GCM(tok, func(string) ([]byte, bool) { return key, true }); err == nil {
			t.Errorf("%s: opened", name)
		}
		if _, _, err := goDecrypt(tok, key); err != nil {
			t.Errorf("%s: go-jose refuses it too (%v): no longer a difference", name, err)
		}
	}
}

// flipLowBit changes the last base64url character to the one with its lowest bit
// flipped: for a part whose last character carries padding bits, the same bytes with
// non-zero trailing bits.
func flipLowBit(c string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.Index(alphabet, c)^1])
}

func TestMorePermissiveThanGoJose(t *testing.T) {
	k := keys(t)
	// A JWS carrying a private key as "jwk": go-jose refuses to parse it; here it is
	// ignored, and the token verifies with the key the caller gives, as any other.
	privJWK, _ := json.Marshal(gojose.JSONWebKey{Key: k.p256b})
	tok := rawSign(t, ES256, k.p256, `{"alg":"ES256","jwk":`+string(privJWK)+`}`, `{}`)
	if _, err := ours(tok, allAlgs, &k.p256.PublicKey); err != nil {
		t.Errorf("ours: %v", err)
	}
	if _, err := theirs(tok, allAlgs, &k.p256.PublicKey); err == nil {
		t.Error("go-jose accepts a header jwk with a private key: no longer a difference")
	}
	if _, err := ours(tok, allAlgs, &k.p256b.PublicKey); err == nil {
		t.Error("verified with the key the token carries")
	}
	// A JWK whose x5c is not a certificate: go-jose skips the key, here x5c is ignored.
	jwk, _ := json.Marshal(gojose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "k"})
	withX5C := strings.Replace(string(jwk), `{`, `{"x5c":["AAAA"],`, 1)
	if _, err := ParseJWK([]byte(withX5C)); err != nil {
		t.Errorf("ours: %v", err)
	}
	var ref gojose.JSONWebKey
	if ref.UnmarshalJSON([]byte(withX5C)) == nil {
		t.Error("go-jose accepts a JWK with a broken x5c: no longer a difference")
	}
}
