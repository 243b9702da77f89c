package oidc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/core/jose"
	"github.com/exeunt/exeunt/core/jsonx"
)

// The claims sets, discovery documents and key sets are read here as encoding/json read
// them before (the reference types below are the old ones, with their old UnmarshalJSON
// methods), and the metadata written as json.Marshal writes it. The fuzz target runs its
// seeds in each `go test`; longer: go test ./core/oidc/ -fuzz FuzzClaimsAsEncodingJSON.

type refAudience []string

func (a *refAudience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil && data[0] == '"' {
		*a = refAudience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil || data[0] != '[' {
		return errorf(ErrMalformed, "aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

type refDate int64

func (n *refDate) UnmarshalJSON(data []byte) error {
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil || f >= maxNumericDate || f <= -maxNumericDate {
		return errorf(ErrMalformed, "a time claim is not a number of seconds")
	}
	*n = refDate(f)
	return nil
}

type refFlexBool bool

func (b *refFlexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return errorf(ErrMalformed, "email_verified is neither true nor false")
	}
	return nil
}

type refIDClaims struct {
	Issuer          string      `json:"iss"`
	Subject         string      `json:"sub"`
	Audience        refAudience `json:"aud"`
	AuthorizedParty string      `json:"azp"`
	Nonce           string      `json:"nonce"`
	SID             string      `json:"sid"`
	Email           string      `json:"email"`
	Name            string      `json:"name"`
	EmailVerified   refFlexBool `json:"email_verified"`
	IssuedAt        *refDate    `json:"iat"`
	Expiry          *refDate    `json:"exp"`
	AuthTime        *refDate    `json:"auth_time"`
}

type refLogoutClaims struct {
	Issuer   string                     `json:"iss"`
	Subject  string                     `json:"sub"`
	SID      string                     `json:"sid"`
	Audience refAudience                `json:"aud"`
	IssuedAt *refDate                   `json:"iat"`
	Expiry   *refDate                   `json:"exp"`
	JTI      string                     `json:"jti"`
	Events   map[string]json.RawMessage `json:"events"`
	Nonce    json.RawMessage            `json:"nonce"`
}

// refDecodeClaims is decodeClaims as it was, with encoding/json.
func refDecodeClaims(payload []byte, dest any, names claimsReader) error {
	if err := jose.CheckUniqueMembers(payload); err != nil {
		return errorf(ErrMalformed, "claims are not one JSON object with distinct member names: %v", err)
	}
	if err := checkExactClaimNames(payload, names); err != nil {
		return err
	}
	if err := json.Unmarshal(payload, dest); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return errorf(ErrMalformed, "claim %q has the wrong type (%s)", te.Field, te.Value)
		}
		return errorf(ErrMalformed, "claims are not a JSON object of the expected shape: %v", err)
	}
	return nil
}

var claimSeeds = []string{
	`{"iss":"https://op.test","sub":"248289761001","aud":"client-1","nonce":"n-0S6_WzA2Mj","exp":1764770000,"iat":1764760000,"sid":"08a5019c-17e1-4977-8f42-65a12843ea02","email":"janedoe@example.com","email_verified":true,"name":"Jane Doe","auth_time":1764759999.5}`,
	`{"iss":"https://op.test","aud":["c1","c2"],"azp":"c1","email_verified":"false","iat":1.7e9,"exp":17e8,"auth_time":null,"custom":{"a":[1,2]}}`,
	`{"iss":"https://op.test","sub":"u","aud":"c","iat":1764760000,"exp":1764760120,"jti":"j1","events":{"http://schemas.openid.net/event/backchannel-logout":{}},"sid":"s"}`,
	`{"events":{"e":1,"e":{}},"nonce":null}`, `{"events":null}`, `{"events":"x"}`, `{"nonce":"n"}`,
	`{"sub":1}`, `{"sub":1,"aud":null}`, `{"aud":null,"sub":1}`, `{"aud":[1]}`, `{"aud":[]}`, `{"aud":["a",null]}`, `{"aud":{}}`,
	`{"iat":"1"}`, `{"iat":1e400}`, `{"iat":4611686018427387904}`, `{"exp":-1.5}`, `{"email_verified":"TRUE"}`,
	`{"email_verified":null}`, `{"email_verified":1}`, `{"sub":"a","sub":"b"}`, `{"Sub":"a"}`, `{"ſub":"x"}`, `[]`, `"x"`, `{`,
	`{"sub":"\ud800\u00e9\"","name":"caf\u00e9 <b>"}`, `{"iss":true,"sub":[],"jti":{}}`, ` {"sub" : "a" } `,
	// Review of issue 15: one name spelt twice through escapes, numbers as exponents, huge,
	// negative zero and at the bound, garbage after the object, a BOM, bytes that are not
	// UTF-8, a case variant inside events, nonce null in an ID token, deep nesting in an
	// unknown claim, a wrong type after a claim's own refusal.
	`{"sub":"a","\u0073ub":"b"}`, `{"aud":"c","a\u0075d":["c"]}`, `{"exp":1.7e9,"iat":17e8,"auth_time":1e3}`,
	`{"exp":1E18}`, `{"exp":4.611686018427387e18}`, `{"exp":-0}`, `{"exp":-0.0,"iat":1764760000.999}`,
	`{"exp":123456789012345678901234567890}`, `{"sub":"a"} x`, `{"sub":"a"}{}`, "\xef\xbb\xbf{\"sub\":\"a\"}",
	"{\"sid\":\"\xff\xfe\",\"sub\":\"\xed\xa0\x80\"}", `{"events":{"http://schemas.openid.net/event/backchannel-logout":{},"HTTP://schemas.openid.net/event/backchannel-logout":1}}`,
	`{"nonce":null,"sid":null,"iss":null}`, `{"x":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `,"sub":"a"}`,
	`{"aud":1,"sub":2}`, `{"sub":2,"aud":1}`, `{"email_verified":"yes","sub":1}`, `{"sub":1,"email_verified":"yes"}`,
	`{"iat":"now","exp":true}`, `{"events":[],"sub":1}`, `{"sub":1,"events":[]}`,
}

func FuzzClaimsAsEncodingJSON(f *testing.F) {
	for _, s := range claimSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var gotID idTokenClaims
		var wantID refIDClaims
		gotErr, wantErr := decodeClaims(payload, &gotID), refDecodeClaims(payload, &wantID, &gotID)
		sameError(t, payload, gotErr, wantErr)
		if wantErr == nil {
			same(t, payload, gotID.Issuer, wantID.Issuer)
			same(t, payload, gotID.Subject, wantID.Subject)
			same(t, payload, []string(gotID.Audience), []string(wantID.Audience))
			same(t, payload, [5]string{gotID.AuthorizedParty, gotID.Nonce, gotID.SID, gotID.Email, gotID.Name},
				[5]string{wantID.AuthorizedParty, wantID.Nonce, wantID.SID, wantID.Email, wantID.Name})
			same(t, payload, bool(gotID.EmailVerified), bool(wantID.EmailVerified))
			same(t, payload, dates(gotID.IssuedAt, gotID.Expiry, gotID.AuthTime), refDates(wantID.IssuedAt, wantID.Expiry, wantID.AuthTime))
		}
		var gotL logoutTokenClaims
		var wantL refLogoutClaims
		gotErr, wantErr = decodeClaims(payload, &gotL), refDecodeClaims(payload, &wantL, &gotL)
		sameError(t, payload, gotErr, wantErr)
		if wantErr == nil {
			same(t, payload, [4]string{gotL.Issuer, gotL.Subject, gotL.SID, gotL.JTI}, [4]string{wantL.Issuer, wantL.Subject, wantL.SID, wantL.JTI})
			same(t, payload, []string(gotL.Audience), []string(wantL.Audience))
			same(t, payload, dates(gotL.IssuedAt, gotL.Expiry), refDates(wantL.IssuedAt, wantL.Expiry))
			same(t, payload, gotL.Nonce == nil, wantL.Nonce == nil)
			same(t, payload, string(gotL.Nonce), string(wantL.Nonce))
			same(t, payload, gotL.Events == nil, wantL.Events == nil)
			same(t, payload, len(gotL.Events), len(wantL.Events))
			for k, v := range wantL.Events {
				same(t, payload, string(gotL.Events[k]), string(v))
			}
		}
	})
}

func dates(ds ...*numericDate) []string {
	var out []string
	for _, d := range ds {
		if d == nil {
			out = append(out, "absent")
		} else {
			out = append(out, strconv.FormatInt(int64(*d), 10))
		}
	}
	return out
}

func refDates(ds ...*refDate) []string {
	var out []string
	for _, d := range ds {
		if d == nil {
			out = append(out, "absent")
		} else {
			out = append(out, strconv.FormatInt(int64(*d), 10))
		}
	}
	return out
}

func sameError(t *testing.T, in []byte, got, want error) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
		t.Fatalf("%s: error %v, encoding/json %v", in, got, want)
	}
}

func same(t *testing.T, in []byte, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: read %#v, encoding/json %#v", in, got, want)
	}
}

// A discovery document is read as encoding/json reads it into ProviderMetadata (names
// matched exactly: documents with variants are left out), and the metadata written back
// as json.Marshal writes it.
func TestProviderMetadataAsEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"issuer":"https://op.test","authorization_endpoint":"https://op.test/auth","token_endpoint":"https://op.test/token","jwks_uri":"https://op.test/jwks","end_session_endpoint":"https://op.test/session/end?a=1&b=<2>","frontchannel_logout_supported":true,"frontchannel_logout_session_supported":false,"backchannel_logout_supported":true,"backchannel_logout_session_supported":true,"id_token_signing_alg_values_supported":["RS256","ES256"],"code_challenge_methods_supported":["S256"],"scopes_supported":["openid"],"claims_parameter_supported":false}`,
		`{"issuer":"https://op.test"}`, `{"id_token_signing_alg_values_supported":[]}`, `{"id_token_signing_alg_values_supported":null,"issuer":null}`,
		`{"issuer":"a","issuer":"b"}`, `{"backchannel_logout_supported":"true"}`, `{"id_token_signing_alg_values_supported":["RS256",1]}`, `[]`, `1`,
	} {
		var got, want ProviderMetadata
		gotErr := jsonx.Unmarshal([]byte(doc), &got)
		wantErr := json.Unmarshal([]byte(doc), &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%s: error %v, encoding/json %v", doc, gotErr, wantErr)
		}
		if wantErr != nil {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read %+v, encoding/json %+v", doc, got, want)
		}
		wantB, _ := json.Marshal(&want)
		if gotB, err := jsonx.Marshal(&got); err != nil || !bytes.Equal(gotB, wantB) {
			t.Fatalf("%s: written %s, json.Marshal %s", doc, gotB, wantB)
		}
	}
}

