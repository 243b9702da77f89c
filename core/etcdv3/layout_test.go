package etcdv3

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewLayout(t *testing.T) {
	for _, ok := range []string{"/exeunt/", "/a/b-c_d.e/", "/x/"} {
		if _, err := NewLayout(ok); err != nil {
			t.Errorf("NewLayout(%q): %v", ok, err)
		}
	}
	for prefix, want := range map[string]string{
		"":                                   "2 to 128 bytes",
		"/":                                  "2 to 128 bytes",
		"exeunt/":                            "start and end with",
		"/exeunt":                            "start and end with",
		"/a//b/":                             `must not contain "//"`,
		"/ex eunt/":                          "only letters",
		"/" + strings.Repeat("a", 128) + "/": "2 to 128 bytes",
	} {
		if _, err := NewLayout(prefix); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewLayout(%q) = %v, want an error saying %q", prefix, err, want)
		}
	}
}

func TestLayoutKeys(t *testing.T) {
	l, err := NewLayout("/exeunt/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		space string
		parts []string
		key   string
	}{
		{"revoked", []string{"sid", "3q2-7w"}, "/exeunt/revoked/sid/3q2-7w"},
		{"revoked", []string{"iss-sid", "https://op.example/realms/a", "x/y%z"}, "/exeunt/revoked/iss-sid/https:%2F%2Fop.example%2Frealms%2Fa/x%2Fy%25z"},
		{"claims", []string{"jti", "a b\x00\xff"}, "/exeunt/claims/jti/a%20b%00%FF"},
	}
	for _, tt := range tests {
		key, err := l.Key(tt.space, tt.parts...)
		if err != nil {
			t.Fatal(err)
		}
		if string(key) != tt.key {
			t.Errorf("Key(%q, %q) = %q, want %q", tt.space, tt.parts, key, tt.key)
		}
		space, parts, err := l.Parse(key)
		if err != nil || space != tt.space || strings.Join(parts, "\n") != strings.Join(tt.parts, "\n") {
			t.Errorf("Parse(%q) = %q %q %v", key, space, parts, err)
		}
		start, end, err := l.Space(tt.space)
		if err != nil || !(bytes.Compare(start, key) <= 0 && bytes.Compare(key, end) < 0) {
			t.Errorf("Space(%q) = [%q, %q) does not hold %q (%v)", tt.space, start, end, key, err)
		}
		all, allEnd := l.All()
		if !(bytes.Compare(all, key) <= 0 && bytes.Compare(key, allEnd) < 0) {
			t.Errorf("All() = [%q, %q) does not hold %q", all, allEnd, key)
		}
	}
	// A space's range holds no key of another space that starts with its name.
	_, end, _ := l.Space("rev")
	other, _ := l.Key("revoked", "x")
	if bytes.Compare(other, end) < 0 {
		t.Errorf("space rev's range [.., %q) holds %q", end, other)
	}

	for _, bad := range []struct {
		space string
		parts []string
		want  string
	}{
		{"", []string{"a"}, "1 to 32 bytes"},
		{"Revoked", []string{"a"}, "only lowercase"},
		{"a/b", []string{"a"}, "only lowercase"},
		{"revoked", nil, "at least one part"},
		{"revoked", []string{"a", ""}, "empty part"},
		{"revoked", []string{strings.Repeat("x", MaxKeyBytes)}, "hash the long part"},
	} {
		if _, err := l.Key(bad.space, bad.parts...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Key(%q, %q) = %v, want an error saying %q", bad.space, bad.parts, err, bad.want)
		}
	}
	for _, bad := range []string{"/other/revoked/a", "/exeunt/revoked", "/exeunt/Revoked/a", "/exeunt/revoked/a%2", "/exeunt/revoked/a%zz", "/exeunt/revoked/a//b"} {
		if _, _, err := l.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for in, want := range map[string]string{
		"aa":       "ab",
		"a\xff":    "b",
		"/exeunt/": "/exeunt0",
		"\xff\xff": "\x00",
		"":         "\x00",
	} {
		if got := PrefixEnd([]byte(in)); string(got) != want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzLayoutKeyRoundTrip(f *testing.F) {
	f.Add("sid", "https://op.example/x%y")
	l, _ := NewLayout("/exeunt/")
	f.Fuzz(func(t *testing.T, a, b string) {
		key, err := l.Key("s", a, b)
		if err != nil {
			return
		}
		_, parts, err := l.Parse(key)
		if err != nil || len(parts) != 2 || parts[0] != a || parts[1] != b {
			t.Fatalf("Parse(Key(%q, %q)) = %q, %v", a, b, parts, err)
		}
	})
}
