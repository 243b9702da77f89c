package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/core/jsonx"
)

// SignES256's header is the bytes json.Marshal wrote for the same header as a map (names
// sorted), whatever the kid and typ hold.
func TestSignES256HeaderAsJSONMarshal(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"", ""}, {"k1", ""}, {"", "JWT"}, {"k1", "logout+jwt"}, {"a<b>&\u2028\"\\", "\xff\t"}} {
		tok, err := SignES256(key, c[0], c[1], []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		got, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{"alg": "ES256"}
		if c[0] != "" {
			m["kid"] = c[0]
		}
		if c[1] != "" {
			m["typ"] = c[1]
		}
		if want, _ := json.Marshal(m); string(got) != string(want) {
			t.Errorf("kid %q typ %q: header %s, json.Marshal %s", c[0], c[1], got, want)
		}
	}
}

// A JWK's members are read as encoding/json reads them into jwkMembers, except that
// names are matched exactly (a "KTY" is not "kty").
func TestJWKMembersAsEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"kty":"EC","crv":"P-256","x":"AQ","y":"Ag","kid":"k","alg":"ES256","use":"sig","key_ops":["verify"]}`,
		`{"kty":"RSA","n":"AQAB","e":"AQAB","x5c":["MII"],"x":null}`, `{"kty":"OKP","crv":"Ed25519","x":"\u0041Q"}`,
		`{}`, `{"n":1}`, `{"kty":true}`, `{"x":["a"]}`, `[]`, `null`, `{"kid":null,"kty":"EC"}`,
	} {
		var want jwkMembers
		wantErr := json.Unmarshal([]byte(doc), &want)
		var got jwkMembers
		gotErr := jsonx.Unmarshal([]byte(doc), &got)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v (%v), encoding/json %+v (%v)", doc, got, gotErr, want, wantErr)
		}
	}
	var m jwkMembers
	if err := jsonx.Unmarshal([]byte(`{"KTY":"EC","Crv":"P-256"}`), &m); err != nil || m.Kty != "" || m.Crv != "" {
		t.Errorf("case variants were read: %+v, %v", m, err)
	}
}
