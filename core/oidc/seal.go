package oidc

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/jose"

	"github.com/exeunt/exeunt/core/jsonx"
)

// SealingKeySize is the size of a [SealingKey] secret: a 256-bit AES-GCM key.
const SealingKeySize = 32

// The protected-header fields that bind a sealed value to its use and lifetime.
const (
	headerPurpose = "exeunt_purpose"
	headerExpiry  = "exp"
)

// maxSealedSize bounds what Open will look at. Sealed values travel in cookies and URLs,
// both far smaller; anything longer is not ours.
const maxSealedSize = 64 << 10

// SealingKey is a symmetric key for [Sealer], named by its key id.
type SealingKey struct {
	// KID names the key in the header of every value it seals, so that the right key is
	// found when opening, and old keys keep opening what they sealed.
	KID string
	// Secret is the AES-256-GCM key: exactly [SealingKeySize] random bytes.
	Secret []byte
}

// Sealer seals and opens protected data: values only Exeunt can read or make, which the
// browser carries for us (session cookies, sign-in state, logoutIds). It is safe for
// concurrent use.
type Sealer struct {
	current SealingKey
	keys    map[string][]byte
	// prepared holds each key's AES-GCM state, made once: making it costs more than
	// sealing a logoutId (BENCHMARKS.md, "Issue 15: the cost of a sign-out").
	prepared map[string]*jose.A256GCMKey
}

// NewSealer makes a Sealer from keys: the first key seals, every key opens. To rotate, put
// a new key first and keep the old one second until everything it sealed has expired.
// Key ids must be non-empty and distinct, and every secret [SealingKeySize] bytes.
func NewSealer(keys []SealingKey) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errorf(ErrKey, "no sealing key: at least one is needed")
	}
	s := &Sealer{keys: make(map[string][]byte, len(keys)), prepared: make(map[string]*jose.A256GCMKey, len(keys))}
	for i, k := range keys {
		if k.KID == "" {
			return nil, errorf(ErrKey, "sealing key %d has an empty kid", i)
		}
		if len(k.Secret) != SealingKeySize {
			return nil, errorf(ErrKey, "sealing key %s is %d bytes; it must be %d", quote(k.KID), len(k.Secret), SealingKeySize)
		}
		if bytes.Equal(k.Secret, make([]byte, SealingKeySize)) {
			return nil, errorf(ErrKey, "sealing key %s is all zeros: use random bytes", quote(k.KID))
		}
		if _, dup := s.keys[k.KID]; dup {
			return nil, errorf(ErrKey, "sealing key id %s is used twice", quote(k.KID))
		}
		s.keys[k.KID] = append([]byte(nil), k.Secret...)
		prepared, err := jose.NewA256GCMKey(s.keys[k.KID])
		if err != nil {
			return nil, errorf(ErrKey, "sealing key %s: %v", quote(k.KID), err)
		}
		s.prepared[k.KID] = prepared
	}
	s.current = SealingKey{KID: keys[0].KID, Secret: s.keys[keys[0].KID]}
	return s, nil
}

// Seal encrypts and authenticates payload for one purpose (a short fixed name such as
// "session" or "logout") until expiry, and returns it as a compact JWE: base64url parts
// joined by dots, safe in a cookie value or a URL as it is.
//
// The purpose and the expiry (in whole seconds, rounded down) are in the protected header:
// readable by whoever holds the value, but bound to it. The expiry must be at least a
// second after now. A sealed value is the payload's base64url length plus about 160
// characters (for a purpose like "session" and a short kid): mind the 4 KiB cookie limit.
func (s *Sealer) Seal(purpose string, payload []byte, now, expiry time.Time) (string, error) {
	if purpose == "" {
		return "", errors.New("oidc: seal: empty purpose")
	}
	exp := expiry.Unix()
	if exp <= now.Unix() {
		return "", errors.New("oidc: seal: expiry must be at least one second after now")
	}
	key := s.prepared[s.current.KID]
	if header, ok := sealHeader(s.current.KID, purpose, exp); ok {
		return key.EncryptDirHeader(header, payload), nil
	}
	token, err := key.EncryptDir(s.current.KID,
		map[string]any{headerPurpose: purpose, headerExpiry: exp}, payload)
	if err != nil {
		return "", errors.New("oidc: seal: " + err.Error())
	}
	return token, nil
}

