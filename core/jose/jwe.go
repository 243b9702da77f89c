package jose

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
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
// go-jose wrote them; the encrypted key is empty, the IV random. A caller that encrypts
// with one key again and again keeps an [A256GCMKey] instead.
func EncryptDirA256GCM(key []byte, kid string, extra map[string]any, plaintext []byte) (string, error) {
	k, err := NewA256GCMKey(key)
	if err != nil {
		return "", err
	}
	return k.EncryptDir(kid, extra, plaintext)
}

// A256GCMKey is an A256GCM key with its AES key schedule and GCM tables computed once:
// making them costs more than sealing a short value, and a key seals many. It is safe for
// concurrent use (cipher.AEAD keeps no state between calls).
type A256GCMKey struct{ aead cipher.AEAD }

// NewA256GCMKey prepares key, which must be [A256GCMKeySize] bytes.
func NewA256GCMKey(key []byte) (*A256GCMKey, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &A256GCMKey{aead: aead}, nil
}

// EncryptDir is [EncryptDirA256GCM] with k.
func (k *A256GCMKey) EncryptDir(kid string, extra map[string]any, plaintext []byte) (string, error) {
	rawHeader, err := dirHeader(kid, extra)
	if err != nil {
		return "", err
	}
	return k.EncryptDirHeader(rawHeader, plaintext), nil
}

// EncryptDirHeader is [A256GCMKey.EncryptDir] with the protected header already written:
// rawHeader must be the JSON document EncryptDir writes for its kid and extra members
// ("alg" "dir", "enc" "A256GCM", names sorted). For a caller that seals many values of one
// fixed shape and writes their header without a map (oidc.Sealer.Seal, held to EncryptDir's
// header by its tests); every reader still checks the header it gets (DecryptDir).
func (k *A256GCMKey) EncryptDirHeader(rawHeader, plaintext []byte) string {
	// The five parts are encoded into one buffer: header, empty key, IV, ciphertext, tag.
	enc := b64.EncodedLen
	hLen := enc(len(rawHeader))
	out := make([]byte, hLen+2+enc(gcmIVSize)+1+enc(len(plaintext))+1+enc(gcmTagSize))
	b64.Encode(out, rawHeader)
	protected := out[:hLen]
	// The AEAD draws the random IV itself and writes it first: IV, ciphertext, tag.
	sealed := k.aead.Seal(nil, nil, plaintext, protected)
	iv, ciphertext, tag := sealed[:gcmIVSize], sealed[gcmIVSize:gcmIVSize+len(plaintext)], sealed[gcmIVSize+len(plaintext):]
	i := hLen
	out[i], out[i+1] = '.', '.'
	i += 2
	b64.Encode(out[i:], iv)
	i += enc(gcmIVSize)
	out[i] = '.'
	i++
	b64.Encode(out[i:], ciphertext)
	i += enc(len(ciphertext))
	out[i] = '.'
	b64.Encode(out[i+1:], tag)
	return string(out)
}

// dirHeader writes the protected header of [EncryptDirA256GCM]: "alg", "enc", "kid" (when
// not empty) and extra's members, as json.Marshal writes a map (names sorted).
func dirHeader(kid string, extra map[string]any) ([]byte, error) {
	for k := range extra {
		if k == "alg" || k == "enc" || k == "kid" {
			return nil, errors.New(`jose: extra header members must not be "alg", "enc" or "kid"`)
		}
	}
	if b, ok := plainDirHeader(kid, extra); ok {
		return b, nil
	}
	header := make(map[string]any, len(extra)+3)
	for k, v := range extra {
		header[k] = v
	}
	header["alg"], header["enc"] = "dir", "A256GCM"
	if kid != "" {
		header["kid"] = kid
	}
	var w jsonx.Writer
	w.Any(header) // names sorted, as json.Marshal writes a map
	rawHeader, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("jose: header: %v", err)
	}
	return rawHeader, nil
}

