package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func sealingKey(kid string, fill byte) SealingKey {
	return SealingKey{KID: kid, Secret: bytes.Repeat([]byte{fill}, SealingKeySize)}
}

func newSealer(t testing.TB, keys ...SealingKey) *Sealer {
	t.Helper()
	s, err := NewSealer(keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jweHeader decodes the protected header of a compact JWE.
func jweHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// sealRaw makes a dir JWE with the given secret and protected headers, as an attacker
// holding the key (or a bug of ours) might: it lets the tests reach Open's checks
// behind decryption.
func sealRaw(t *testing.T, enc jose.ContentEncryption, secret []byte, kid string, headers map[string]any, payload []byte) string {
	t.Helper()
	opts := &jose.EncrypterOptions{}
	for k, v := range headers {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.DIRECT, Key: secret, KeyID: kid}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSealer(t, sealingKey("k2", 2), sealingKey("k1", 1))
	payload := []byte(`{"sid":"secret-session-id"}`)
	token, err := s.Seal("session", payload, testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		t.Errorf("sealed value %q is not cookie-safe", token)
	}
	if strings.Contains(token, "secret") {
		t.Errorf("sealed value shows its payload")
	}
	if n := strings.Count(token, "."); n != 4 {
		t.Errorf("sealed value has %d dots, want the 4 of a compact JWE", n)
	}
	h := jweHeader(t, token)
	want := map[string]any{"alg": "dir", "enc": "A256GCM", "kid": "k2", "exeunt_purpose": "session", "exp": float64(testNow.Add(time.Hour).Unix())}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %q = %v, want %v", k, h[k], v)
		}
	}
	got, err := s.Open("session", token, testNow.Add(time.Hour-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Errorf("Open = %q, want %q", got, payload)
	}
	other, _ := s.Seal("session", payload, testNow, testNow.Add(time.Hour))
	if other == token {
		t.Errorf("two seals of the same payload are equal: the IV is not random")
	}
}

// flipLowBit changes the lowest bit of a base64url character: in the last character of an
// unpadded part that bit is padding, which a lenient decoder ignores.
func flipLowBit(c string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[strings.Index(alphabet, c)^1])
}

