package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// MaxCompactSize bounds every compact JWS or JWE this package parses: ID tokens with many
// group claims reach a few KiB, sealed cookies stay under 4 KiB; nothing legitimate comes
// near this.
const MaxCompactSize = 64 << 10

// JSONWebSignature is a parsed compact JWS whose signature is not yet verified.
type JSONWebSignature struct {
	// Header is the protected header (a compact JWS has no other).
	Header       Header
	signingInput string
	payload      []byte
	signature    []byte
}

// ParseSignedCompact parses token, a compact JWS (RFC 7515 §7.1), whose "alg" must be one
// of algs. A token whose "alg" is not in algs fails with an [*UnexpectedAlgorithmError];
// anything else not of the shape this package reads with [ErrMalformed]. Names in algs
// this package does not support match nothing.
func ParseSignedCompact(token string, algs []string) (*JSONWebSignature, error) {
	if len(token) > MaxCompactSize {
		return nil, fmt.Errorf("%w: %d bytes is longer than %d", ErrMalformed, len(token), MaxCompactSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: a compact JWS has three parts, this has %d", ErrMalformed, len(parts))
	}
	rawHeader, ok1 := decodePart(parts[0])
	payload, ok2 := decodePart(parts[1])
	signature, ok3 := decodePart(parts[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("%w: a part is not unpadded base64url", ErrMalformed)
	}
	h, err := parseHeader(rawHeader)
	if err != nil {
		return nil, err
	}
	if !contains(algs, h.Algorithm) || !Supported(h.Algorithm) {
		return nil, &UnexpectedAlgorithmError{Got: h.Algorithm}
	}
	return &JSONWebSignature{
		Header:       h,
		signingInput: parts[0] + "." + parts[1],
		payload:      payload,
		signature:    signature,
	}, nil
}

// Verify checks the signature with key (*rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey) and returns the payload. A key that does not fit the header's "alg"
// ([KeyFits]) fails with [ErrKeyMismatch], a signature that does not verify with
// [ErrSignature].
func (s *JSONWebSignature) Verify(key any) ([]byte, error) {
	alg := s.Header.Algorithm
	if !KeyFits(key, alg) {
		return nil, fmt.Errorf("%w: a %T cannot verify %s", ErrKeyMismatch, key, alg)
	}
	a := algorithms[alg]
	var ok bool
	switch a.family {
	case 'D':
		ok = ed25519.Verify(key.(ed25519.PublicKey), []byte(s.signingInput), s.signature)
	default:
		h := a.newHash()
		h.Write([]byte(s.signingInput))
		digest := h.Sum(nil)
		switch a.family {
		case 'R':
			ok = rsa.VerifyPKCS1v15(key.(*rsa.PublicKey), a.hash, digest, s.signature) == nil
		case 'P':
			// RFC 7518 §3.5: the salt is as long as the hash; rsa.PSSSaltLengthAuto (the
			// zero options) accepts any salt length, as go-jose does.
			ok = rsa.VerifyPSS(key.(*rsa.PublicKey), a.hash, digest, s.signature, nil) == nil
		case 'E':
			// RFC 7518 §3.4: the signature is R and S, each exactly the curve's size.
			if len(s.signature) == 2*a.size {
				r := new(big.Int).SetBytes(s.signature[:a.size])
				ss := new(big.Int).SetBytes(s.signature[a.size:])
				ok = ecdsa.Verify(key.(*ecdsa.PublicKey), digest, r, ss)
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrSignature, alg)
	}
	return s.payload, nil
}

// SignES256 signs payload with key (on P-256) as a compact JWS whose header is
// {"alg":"ES256","kid":kid,"typ":typ} ("kid" and "typ" left out when empty), members in
// that order: the bytes go-jose wrote for the same call.
func SignES256(key *ecdsa.PrivateKey, kid, typ string, payload []byte) (string, error) {
	if key == nil || key.Curve != algorithms[ES256].curve {
		return "", fmt.Errorf("jose: ES256 needs a P-256 key")
	}
	var w jsonx.Writer // as json.Marshal wrote the map: names sorted, alg, kid, typ
	w.ObjectStart()
	w.Key("alg")
	w.String(ES256)
	if kid != "" {
		w.Key("kid")
		w.String(kid)
	}
	if typ != "" {
		w.Key("typ")
		w.String(typ)
	}
	w.ObjectEnd()
	rawHeader, _ := w.Bytes()
	input := encodePart(rawHeader) + "." + encodePart(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", fmt.Errorf("jose: sign: %v", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + encodePart(sig), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
