package core

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/core/jsonx"
	"github.com/exeunt/exeunt/core/oidc"
)

// Exeunt's records, sealed values and answers are written byte for byte as json.Marshal
// wrote them from the types' tags (encoding/json still reads the tags here, in tests), and
// read as json.Unmarshal read them: a cookie sealed or a record stored by a replica not yet
// upgraded opens the same, and one written after the upgrade opens in a replica not yet
// upgraded. The fuzz target runs its seeds in each `go test`; longer:
// go test ./core/ -run '^$' -fuzz FuzzRecordsAsEncodingJSON.

type record interface {
	jsonx.Marshaler
	jsonx.Unmarshaler
}

func recordSamples() []record {
	yes, no := true, false
	meta := &oidc.ProviderMetadata{Issuer: "https://op.test", AuthorizationEndpoint: "https://op.test/auth?x=<1>&y", TokenEndpoint: "t",
		JWKSURI: "j", EndSessionEndpoint: "e", BackchannelLogoutSupported: true, IDTokenSigningAlgValuesSupported: []string{"RS256"}}
	return []record{
		&session{}, &session{SID: "s", Sub: "u\u2028<x>&", IdP: "oidc", Iss: "https://op.test", PSID: "p", IDToken: "a.b.c", Email: "e@x",
			Name: "Zoë \xff", AuthTime: 1, Created: -2, Expires: 1 << 40, Seen: 3, Clients: []string{"app1", "app2"}, EmailVerified: true},
		&session{SID: "s", Clients: []string{}},
		&sessionRecord{}, &sessionRecord{SID: "s", Sub: "u", IdP: "i", Iss: "x", PSID: "p", Clients: []string{"a"}, Expires: 9},
		&deliveryJob{}, &deliveryJob{Sub: "u", SID: "s", Trigger: "rp_logout", Deadline: 5, Items: []deliveryItem{}},
		&deliveryJob{Items: []deliveryItem{{Client: "a", Due: 1}, {Client: "b", Attempts: 3, Due: 2, Lease: 4}}},
		&logoutContext{}, &logoutContext{ID: "i", ClientID: "c", RedirectURI: "https://app.test/?a=1&b=<2>", State: "st", UILocales: "de fr",
			LogoutHint: "h", SID: "s", Sub: "u", IdP: "p", Clients: []string{"x"}, Prompt: true, SignedOut: true, Expires: 77},
		&flowState{}, &flowState{State: "s", Nonce: "n", Verifier: "v", Provider: "p", Return: "/a?b=<c>"},
		&csrfClaims{}, &csrfClaims{Context: "c", JTI: "j"},
		&assertionClaims{}, &assertionClaims{Iss: "i", Aud: "a", Sub: "s", SID: "d", IdP: "p", Email: "e", Name: "n", AuthTime: 1, Iat: 2, Exp: 3, EmailVerified: &yes},
		&assertionClaims{EmailVerified: &no},
		&providerState{}, &providerState{Metadata: meta, JWKS: []byte(` {"keys" : [ {"kid":"<a>"} ] } `), FetchedAt: 1, TriedAt: 2, FailedAt: 3, LastError: "x"},
		&devKeys{}, &devKeys{Sealing: []string{"-----BEGIN PRIVATE KEY-----\nAB==\n-----END PRIVATE KEY-----\n"}, Signing: []string{}},
	}
}

func TestRecordsAsEncodingJSON(t *testing.T) {
	for _, r := range recordSamples() {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonx.Marshal(r)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%T:\n got %s (%v)\nwant %s", r, got, err, want)
		}
		checkRead(t, r, want)
	}
	// Written without a type of their own: the answers' JSON.
	for _, c := range []checkSessionConfig{{}, {Cookie: "c", Clients: map[string][]string{"b": {"https://b.test"}, "a": nil, "<&>": {}}}} {
		want, _ := json.Marshal(c)
		if got, _ := jsonx.Marshal(&c); !bytes.Equal(got, want) {
			t.Errorf("checkSessionConfig:\n got %s\nwant %s", got, want)
		}
	}
	for _, a := range []logoutContextAnswer{{}, {ClientID: "c", ClientName: "C<>", PostLogoutRedirectURI: "u", State: "s", UILocales: "l",
		ShowSignoutPrompt: true, SignedOut: true, FrontchannelLogout: []contextFrame{{"a", "https://a.test/fc?iss=x&sid=y"}}, Expires: 5, Withheld: true},
		{FrontchannelLogout: []contextFrame{}}} {
		want, _ := json.MarshalIndent(a, "", "  ")
		compact, _ := jsonx.Marshal(&a)
		if got := jsonx.Indent(compact, "", "  "); !bytes.Equal(got, want) {
			t.Errorf("logoutContextAnswer:\n got %s\nwant %s", got, want)
		}
	}
}