func TestSealKeyRotation(t *testing.T) {
	old := sealingKey("2025", 1)
	cur := sealingKey("2026", 2)
	before := newSealer(t, old)
	token, err := before.Seal("session", []byte("x"), testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	rotated := newSealer(t, cur, old)
	if got, err := rotated.Open("session", token, testNow); err != nil || string(got) != "x" {
		t.Errorf("a value sealed with the old key (now second) does not open: %v", err)
	}
	fresh, _ := rotated.Seal("session", []byte("y"), testNow, testNow.Add(time.Hour))
	if kid := jweHeader(t, fresh)["kid"]; kid != "2026" {
		t.Errorf("rotated sealer seals with kid %v, want the first key's", kid)
	}

	removed := newSealer(t, cur)
	_, err = removed.Open("session", token, testNow)
	wantErr(t, err, ErrInvalid)
}

func TestOpenRejects(t *testing.T) {
	key := sealingKey("k1", 1)
	s := newSealer(t, key)
	exp := testNow.Add(10 * time.Minute)
	good, err := s.Seal("logout", []byte("payload"), testNow, exp)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	a128 := sealRaw(t, jose.A128GCM, bytes.Repeat([]byte{1}, 16), "k1", map[string]any{"exeunt_purpose": "logout", "exp": exp.Unix()}, []byte("p"))
	cbc := sealRaw(t, jose.A128CBC_HS256, key.Secret, "k1", map[string]any{"exeunt_purpose": "logout", "exp": exp.Unix()}, []byte("p"))

	tests := []struct {
		name    string
		purpose string
		token   string
		now     time.Time
		want    error
	}{
		{"valid", "logout", good, testNow, nil},
		{"valid one second before expiry", "logout", good, exp.Add(-time.Second), nil},
		{"expired at the very second", "logout", good, exp, ErrExpired},
		{"expired long ago", "logout", good, exp.Add(24 * time.Hour), ErrExpired},
		{"wrong purpose", "session", good, testNow, ErrInvalid},
		{"purpose differs in case", "Logout", good, testNow, ErrInvalid},
		{"empty purpose asked", "", good, testNow, ErrInvalid},
		{"empty", "logout", "", testNow, ErrInvalid},
		{"garbage", "logout", "not a token", testNow, ErrInvalid},
		{"truncated", "logout", good[:len(good)-5], testNow, ErrInvalid},
		{"missing tag", "logout", strings.Join(parts[:4], "."), testNow, ErrInvalid},
		{"extra part", "logout", good + ".AAAA", testNow, ErrInvalid},
		{"tampered header", "logout", tamper(good, 0), testNow, ErrInvalid},
		{"tampered iv", "logout", tamper(good, 2), testNow, ErrInvalid},
		{"tampered ciphertext", "logout", tamper(good, 3), testNow, ErrInvalid},
		{"tampered tag", "logout", tamper(good, 4), testNow, ErrInvalid},
		{"non-canonical base64 in the tag", "logout", good[:len(good)-1] + flipLowBit(good[len(good)-1:]), testNow, ErrInvalid},
		{"encrypted key added", "logout", parts[0] + ".AAAA." + strings.Join(parts[2:], "."), testNow, ErrInvalid},
		{"unknown kid", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k9", map[string]any{"exeunt_purpose": "logout", "exp": exp.Unix()}, []byte("p")), testNow, ErrInvalid},
		{"right kid, wrong secret", "logout", sealRaw(t, jose.A256GCM, bytes.Repeat([]byte{9}, 32), "k1", map[string]any{"exeunt_purpose": "logout", "exp": exp.Unix()}, []byte("p")), testNow, ErrInvalid},
		{"enc A128GCM", "logout", a128, testNow, ErrInvalid},
		{"enc A128CBC-HS256", "logout", cbc, testNow, ErrInvalid},
		{"no purpose", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exp": exp.Unix()}, []byte("p")), testNow, ErrInvalid},
		{"no expiry", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exeunt_purpose": "logout"}, []byte("p")), testNow, ErrInvalid},
		{"expiry a string", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exeunt_purpose": "logout", "exp": "2099"}, []byte("p")), testNow, ErrInvalid},
		{"expiry fractional", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exeunt_purpose": "logout", "exp": float64(exp.Unix()) + 0.5}, []byte("p")), testNow, ErrInvalid},
		{"compressed", "logout", sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exeunt_purpose": "logout", "exp": exp.Unix(), "zip": "DEF"}, []byte("p")), testNow, ErrInvalid},
		{"JSON serialization", "logout", `{"protected":"` + parts[0] + `","iv":"` + parts[2] + `","ciphertext":"` + parts[3] + `","tag":"` + parts[4] + `"}`, testNow, ErrInvalid},
		{"too long", "logout", strings.Repeat("A", maxSealedSize+1), testNow, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(tt.purpose, tt.token, tt.now)
			wantErr(t, err, tt.want, tt.token, string(key.Secret))
			if tt.want == nil && string(got) != "payload" && string(got) != "p" {
				t.Errorf("payload = %q", got)
			}
			if tt.want != nil && got != nil {
				t.Errorf("a failed Open returned a payload")
			}
		})
	}
}

func TestSealRejects(t *testing.T) {
	s := newSealer(t, sealingKey("k1", 1))
	for _, tt := range []struct {
		name            string
		purpose         string
		expiry          time.Time
		wantErrContains string
	}{
		{"empty purpose", "", testNow.Add(time.Hour), "purpose"},
		{"expiry now", "p", testNow, "expiry"},
		{"expiry in the past", "p", testNow.Add(-time.Hour), "expiry"},
		{"expiry under a second away", "p", testNow.Add(500 * time.Millisecond), "expiry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Seal(tt.purpose, []byte("x"), testNow, tt.expiry)
			if err == nil || !strings.Contains(err.Error(), tt.wantErrContains) {
				t.Fatalf("Seal error = %v, want one about %s", err, tt.wantErrContains)
			}
		})
	}
}

func TestNewSealerRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys []SealingKey
	}{
		{"no keys", nil},
		{"empty kid", []SealingKey{sealingKey("", 1)}},
		{"short secret", []SealingKey{{KID: "k", Secret: make([]byte, 16)}}},
		{"long secret", []SealingKey{{KID: "k", Secret: make([]byte, 64)}}},
		{"all-zero secret", []SealingKey{sealingKey("k", 0)}},
		{"duplicate kid", []SealingKey{sealingKey("k", 1), sealingKey("k", 2)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSealer(tt.keys)
			wantErr(t, err, ErrKey)
		})
	}
}

func TestNewSealerCopiesSecrets(t *testing.T) {
	k := sealingKey("k1", 1)
	s := newSealer(t, k)
	token, _ := s.Seal("p", []byte("x"), testNow, testNow.Add(time.Hour))
	k.Secret[0] = 0xff // the caller reuses its buffer
	if _, err := s.Open("p", token, testNow); err != nil {
		t.Fatalf("Sealer depends on the caller's buffer: %v", err)
	}
}

func BenchmarkSealOpen1KiB(b *testing.B) {
	s := newSealer(b, sealingKey("k2", 2), sealingKey("k1", 1))
	payload := bytes.Repeat([]byte("a"), 1024)
	b.ReportAllocs()
	for b.Loop() {
		token, err := s.Seal("session", payload, testNow, testNow.Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Open("session", token, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1KiB(b *testing.B) {
	s := newSealer(b, sealingKey("k2", 2), sealingKey("k1", 1))
	token, _ := s.Seal("session", bytes.Repeat([]byte("a"), 1024), testNow, testNow.Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open("session", token, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpensWhatGoJoseSealed: cookies and logoutIds sealed before core/jose replaced
// go-jose (sealRaw seals as Seal did then) still open, for their purpose only, and what
// Seal makes now go-jose still opens (core/jose's TestJWEAgreesWithGoJose).
func TestOpensWhatGoJoseSealed(t *testing.T) {
	key := sealingKey("k1", 1)
	s := newSealer(t, sealingKey("k2", 2), key)
	exp := testNow.Add(time.Hour)
	old := sealRaw(t, jose.A256GCM, key.Secret, "k1", map[string]any{"exeunt_purpose": "session", "exp": exp.Unix()}, []byte(`{"sid":"s1"}`))
	got, err := s.Open("session", old, testNow)
	if err != nil || string(got) != `{"sid":"s1"}` {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open("logout", old, testNow); !errors.Is(err, ErrInvalid) {
		t.Errorf("opened for another purpose: %v", err)
	}
	if _, err := s.Open("session", old, exp); !errors.Is(err, ErrExpired) {
		t.Errorf("opened after expiry: %v", err)
	}
}
