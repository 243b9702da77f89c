package oidc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"

	"github.com/exeunt/exeunt/core/jose"

	"github.com/exeunt/exeunt/core/jsonx"
)

// maxTokenSize bounds any JWS this package parses. ID tokens with many group claims reach
// a few KiB; nothing legitimate comes near this.
const maxTokenSize = 64 << 10

// SigningKey is one of Exeunt's own token-signing keys: ECDSA on P-256, for ES256.
type SigningKey struct {
	// KID names the key in the header of every token it signs and in the published JWKS.
	KID string
	// Key is the private key; its curve must be P-256.
	Key *ecdsa.PrivateKey
}

// Signer signs Exeunt's own tokens (identity assertions for apps, logout tokens) with
// ES256, verifies tokens it issued, and publishes the public keys. The first key signs,
// every key verifies and is published, so keys rotate without invalidating what was
// issued. It is safe for concurrent use.
type Signer struct {
	current SigningKey
	public  map[string]*ecdsa.PublicKey
	jwks    []byte
}

// NewSigner makes a Signer from keys: the first key signs; all of them verify and are
// published. Key ids must be non-empty and distinct, and every key on P-256.
func NewSigner(keys []SigningKey) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errorf(ErrKey, "no signing key: at least one is needed")
	}
	s := &Signer{current: keys[0], public: make(map[string]*ecdsa.PublicKey, len(keys))}
	published := make([]jose.JSONWebKey, 0, len(keys))
	for i, k := range keys {
		if k.KID == "" {
			return nil, errorf(ErrKey, "signing key %d has an empty kid", i)
		}
		if k.Key == nil || k.Key.Curve != elliptic.P256() {
			return nil, errorf(ErrKey, "signing key %s must be an ECDSA P-256 private key", quote(k.KID))
		}
		if _, dup := s.public[k.KID]; dup {
			return nil, errorf(ErrKey, "signing key id %s is used twice", quote(k.KID))
		}
		pub := &k.Key.PublicKey
		s.public[k.KID] = pub
		published = append(published, jose.JSONWebKey{
			Key: pub, KeyID: k.KID, Algorithm: jose.ES256, Use: "sig",
		})
	}
	var err error
	if s.jwks, err = jose.MarshalPublicJWKS(published); err != nil {
		return nil, errorf(ErrKey, "cannot publish the signing keys: %v", err)
	}
	return s, nil
}

// Sign serializes claims (a [jsonx.Marshaler], or a map[string]any of the types
// [jsonx.Writer.Any] writes) and signs them
// with the current key: a compact JWS whose header carries "alg":"ES256", "kid" and
// "typ" (for example "JWT", or "logout+jwt" for logout tokens; it must not be empty).
// Sign adds no claims of its own: issuer, audience and times are the caller's.
func (s *Signer) Sign(typ string, claims any) (string, error) {
	if typ == "" {
		return "", errors.New(`oidc: sign: empty "typ"`)
	}
	var payload []byte
	var err error
	if m, ok := claims.(jsonx.Marshaler); ok {
		payload, err = jsonx.Marshal(m)
	} else {
		var w jsonx.Writer
		w.Any(claims)
		payload, err = w.Bytes()
	}
	if err != nil {
		return "", errors.New("oidc: sign: claims do not serialize: " + err.Error())
	}
	if !bytes.HasPrefix(payload, []byte("{")) {
		return "", errors.New("oidc: sign: claims must serialize to a JSON object")
	}
	token, err := jose.SignES256(s.current.Key, s.current.KID, typ, payload)
	if err != nil {
		return "", errors.New("oidc: sign: " + err.Error())
	}
	return token, nil
}

// PublicJWKS is the JSON Web Key Set of every key ({"keys":[...]}), public parts only,
// each with "use":"sig", "alg":"ES256" and its "kid": what Exeunt serves at its jwks_uri.
// Each call returns a fresh copy.
func (s *Signer) PublicJWKS() []byte { return bytes.Clone(s.jwks) }

// VerifyOwn checks that token is a compact JWS issued by this Signer and returns its
// payload (the claims, as JSON). It accepts only ES256 ("none", HMAC and RSA are refused
// with [ErrAlgorithm]), only a "kid" of one of our keys ([ErrUnknownKey]) and only a valid
// signature ([ErrSignature]). When wantTyp is not empty the header "typ" must match it
// ([ErrType]; compared as RFC 7515 §4.1.9 says, ignoring case and an "application/"
// prefix).
//
// VerifyOwn does NOT check expiry or any claim: callers decide, because RP-Initiated
// Logout accepts an expired id_token_hint while an assertion must be current.
func (s *Signer) VerifyOwn(token string, wantTyp string) (payload []byte, err error) {
	obj, err := parseJWS(token, []string{jose.ES256})
	if err != nil {
		return nil, err
	}
	h := obj.Header
	pub, ok := s.public[h.KeyID]
	if !ok {
		return nil, errorf(ErrUnknownKey, "kid %s is not one of our signing keys", quote(h.KeyID))
	}
	payload, err = obj.Verify(pub)
	if err != nil {
		return nil, errorf(ErrSignature, "token signed with kid %s does not verify", quote(h.KeyID))
	}
	if wantTyp != "" {
		got := h.Type
		if !typeIs(got, wantTyp) {
			return nil, errorf(ErrType, "typ is %s, want %s", quote(got), quote(wantTyp))
		}
	}
	return payload, nil
}