// checkRead reads data into a new value of r's type both ways and compares.
func checkRead(t *testing.T, r record, data []byte) {
	t.Helper()
	want := reflect.New(reflect.TypeOf(r).Elem()).Interface()
	got := reflect.New(reflect.TypeOf(r).Elem()).Interface().(record)
	wantErr := json.Unmarshal(data, want)
	gotErr := jsonx.Unmarshal(data, got)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%T from %s: error %v, encoding/json %v", r, data, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%T from %s:\n got %+v\nwant %+v", r, data, got, want)
	}
}

// recordNames are the member names the records are read by.
var recordNames = []string{"sid", "sub", "idp", "iss", "psid", "idt", "email", "name", "auth_time", "iat", "exp", "seen", "clients", "ev",
	"trigger", "deadline", "items", "c", "n", "due", "lease", "id", "client_id", "redirect_uri", "state", "ui_locales", "logout_hint",
	"prompt", "signed_out", "nonce", "verifier", "return", "ctx", "jti", "aud", "email_verified", "metadata", "jwks", "fetched_at",
	"tried_at", "failed_at", "last_error", "sealing", "signing", "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
	"end_session_endpoint", "frontchannel_logout_supported", "frontchannel_logout_session_supported", "backchannel_logout_supported",
	"backchannel_logout_session_supported", "id_token_signing_alg_values_supported", "code_challenge_methods_supported"}

func FuzzRecordsAsEncodingJSON(f *testing.F) {
	for _, r := range recordSamples() {
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	for _, s := range []string{`{"sid":null,"clients":null,"exp":1.5}`, `{"exp":"1"}`, `{"items":[{"n":1e2}]}`, `{"items":[null,{}]}`,
		`{"email_verified":null}`, `{"metadata":null,"jwks":null}`, `{"metadata":{"issuer":1}}`, `{"clients":["a",1]}`, `{"sid":"a","sid":"b"}`,
		`{"unknown":{"deep":[1,2]},"sub":"x"}`, `[]`, `null`, `{"exp":99999999999999999999}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if hasVariantOf(data, recordNames) {
			t.Skip("member names are matched exactly here, ignoring case in encoding/json")
		}
		for _, r := range recordSamples() {
			checkRead(t, r, data)
		}
	})
}

// hasVariantOf reports a member name in data that is not, but folds to, one of names.
func hasVariantOf(data []byte, names []string) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, n := range names {
					if k != n && strings.EqualFold(k, n) {
						return true
					}
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// The token endpoint's answer and error are read as json.Unmarshal read them into the
// one-field structs they were.
func TestTokenAnswerMembersAsEncodingJSON(t *testing.T) {
	for _, body := range []string{`{"id_token":"a.b.c","access_token":"x","expires_in":3600}`, `{"id_token":null}`, `{"id_token":1}`,
		`{"id_token":"a","id_token":"b"}`, `null`, `[]`, `"x"`, `{`, ``, `{"error":"invalid_grant","error_description":"<x>"}`, `{"error":["x"]}`} {
		var want struct {
			IDToken string `json:"id_token"`
		}
		wantErr := json.Unmarshal([]byte(body), &want)
		got, gotErr := stringMemberStrict([]byte(body), "id_token")
		if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && got != want.IDToken) {
			t.Errorf("%s: %q (%v), encoding/json %q (%v)", body, got, gotErr, want.IDToken, wantErr)
		}
		var oe struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(body), &oe)
		if got := stringMember([]byte(body), "error"); got != oe.Error && wantErr == nil {
			t.Errorf("%s: error %q, encoding/json %q", body, got, oe.Error)
		}
	}
}