// sealHeader writes the protected header Seal's EncryptDir writes from its map, byte for
// byte ({"alg":"dir","enc":"A256GCM","exeunt_purpose":purpose,"exp":exp,"kid":kid}, names
// sorted as json.Marshal sorts a map's), without the map, its boxing and its sorting, which
// showed in every sign-out's time in the guest (BENCHMARKS.md, "Issue 15: the sign-out's
// own work, profiled again"). Only for a kid and a purpose that JSON writes as they are
// (printable ASCII without '"', '\\', '<', '>', '&'); otherwise false, and Seal goes
// through the map. TestSealHeaderIsEncryptDirs holds it to the map's header.
func sealHeader(kid, purpose string, exp int64) ([]byte, bool) {
	if !plainHeaderString(kid) || !plainHeaderString(purpose) {
		return nil, false
	}
	const (
		start = `{"alg":"dir","enc":"A256GCM","` + headerPurpose + `":"`
		mid   = `","` + headerExpiry + `":`
		end   = `,"kid":"`
	)
	b := make([]byte, 0, len(start)+len(purpose)+len(mid)+20+len(end)+len(kid)+2)
	b = append(b, start...)
	b = append(b, purpose...)
	b = append(b, mid...)
	b = strconv.AppendInt(b, exp, 10)
	b = append(b, end...)
	b = append(b, kid...)
	return append(b, '"', '}'), true
}

// plainHeaderString: JSON (json.Marshal, jsonx) writes s between quotes as it is.
func plainHeaderString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// Open checks and decrypts a value made by [Sealer.Seal] for purpose, and returns its
// payload. Only "dir"/"A256GCM" values sealed by one of our keys for this very purpose are
// accepted; anything else fails with [ErrInvalid]. A value whose expiry is not after now
// fails with [ErrExpired] (there is no leeway: the expiry is our own). The expiry is only
// reported for values that are otherwise authentic.
func (s *Sealer) Open(purpose, token string, now time.Time) ([]byte, error) {
	if token == "" || purpose == "" {
		return nil, errorf(ErrInvalid, "empty value or purpose")
	}
	if len(token) > maxSealedSize {
		return nil, errorf(ErrInvalid, "%d bytes is longer than any value we seal", len(token))
	}
	header, payload, err := jose.DecryptDir(token, func(kid string) (*jose.A256GCMKey, bool) {
		key, ok := s.prepared[kid]
		return key, ok
	})
	switch {
	case errors.Is(err, jose.ErrUnknownKeyID):
		return nil, errorf(ErrInvalid, "sealed with an unknown key id (removed, or never ours)")
	case errors.Is(err, jose.ErrDecrypt):
		return nil, errorf(ErrInvalid, "does not decrypt: tampered with or truncated")
	case err != nil:
		// jose.DecryptDir reads only the exact shape Seal writes (strict
		// base64url, an empty encrypted key, no "zip"), so each value has one spelling.
		return nil, errorf(ErrInvalid, "not in the form we seal (a dir/A256GCM compact JWE)")
	}
	// From here on the header is authentic: it was part of the authenticated data.
	if got, _ := headerValue(header, headerPurpose).(string); got != purpose {
		return nil, errorf(ErrInvalid, "sealed for another purpose")
	}
	exp, ok := headerSeconds(headerValue(header, headerExpiry))
	if !ok {
		return nil, errorf(ErrInvalid, "no expiry")
	}
	if !now.Before(time.Unix(exp, 0)) {
		return nil, errorf(ErrExpired, "sealed value expired at %s", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	return payload, nil
}

// headerValue decodes a header member as encoding/json decodes into an any (numbers as
// float64; jsonx.Decoder.Any), or nil when it is absent.
func headerValue(h jose.Header, name string) any {
	raw, ok := h.Member(name)
	if !ok {
		return nil
	}
	var v any
	if jsonx.Decode(raw, func(d *jsonx.Decoder) (err error) { v, err = d.Any(); return err }) != nil {
		return nil
	}
	return v
}

// headerSeconds reads a whole number of seconds from a header value as [headerValue]
// decodes it (a float64).
func headerSeconds(v any) (int64, bool) {
	n, ok := v.(float64)
	if !ok || n != math.Trunc(n) || n < 0 || n > 1<<53 {
		return 0, false
	}
	return int64(n), true
}
