package oidc

import (
	"errors"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// parseJWS parses a compact JWS whose "alg" is in algs. It is the one place tokens are
// parsed, so that size limits and error kinds are the same everywhere.
func parseJWS(token string, algs []jose.SignatureAlgorithm) (*jose.JSONWebSignature, error) {
	if token == "" {
		return nil, errorf(ErrMalformed, "empty token")
	}
	if len(token) > maxTokenSize {
		return nil, errorf(ErrMalformed, "token of %d bytes is too long", len(token))
	}
	obj, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		var unexpected *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &unexpected) {
			return nil, errorf(ErrAlgorithm, "alg %s is not allowed (allowed: %s)", quote(string(unexpected.Got)), algList(algs))
		}
		return nil, errorf(ErrMalformed, "not a compact JWS: %v", err)
	}
	if len(obj.Signatures) != 1 {
		return nil, errorf(ErrMalformed, "want exactly one signature")
	}
	return obj, nil
}

// headerType returns the JOSE header "typ", or "" when absent or not a string.
func headerType(h jose.Header) string {
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return typ
}

// typeIs compares media types as RFC 7515 §4.1.9 asks: case-insensitively, with
// "application/" optional.
func typeIs(got, want string) bool {
	trim := func(s string) string {
		s = strings.ToLower(s)
		return strings.TrimPrefix(s, "application/")
	}
	return trim(got) == trim(want)
}

// algList renders an allow-list for an error message.
func algList(algs []jose.SignatureAlgorithm) string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}
