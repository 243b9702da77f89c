package oidc

import (
	"github.com/exeunt/exeunt/core/jose"
	"github.com/exeunt/exeunt/core/jsonx"
)

// privateJWKMembers are the JWK members that carry private or symmetric key material
// (RFC 7518 §6.2.2, §6.3.2, §6.4; "priv" for AKP keys). A provider that publishes any of
// them has leaked a key; its set is refused as a whole.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// ParseJWKS reads a provider's JSON Web Key Set (the document at its jwks_uri).
//
// Keys of a type or curve this package does not understand are skipped, as RFC 7517 §5
// asks. A key with private or symmetric material ("oct" keys, "d", "k", ...) fails the
// whole set: a provider must never publish one, and trusting a set that contains one would
// let anyone who read it sign. At least one key usable for signatures must remain.
// Failures wrap [ErrJWKS].
func ParseJWKS(doc []byte) (*jose.JSONWebKeySet, error) {
	if len(doc) > maxDocumentSize {
		return nil, errorf(ErrJWKS, "document of %d bytes is too large", len(doc))
	}
	var raw jwksDocument
	if err := jsonx.Unmarshal(doc, &raw); err != nil {
		return nil, errorf(ErrJWKS, "not a JSON object with a \"keys\" array: %v", err)
	}
	if raw.Keys == nil {
		return nil, errorf(ErrJWKS, "no \"keys\" member")
	}
	set := &jose.JSONWebKeySet{}
	signing := 0
	for i, data := range *raw.Keys {
		members, err := objectMembers(data)
		if err != nil {
			return nil, errorf(ErrJWKS, "key %d is not a JSON object", i)
		}
		kid := jsonString(members["kid"])
		for _, m := range privateJWKMembers {
			if _, ok := members[m]; ok {
				return nil, errorf(ErrJWKS, "key %d (kid %s) contains private or symmetric key material (%q): a provider must publish public keys only", i, quote(kid), m)
			}
		}
		if jsonString(members["kty"]) == "oct" {
			return nil, errorf(ErrJWKS, "key %d (kid %s) is a symmetric key: a provider must publish public keys only", i, quote(kid))
		}
		key, err := jose.ParseJWK(data)
		if err != nil {
			// RFC 7517 §5: ignore keys whose type, curve or members are not understood.
			continue
		}
		set.Keys = append(set.Keys, key)
		if key.Use == "" || key.Use == "sig" {
			signing++
		}
	}
	if signing == 0 {
		return nil, errorf(ErrJWKS, "no usable signature key among %d", len(*raw.Keys))
	}
	return set, nil
}

// jsonString decodes a JSON string member, or returns "" when it is absent or not a string.
func jsonString(data []byte) string {
	var s string
	if data == nil || jsonx.Decode(data, func(d *jsonx.Decoder) error { return d.String(&s) }) != nil {
		return ""
	}
	return s
}
