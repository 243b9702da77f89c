package jose

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestDirHeaderAsJSONMarshal holds dirHeader (and its path without encoding/json,
// plainDirHeader) to what json.Marshal writes for the same header as a map: the sealed
// values' bytes must not depend on which path wrote them.
func TestDirHeaderAsJSONMarshal(t *testing.T) {
	cases := []struct {
		kid   string
		extra map[string]any
		plain bool // written without encoding/json
	}{
		{"k1", map[string]any{"exeunt_purpose": "logout", "exp": int64(1764750000)}, true},
		{"k1", map[string]any{"exeunt_purpose": "session", "exp": int64(-5)}, true},
		{"", map[string]any{"exp": math.MaxInt64, "a": "", "zz": 0}, true},
		{"", nil, true},
		{"key-2026 ~!#$%()*+,-./:;=?@[]^_`{|}", map[string]any{"A": "Z", "_": int64(math.MinInt64)}, true},
		{"k1", map[string]any{"p": "a<b"}, false},
		{"k1", map[string]any{"p": "a>b", "q": "x&y"}, false},
		{"k1", map[string]any{"p": `quote"`}, false},
		{"k1", map[string]any{"p": `back\slash`}, false},
		{"k1", map[string]any{"p": "tab\t"}, false},
		{"k1", map[string]any{"p": "é"}, false},
		{"k1", map[string]any{"p": "\xff"}, false},
		{"k\u2028", map[string]any{"p": "x"}, false},
		{"k1", map[string]any{"p<": "x"}, false},
		{"k1", map[string]any{"exp": 1.5}, false},
		{"k1", map[string]any{"exp": float64(3)}, false},
		{"k1", map[string]any{"b": true, "n": nil, "l": []string{"x"}}, false},
		{"k1", map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}, true},
		{"k1", map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}, false}, // nine members
		{"", map[string]any{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}, true},
	}
	for _, c := range cases {
		want := map[string]any{"alg": "dir", "enc": "A256GCM"}
		if c.kid != "" {
			want["kid"] = c.kid
		}
		for k, v := range c.extra {
			want[k] = v
		}
		wantRaw, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dirHeader(c.kid, c.extra)
		if err != nil {
			t.Fatalf("%q %v: %v", c.kid, c.extra, err)
		}
		if !bytes.Equal(got, wantRaw) {
			t.Errorf("%q %v:\n got %s\nwant %s", c.kid, c.extra, got, wantRaw)
		}
		if _, plain := plainDirHeader(c.kid, c.extra); plain != c.plain {
			t.Errorf("%q %v: written without encoding/json %v, want %v", c.kid, c.extra, plain, c.plain)
		}
	}
	for _, name := range []string{"alg", "enc", "kid"} {
		if _, err := dirHeader("k1", map[string]any{name: "x"}); err == nil || !strings.Contains(err.Error(), "must not be") {
			t.Errorf("extra member %q: %v, want refused", name, err)
		}
	}
}

// TestPreparedKeyAsKeyBytes: a value sealed with an A256GCMKey opens with the key's bytes
// and the other way round, and a prepared key opens nothing sealed under another.
func TestPreparedKeyAsKeyBytes(t *testing.T) {
	key := bytes.Repeat([]byte{7}, A256GCMKeySize)
	other := bytes.Repeat([]byte{8}, A256GCMKeySize)
	k, err := NewA256GCMKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewA256GCMKey(key[:16]); err == nil {
		t.Fatal("a 16-byte key was accepted for A256GCM")
	}
	extra := map[string]any{"exeunt_purpose": "logout", "exp": int64(1764750000)}
	for _, plain := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("payload "), 200)} {
		sealed, err := k.EncryptDir("k1", extra, plain)
		if err != nil {
			t.Fatal(err)
		}
		h, got, err := DecryptDirA256GCM(sealed, func(kid string) ([]byte, bool) { return key, kid == "k1" })
		if err != nil || !bytes.Equal(got, plain) || h.KeyID != "k1" {
			t.Fatalf("sealed with the prepared key, opened with its bytes: %q, %v", got, err)
		}
		bySlice, err := EncryptDirA256GCM(key, "k1", extra, plain)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := strings.SplitN(sealed, ".", 2)[0], strings.SplitN(bySlice, ".", 2)[0]; a != b {
			t.Fatalf("protected headers differ: %s / %s", a, b)
		}
		if _, got, err := DecryptDir(bySlice, func(kid string) (*A256GCMKey, bool) { return k, kid == "k1" }); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("sealed with the bytes, opened with the prepared key: %q, %v", got, err)
		}
		if _, _, err := DecryptDirA256GCM(sealed, func(string) ([]byte, bool) { return other, true }); err != ErrDecrypt {
			t.Fatalf("opened under another key: %v", err)
		}
		if _, _, err := DecryptDir(sealed, func(string) (*A256GCMKey, bool) { return nil, false }); err != ErrUnknownKeyID {
			t.Fatalf("unknown kid: %v", err)
		}
	}
}
