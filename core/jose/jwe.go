package jose

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKeyID: a JWE names a "kid" the caller has no key for.
var ErrUnknownKeyID = errors.New("jose: unknown key id")

// A256GCM sizes (RFC 7518 §5.3): a 256-bit key, a 96-bit IV, a 128-bit tag.
const (
	A256GCMKeySize = 32
	gcmIVSize      = 12
	gcmTagSize     = 16
)

// EncryptDirA256GCM encrypts plaintext with key as a compact JWE (RFC 7516 §7.1) with
// "alg":"dir" and "enc":"A256GCM": the protected header holds "alg", "enc", "kid" and the
// members of extra (which must not name those three), written with their names sorted, as
// go-jose wrote them; the encrypted key is empty, the IV random.
func EncryptDirA256GCM(key []byte, kid string, extra map[string]any, plaintext []byte) (string, error) {
	if len(key) != A256GCMKeySize {
		return "", fmt.Errorf("jose: A256GCM needs a %d-byte key", A256GCMKeySize)
	}
	header := make(map[string]any, len(extra)+3)
	for k, v := range extra {
		if k == "alg" || k == "enc" || k == "kid" {
			return "", errors.New(`jose: extra header members must not be "alg", "enc" or "kid"`)
		}
		header[k] = v
	}
	header["alg"], header["enc"] = "dir", "A256GCM"
	if kid != "" {
		header["kid"] = kid
	}
	rawHeader, err := json.Marshal(header) // map keys are written sorted
	if err != nil {
		return "", fmt.Errorf("jose: header: %v", err)
	}
	aead, err := newGCM(key)
	if err != nil {
		return "", err
	}
	iv := make([]byte, gcmIVSize)
	if _, err := rand.Read(iv); err != nil {
		return "", fmt.Errorf("jose: %v", err)
	}
	protected := encodePart(rawHeader)
	sealed := aead.Seal(nil, iv, plaintext, []byte(protected))
	ciphertext, tag := sealed[:len(plaintext)], sealed[len(plaintext):]
	return protected + ".." + encodePart(iv) + "." + encodePart(ciphertext) + "." + encodePart(tag), nil
}

// DecryptDirA256GCM checks and decrypts token, a compact JWE as [EncryptDirA256GCM]
// writes it, with the key keyFor returns for its "kid", and returns its authenticated
// header and the plaintext. Only that exact shape is read: five strict base64url parts,
// the encrypted key empty, a 12-byte IV and a 16-byte tag, "alg" "dir" and "enc"
// "A256GCM" in the protected header (and no "zip" or "crit": [parseHeader]). Otherwise it
// fails with [ErrMalformed]; a "kid" keyFor does not know with [ErrUnknownKeyID]; a value
// that does not authenticate with [ErrDecrypt]. The header is authentic only when the
// error is nil.
func DecryptDirA256GCM(token string, keyFor func(kid string) ([]byte, bool)) (Header, []byte, error) {
	if len(token) > MaxCompactSize {
		return Header{}, nil, fmt.Errorf("%w: %d bytes is longer than %d", ErrMalformed, len(token), MaxCompactSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[1] != "" {
		return Header{}, nil, fmt.Errorf("%w: not a compact JWE with an empty encrypted key", ErrMalformed)
	}
	var raw [5][]byte
	for i, p := range parts {
		b, ok := decodePart(p)
		if !ok {
			return Header{}, nil, fmt.Errorf("%w: a part is not unpadded base64url", ErrMalformed)
		}
		raw[i] = b
	}
	h, err := parseHeader(raw[0])
	if err != nil {
		return Header{}, nil, err
	}
	var enc string
	if encRaw, ok := h.Member("enc"); !ok || json.Unmarshal(encRaw, &enc) != nil || h.Algorithm != "dir" || enc != "A256GCM" {
		return Header{}, nil, fmt.Errorf("%w: not \"alg\":\"dir\", \"enc\":\"A256GCM\"", ErrMalformed)
	}
	if len(raw[2]) != gcmIVSize || len(raw[4]) != gcmTagSize {
		return Header{}, nil, fmt.Errorf("%w: IV or tag of the wrong size", ErrMalformed)
	}
	key, ok := keyFor(h.KeyID)
	if !ok {
		return Header{}, nil, ErrUnknownKeyID
	}
	aead, err := newGCM(key)
	if err != nil {
		return Header{}, nil, err
	}
	// AAD is the ASCII of the encoded protected header (RFC 7516 §5.2 step 14); GCM checks
	// the tag in constant time.
	plaintext, err := aead.Open(nil, raw[2], append(raw[3], raw[4]...), []byte(parts[0]))
	if err != nil {
		return Header{}, nil, ErrDecrypt
	}
	return h, plaintext, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != A256GCMKeySize {
		return nil, fmt.Errorf("jose: A256GCM needs a %d-byte key", A256GCMKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("jose: %v", err)
	}
	return cipher.NewGCM(block)
}
