package oidc

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// discoveryDoc is a realistic discovery document (Keycloak-like), with changes applied:
// a nil value deletes the member.
func discoveryDoc(t testing.TB, issuer string, changes ...any) []byte {
	t.Helper()
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/protocol/openid-connect/auth",
		"token_endpoint":                        issuer + "/protocol/openid-connect/token",
		"jwks_uri":                              issuer + "/protocol/openid-connect/certs",
		"end_session_endpoint":                  issuer + "/protocol/openid-connect/logout",
		"userinfo_endpoint":                     issuer + "/protocol/openid-connect/userinfo",
		"frontchannel_logout_supported":         true,
		"frontchannel_logout_session_supported": true,
		"backchannel_logout_supported":          true,
		"backchannel_logout_session_supported":  false,
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"response_types_supported":              []string{"code"},
		"some_vendor_extension":                 map[string]any{"x": 1},
	}
	b, err := json.Marshal(with(doc, changes...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseDiscovery(t *testing.T) {
	m, err := ParseDiscovery(discoveryDoc(t, testIssuer), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	want := &ProviderMetadata{
		Issuer:                             testIssuer,
		AuthorizationEndpoint:              testIssuer + "/protocol/openid-connect/auth",
		TokenEndpoint:                      testIssuer + "/protocol/openid-connect/token",
		JWKSURI:                            testIssuer + "/protocol/openid-connect/certs",
		EndSessionEndpoint:                 testIssuer + "/protocol/openid-connect/logout",
		FrontchannelLogoutSupported:        true,
		FrontchannelLogoutSessionSupported: true,
		BackchannelLogoutSupported:         true,
		IDTokenSigningAlgValuesSupported:   []string{"RS256", "ES256"},
		CodeChallengeMethodsSupported:      []string{"plain", "S256"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got  %+v\nwant %+v", m, want)
	}
	// The parsed form round-trips through its JSON, for caching.
	b, _ := json.Marshal(m)
	if again, err := ParseDiscovery(b, testIssuer); err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("cached copy does not parse back: %v", err)
	}
}

func TestParseDiscoveryLocalHTTP(t *testing.T) {
	for _, issuer := range []string{
		"http://localhost:8080/realms/x",
		"http://127.0.0.1:9000",
		"http://[::1]:9000",
		"http://idp.test",
		"http://op.exeunt.localhost:3000",
		"https://login.microsoftonline.com/tenant/v2.0",
	} {
		t.Run(issuer, func(t *testing.T) {
			if _, err := ParseDiscovery(discoveryDoc(t, issuer), issuer); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseDiscoveryRejects(t *testing.T) {
	tests := []struct {
		name     string
		doc      []byte
		expected string
		want     error  // besides ErrDiscovery
		field    string // the message must name it
	}{
		{"issuer mismatch", discoveryDoc(t, "https://evil.example"), testIssuer, ErrIssuer, "issuer"},
		{"issuer with a trailing slash", discoveryDoc(t, testIssuer+"/"), testIssuer, ErrIssuer, "issuer"},
		{"issuer differs in case", discoveryDoc(t, strings.ToUpper(testIssuer)), testIssuer, ErrIssuer, "issuer"},
		{"issuer missing", discoveryDoc(t, testIssuer, "issuer", nil), testIssuer, ErrIssuer, "issuer"},
		{"authorization_endpoint missing", discoveryDoc(t, testIssuer, "authorization_endpoint", nil), testIssuer, nil, "authorization_endpoint"},
		{"token_endpoint missing", discoveryDoc(t, testIssuer, "token_endpoint", nil), testIssuer, nil, "token_endpoint"},
		{"jwks_uri missing", discoveryDoc(t, testIssuer, "jwks_uri", nil), testIssuer, nil, "jwks_uri"},
		{"token_endpoint over http", discoveryDoc(t, testIssuer, "token_endpoint", "http://idp.example.com/token"), testIssuer, nil, "token_endpoint"},
		{"jwks_uri relative", discoveryDoc(t, testIssuer, "jwks_uri", "/certs"), testIssuer, nil, "jwks_uri"},
		{"authorization_endpoint with a fragment", discoveryDoc(t, testIssuer, "authorization_endpoint", testIssuer+"/auth#x"), testIssuer, nil, "authorization_endpoint"},
		{"end_session_endpoint not https", discoveryDoc(t, testIssuer, "end_session_endpoint", "ftp://idp.example.com/logout"), testIssuer, nil, "end_session_endpoint"},
		{"end_session_endpoint with user info", discoveryDoc(t, testIssuer, "end_session_endpoint", "https://u:p@idp.example.com/logout"), testIssuer, nil, "end_session_endpoint"},
		{"http on a public host that mentions localhost", discoveryDoc(t, "http://localhost.evil.example"), "http://localhost.evil.example", nil, "issuer"},
		{"http on another loopback address", discoveryDoc(t, "http://127.0.0.2"), "http://127.0.0.2", nil, "issuer"},
		{"expected issuer with a query", discoveryDoc(t, testIssuer+"?x=1"), testIssuer + "?x=1", nil, "issuer"},
		{"expected issuer empty", discoveryDoc(t, ""), "", nil, "issuer"},
		{"boolean of the wrong type", discoveryDoc(t, testIssuer, "backchannel_logout_supported", "true"), testIssuer, nil, "backchannel_logout_supported"},
		{"not JSON", []byte("<html>"), testIssuer, nil, "JSON"},
		{"a JSON array", []byte("[]"), testIssuer, nil, "JSON"},
		{"too large", []byte(strings.Repeat(" ", maxDocumentSize+1)), testIssuer, nil, "large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseDiscovery(tt.doc, tt.expected)
			wantErr(t, err, ErrDiscovery)
			if tt.want != nil {
				wantErr(t, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %q", err, tt.field)
			}
			if m != nil {
				t.Error("metadata returned with an error")
			}
		})
	}
}

func TestParseDiscoveryEndSessionOptional(t *testing.T) {
	m, err := ParseDiscovery(discoveryDoc(t, testIssuer, "end_session_endpoint", nil), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if m.EndSessionEndpoint != "" || m.BackchannelLogoutSessionSupported {
		t.Errorf("unexpected %+v", m)
	}
}
