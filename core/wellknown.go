package core

import "encoding/json"

// discoveryDocument is Exeunt's OpenID Provider metadata (OpenID Connect Discovery
// 1.0) as its apps see it: where its keys are and which sign-out features it offers.
// It lists only what is built: apps validate assertions with the JWKS; the sign-out
// endpoints appear as they land.
func (e *Engine) discoveryDocument() *Response {
	doc := map[string]any{
		"issuer":                                e.cfg.Issuer,
		"jwks_uri":                              e.cfg.IssuerOrigin + e.cfg.Paths.JWKS,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      []string{"iss", "aud", "sub", "sid", "idp", "email", "name", "auth_time", "iat", "exp"},
		"frontchannel_logout_supported":         false,
		"backchannel_logout_supported":          false,
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return jsonResponse(200, b, "public, max-age=300")
}

// jwksDocument publishes the public halves of the signing keys, every one of them so
// that assertions signed before a rotation still verify.
func (e *Engine) jwksDocument() *Response {
	return jsonResponse(200, e.keys.signer.PublicJWKS(), "public, max-age=300")
}

func jsonResponse(status int, body []byte, cacheControl string) *Response {
	return &Response{Status: status, Headers: []Header{
		{"content-type", "application/json"},
		{"cache-control", cacheControl},
		{"access-control-allow-origin", "*"},
	}, Body: body}
}