// A JWK Set's "keys" and each key's members are read as encoding/json read them.
func TestJWKSShapeAsEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"keys":[{"kty":"EC","kid":"a"},null,[1],{"kid":1},{"kid":"x","kid":"y"}]}`, `{"keys":null}`, `{}`, `{"keys":{}}`,
		`{"keys":[]}`, `[]`, `null`, `{"keys":[1],"keys":[{"k":"v"}]}`,
	} {
		var want struct {
			Keys *[]json.RawMessage `json:"keys"`
		}
		wantErr := json.Unmarshal([]byte(doc), &want)
		var got jwksDocument
		gotErr := jsonx.Unmarshal([]byte(doc), &got)
		if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && (got.Keys == nil) != (want.Keys == nil)) {
			t.Fatalf("%s: %v (%v), encoding/json %v (%v)", doc, got.Keys, gotErr, want.Keys, wantErr)
		}
		if wantErr != nil || want.Keys == nil {
			continue
		}
		if len(*got.Keys) != len(*want.Keys) {
			t.Fatalf("%s: %d keys, encoding/json %d", doc, len(*got.Keys), len(*want.Keys))
		}
		for i, raw := range *want.Keys {
			if !bytes.Equal((*got.Keys)[i], raw) {
				t.Fatalf("%s: key %d %s, encoding/json %s", doc, i, (*got.Keys)[i], raw)
			}
			var wantM map[string]json.RawMessage
			wantMErr := json.Unmarshal(raw, &wantM)
			gotM, gotMErr := objectMembers(raw)
			if (gotMErr == nil) != (wantMErr == nil) || (gotM == nil) != (wantM == nil) || len(gotM) != len(wantM) {
				t.Fatalf("%s: members of key %d %q (%v), encoding/json %q (%v)", doc, i, gotM, gotMErr, wantM, wantMErr)
			}
			for k, v := range wantM {
				if !bytes.Equal(gotM[k], v) {
					t.Fatalf("%s: member %q %s, encoding/json %s", doc, k, gotM[k], v)
				}
			}
			if got, want := jsonString(gotM["kid"]), refJSONString(wantM["kid"]); got != want {
				t.Fatalf("%s: kid %q, encoding/json %q", doc, got, want)
			}
		}
	}
}

func refJSONString(data json.RawMessage) string {
	var s string
	if data == nil || json.Unmarshal(data, &s) != nil {
		return ""
	}
	return s
}

// Sign's payload is what json.Marshal writes for the same claims.
func TestSignPayloadAsJSONMarshal(t *testing.T) {
	s := newSigner(t, signingKey(t, "sig-1"))
	lc, err := NewLogoutTokenClaims("https://edge.test", "c<1>", "sub&", "sid\u2028", time.Unix(1764760000, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, claims := range []map[string]any{lc, {"sub": "a", "n": 1, "f": 1.5, "b": false, "l": []string{"x"}, "z": nil}} {
		tok, err := s.Sign("JWT", claims)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := s.VerifyOwn(tok, "JWT")
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := json.Marshal(claims); !bytes.Equal(payload, want) {
			t.Errorf("payload %s, json.Marshal %s", payload, want)
		}
	}
	if _, err := s.Sign("JWT", []int{1}); err == nil || !strings.Contains(err.Error(), "do not serialize") {
		t.Errorf("Sign([]int) = %v", err)
	}
}
