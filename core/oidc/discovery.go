package oidc

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// maxDocumentSize bounds the discovery documents and key sets this package parses.
const maxDocumentSize = 1 << 20

// ProviderMetadata is what Exeunt uses of a provider's discovery document (OpenID Connect
// Discovery 1.0 §3, RP-Initiated Logout 1.0 §2.1, Front-Channel Logout 1.0 §3, Back-Channel
// Logout 1.0 §2.1, RFC 8414 §2 for code_challenge_methods_supported, RFC 9207 §3 for
// authorization_response_iss_parameter_supported). Its JSON form is the
// discovery document's, so a parsed copy can be cached as it is.
type ProviderMetadata struct {
	// Issuer is the provider's issuer identifier, equal to the expected one.
	Issuer string `json:"issuer"`
	// AuthorizationEndpoint is where sign-in sends the browser.
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	// TokenEndpoint is where the code is exchanged, through the provider's cluster.
	TokenEndpoint string `json:"token_endpoint"`
	// JWKSURI is where the provider's signing keys are fetched.
	JWKSURI string `json:"jwks_uri"`
	// EndSessionEndpoint is the provider's RP-Initiated Logout endpoint; empty when the
	// provider has none (it is then signed out of locally only).
	EndSessionEndpoint string `json:"end_session_endpoint,omitempty"`

	// FrontchannelLogoutSupported: the provider can sign us out through the browser.
	FrontchannelLogoutSupported bool `json:"frontchannel_logout_supported,omitempty"`
	// FrontchannelLogoutSessionSupported: it then sends iss and sid.
	FrontchannelLogoutSessionSupported bool `json:"frontchannel_logout_session_supported,omitempty"`
	// BackchannelLogoutSupported: the provider can POST logout tokens to us.
	BackchannelLogoutSupported bool `json:"backchannel_logout_supported,omitempty"`
	// BackchannelLogoutSessionSupported: its logout tokens then carry sid.
	BackchannelLogoutSessionSupported bool `json:"backchannel_logout_session_supported,omitempty"`

	// IDTokenSigningAlgValuesSupported lists the algorithms the provider may sign ID
	// tokens with.
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported,omitempty"`
	// CodeChallengeMethodsSupported lists the PKCE methods it supports, when it says.
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported,omitempty"`
	// AuthorizationResponseIssParameterSupported: the provider names itself in the iss
	// parameter of every authorization response (RFC 9207 §3), so a response without it
	// did not come from this provider and is refused (RFC 9207 §2.4).
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// ParseDiscovery reads a provider's discovery document (the JSON served at
// {issuer}/.well-known/openid-configuration) and checks what Exeunt relies on:
//
//   - "issuer" is identical to expectedIssuer, byte for byte (Discovery §4.3), so that a
//     document served for one provider can never be used for another;
//   - authorization_endpoint, token_endpoint and jwks_uri are present, and they and any
//     end_session_endpoint are absolute https URLs without a fragment (http is accepted
//     only for local hosts: localhost, 127.0.0.1, ::1, *.localhost and *.test).
//
// Every failure wraps [ErrDiscovery] (and [ErrIssuer] for an issuer mismatch) and names
// the field.
func ParseDiscovery(doc []byte, expectedIssuer string) (*ProviderMetadata, error) {
	if len(doc) > maxDocumentSize {
		return nil, errorf(ErrDiscovery, "document of %d bytes is too large", len(doc))
	}
	if problem := checkIssuerURL(expectedIssuer); problem != "" {
		return nil, errorf(ErrDiscovery, "expected issuer %s %s", quote(expectedIssuer), problem)
	}
	var m ProviderMetadata
	if err := jsonx.Unmarshal(doc, &m); err != nil {
		return nil, errorf(ErrDiscovery, "not a JSON object of the expected shape: %v", err)
	}
	if m.Issuer != expectedIssuer {
		return nil, errorf(ErrDiscovery, "%w: issuer is %s, want %s exactly", ErrIssuer, quote(m.Issuer), quote(expectedIssuer))
	}
	for _, f := range []struct {
		name     string
		value    string
		required bool
	}{
		{"authorization_endpoint", m.AuthorizationEndpoint, true},
		{"token_endpoint", m.TokenEndpoint, true},
		{"jwks_uri", m.JWKSURI, true},
		{"end_session_endpoint", m.EndSessionEndpoint, false},
	} {
		if f.value == "" {
			if f.required {
				return nil, errorf(ErrDiscovery, "%s is missing", f.name)
			}
			continue
		}
		if problem := checkEndpoint(f.value); problem != "" {
			return nil, errorf(ErrDiscovery, "%s %s %s", f.name, quote(f.value), problem)
		}
	}
	return &m, nil
}

// checkIssuerURL says what is wrong with an issuer identifier (Discovery §2: a URL "using
// the https scheme with no query or fragment components"), or "" when nothing is.
func checkIssuerURL(s string) string {
	if problem := checkEndpoint(s); problem != "" {
		return problem
	}
	if strings.Contains(s, "?") {
		return "must not have a query"
	}
	return ""
}

// checkEndpoint says what is wrong with an endpoint URL, or "" when nothing is.
func checkEndpoint(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "is not an absolute URL"
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "must not have a fragment"
	}
	if u.User != nil {
		return "must not carry user information"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if isLocalHost(u.Hostname()) {
			return ""
		}
		return "must use https (http only for localhost, loopback, *.localhost and *.test)"
	default:
		return "must use https"
	}
}

// isLocalHost reports whether host names this machine or a test-only domain (RFC 6761):
// the only hosts an endpoint may be reached at over plain http.
func isLocalHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".test") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || ip == netip.IPv6Loopback())
}