// plainDirHeader writes the header without a map and its sorting when every name
// and string value is plain (printable ASCII that json.Marshal writes as it is) and every
// other value an int64 or int, and at most eight members: the byte-for-byte same document
// json.Marshal writes for the map (held to it by TestDirHeaderAsJSONMarshal). Otherwise it
// returns false and the caller marshals the map.
func plainDirHeader(kid string, extra map[string]any) ([]byte, bool) {
	var namesArr [8]string
	names := append(namesArr[:0], "alg", "enc")
	if kid != "" {
		names = append(names, "kid")
	}
	if len(names)+len(extra) > len(namesArr) {
		return nil, false
	}
	for k := range extra {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ { // insertion sort: a handful of names
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	size := 2
	for _, n := range names {
		size += len(n) + 6 + 20
	}
	size += len(kid)
	for _, v := range extra {
		if s, ok := v.(string); ok {
			size += len(s)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, n := range names {
		if !plainJSONString(n) {
			return nil, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"', ':')
		var v any
		switch n {
		case "alg":
			v = "dir"
		case "enc":
			v = "A256GCM"
		case "kid":
			v = kid
		default:
			v = extra[n]
		}
		switch v := v.(type) {
		case string:
			if !plainJSONString(v) {
				return nil, false
			}
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		default:
			return nil, false
		}
	}
	return append(b, '}'), true
}

// plainJSONString: json.Marshal writes s between quotes as it is (no escapes, and none of
// the HTML characters it escapes).
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
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
	return decryptDir(token, func(kid string) (cipher.AEAD, error) {
		key, ok := keyFor(kid)
		if !ok {
			return nil, ErrUnknownKeyID
		}
		return newGCM(key)
	})
}

// DecryptDir is [DecryptDirA256GCM] with prepared keys: keyFor returns the key for a
// "kid", or false.
func DecryptDir(token string, keyFor func(kid string) (*A256GCMKey, bool)) (Header, []byte, error) {
	return decryptDir(token, func(kid string) (cipher.AEAD, error) {
		k, ok := keyFor(kid)
		if !ok || k == nil {
			return nil, ErrUnknownKeyID
		}
		return k.aead, nil
	})
}

func decryptDir(token string, aeadFor func(kid string) (cipher.AEAD, error)) (Header, []byte, error) {
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
	if encRaw, ok := h.Member("enc"); !ok || jsonx.Decode(encRaw, func(d *jsonx.Decoder) error { return d.String(&enc) }) != nil || h.Algorithm != "dir" || enc != "A256GCM" {
		return Header{}, nil, fmt.Errorf("%w: not \"alg\":\"dir\", \"enc\":\"A256GCM\"", ErrMalformed)
	}
	if len(raw[2]) != gcmIVSize || len(raw[4]) != gcmTagSize {
		return Header{}, nil, fmt.Errorf("%w: IV or tag of the wrong size", ErrMalformed)
	}
	aead, err := aeadFor(h.KeyID)
	if err != nil {
		return Header{}, nil, err
	}
	// AAD is the ASCII of the encoded protected header (RFC 7516 §5.2 step 14); GCM checks
	// the tag in constant time.
	// The AEAD takes the IV in front of the ciphertext and tag ([newGCM]).
	sealed := make([]byte, 0, len(raw[2])+len(raw[3])+len(raw[4]))
	sealed = append(append(append(sealed, raw[2]...), raw[3]...), raw[4]...)
	plaintext, err := aead.Open(nil, nil, sealed, []byte(parts[0]))
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
	// AES-GCM with a 96-bit IV and a 128-bit tag that draws a random IV on each Seal, from
	// the same system source crypto/rand reads, and reads and writes it in front of the
	// ciphertext. cipher.NewGCM would give the same GCM, but it also links a generic GCM
	// for block ciphers other than AES (10 KB of the module), which an AES block never uses.
	return cipher.NewGCMWithRandomNonce(block)
}
