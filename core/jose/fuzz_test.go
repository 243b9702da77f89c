package jose

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// documentedDifference reports whether token is refused here for one of the reasons
// differences_test.go lists, where go-jose accepts it.
func documentedDifference(token string) bool {
	if len(token) > MaxCompactSize {
		return true
	}
	parts := strings.Split(token, ".")
	for _, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err == nil && encodePart(b) != p {
			return true // non-canonical base64
		}
	}
	if len(parts) == 5 && parts[1] != "" {
		return true // a dir JWE with an encrypted key
	}
	raw, ok := decodePart(parts[0])
	if !ok {
		return false
	}
	members, err := parseObject(raw)
	if err != nil {
		return false
	}
	for _, m := range refusedMembers {
		if _, ok := members[m]; ok {
			return true
		}
	}
	typ, ok := members["typ"]
	return ok && typ[0] != '"'
}

// FuzzVerifyAgainstGoJose: on any input, with each of three keys, this package never
// accepts what go-jose refuses, and returns the same payload when both accept; what
// go-jose accepts and this package refuses is one of the documented differences.
func FuzzVerifyAgainstGoJose(f *testing.F) {
	k := keys(f)
	pubs := []any{&k.rsa.PublicKey, &k.p256.PublicKey, k.ed.Public()}
	for _, alg := range []string{RS256, PS256, ES256, EdDSA} {
		priv, _ := k.signerFor(alg)
		f.Add(goSign(f, alg, priv, "k1", "JWT", []byte(`{"sub":"a"}`), nil))
	}
	f.Add(rawSign(f, ES256, k.p256, `{"alg":"ES256","crit":["b64"],"b64":true}`, `{}`))
	f.Add(rawSign(f, ES256, k.p256, `{"alg":"none","alg":"ES256"}`, `{}`))
	f.Add(encodePart([]byte(`{"alg":"none"}`)) + ".e30.")
	f.Fuzz(func(t *testing.T, token string) {
		for _, pub := range pubs {
			got, err := ours(token, allAlgs, pub)
			want, werr := theirs(token, allAlgs, pub)
			switch {
			case err == nil && werr != nil:
				t.Fatalf("accepted what go-jose refuses (%v): %q", werr, token)
			case err == nil && !bytes.Equal(got, want):
				t.Fatalf("payload %q, go-jose's %q", got, want)
			case err != nil && werr == nil && !documentedDifference(token):
				t.Fatalf("refused (%v) what go-jose accepts, for no documented reason: %q", err, token)
			}
		}
	})
}

// FuzzDecryptAgainstGoJose: the same for sealed values.
func FuzzDecryptAgainstGoJose(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	keyFor := func(kid string) ([]byte, bool) { return key, kid == "k1" }
	for _, extra := range []map[string]any{{"exeunt_purpose": "session", "exp": 1}, {}, {"zip": "DEF"}} {
		f.Add(goEncrypt(f, "A256GCM", key, "k1", extra, []byte(`{"sid":"x"}`)))
	}
	f.Fuzz(func(t *testing.T, token string) {
		_, got, err := DecryptDirA256GCM(token, keyFor)
		gh, want, werr := goDecrypt(token, key)
		if werr == nil && gh.KeyID != "k1" {
			werr = ErrUnknownKeyID // go-jose does not choose the key: core/oidc did, by kid
		}
		switch {
		case err == nil && werr != nil:
			t.Fatalf("opened what go-jose refuses (%v): %q", werr, token)
		case err == nil && !bytes.Equal(got, want):
			t.Fatalf("plaintext %q, go-jose's %q", got, want)
		case err != nil && werr == nil && !documentedDifference(token):
			t.Fatalf("refused (%v) what go-jose opens, for no documented reason: %q", err, token)
		}
	})
}
