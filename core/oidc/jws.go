package oidc

import (
	"errors"
	"strings"

	"github.com/exeunt/exeunt/core/jose"
)

// parseJWS parses a compact JWS whose "alg" is in algs. It is the one place tokens are
// parsed, so that size limits and error kinds are the same everywhere.
func parseJWS(token string, algs []string) (*jose.JSONWebSignature, error) {
	if token == "" {
		return nil, errorf(ErrMalformed, "empty token")
	}
	if len(token) > maxTokenSize {
		return nil, errorf(ErrMalformed, "token of %d bytes is too long", len(token))
	}
	obj, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		var unexpected *jose.UnexpectedAlgorithmError
		if errors.As(err, &unexpected) {
			return nil, errorf(ErrAlgorithm, "alg %s is not allowed (allowed: %s)", quote(unexpected.Got), strings.Join(algs, ", "))
		}
		return nil, errorf(ErrMalformed, "not a compact JWS: %v", err)
	}
	return obj, nil
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
