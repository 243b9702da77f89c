package core

import "github.com/exeunt/exeunt/core/jsonx"

// discoveryDocument is Exeunt's OpenID Provider metadata (OpenID Connect Discovery
// 1.0) as its apps see it: where its keys are and which sign-out features it offers.
// Apps validate assertions (and logout tokens) with the JWKS, send users to sign out at
// the end_session_endpoint, and learn that front- and back-channel logout carry sid.
func (e *Engine) discoveryDocument() *Response {
	doc := map[string]any{
		"issuer":                                e.cfg.Issuer,
		"jwks_uri":                              e.cfg.IssuerOrigin + e.cfg.Paths.JWKS,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"subject_types_supported":               []string{"public"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      []string{"iss", "aud", "sub", "sid", "idp", "email", "email_verified", "name", "auth_time", "iat", "exp"},
		"end_session_endpoint":                  e.cfg.IssuerOrigin + e.cfg.Paths.EndSession,
		"frontchannel_logout_supported":         true,
		"frontchannel_logout_session_supported": true,
		"backchannel_logout_supported":          true,
		"backchannel_logout_session_supported":  true,
	}
	if e.cfg.Logout.SessionManagement {
		doc["check_session_iframe"] = e.cfg.IssuerOrigin + e.cfg.Paths.CheckSession
	}
	var w jsonx.Writer
	w.Any(doc) // names sorted, as json.Marshal writes a map
	compact, _ := w.Bytes()
	b := jsonx.Indent(compact, "", "  ")
	return jsonResponse(200, b, "public, max-age=300")
}

// jwksDocument publishes the public halves of the signing keys, every one of them so
// that assertions signed before a rotation still verify.
func (e *Engine) jwksDocument() *Response {
	return jsonResponse(200, e.keys.signer.PublicJWKS(), "public, max-age=300")
}

func jsonResponse(status int, body []byte, cacheControl string) *Response {
	return &Response{Status: status, Headers: []Header{
		{Name: "content-type", Value: "application/json"},
		{Name: "cache-control", Value: cacheControl},
		{Name: "access-control-allow-origin", Value: "*"},
	}, Body: body}
}
