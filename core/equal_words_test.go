package core

import (
	"strings"
	"testing"
)

// TestWordsEqual holds wordsEqual to == on every length around the word size, at every
// alignment of either string, with a difference at each position.
func TestWordsEqual(t *testing.T) {
	base := []byte(strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_", 4))
	for n := 0; n <= 80; n++ { // the 32-byte loop, the 8-byte loop and the bytes left
		for offA := 0; offA < 8; offA++ {
			for offB := 0; offB < 8; offB++ {
				a := string(base[offA : offA+n])
				bb := append(make([]byte, offB), base[offA:offA+n]...)
				b := string(bb[offB:])
				if !wordsEqual(a, b) || !sameLong(a, b) {
					t.Fatalf("n=%d offsets %d/%d: equal strings compared unequal", n, offA, offB)
				}
				for i := 0; i < n; i++ {
					c := []byte(b)
					c[i] ^= 0x20
					if got, want := wordsEqual(a, string(c)), a == string(c); got != want {
						t.Fatalf("n=%d offsets %d/%d, byte %d changed: wordsEqual %v, == %v", n, offA, offB, i, got, want)
					}
				}
			}
		}
		if n > 0 && wordsEqual(string(base[:n]), string(base[:n-1])) {
			t.Fatalf("n=%d: strings of different lengths compared equal", n)
		}
	}
	if !wordsEqual("", "") || wordsEqual("", "a") {
		t.Fatal("empty strings")
	}
}

func FuzzWordsEqual(f *testing.F) {
	f.Add("a sealed value", "a sealed value")
	f.Add("0123456789abcdef", "0123456789abcdeF")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := wordsEqual(a, b), a == b; got != want {
			t.Fatalf("wordsEqual(%q, %q) = %v, == says %v", a, b, got, want)
		}
	})
}

// TestSessionCacheNeedsTheWholeValue: a value that ends like a cookie this VM opened
// but differs before its last bytes is not served from the cache; it is opened (and
// refused, its seal broken). The cache's key is only the value's end.
func TestSessionCacheNeedsTheWholeValue(t *testing.T) {
	b := newBrowser(t)
	b.signIn("https://exeunt.test/app1/")
	name := b.e.cfg.Cookie.Name
	good := b.jar[name]
	if d := b.request("GET", "https://exeunt.test/app1/page"); !d.Continues() {
		t.Fatalf("the signed-in request was not let through: %+v", d)
	}
	for _, i := range []int{0, len(good) / 2, len(good) - sessionCacheKeyLen - 1} {
		forged := []byte(good)
		forged[i] ^= 1 // base64url to base64url: 'A' <-> 'B', '0' <-> '1', ...
		b.jar[name] = string(forged)
		if d := b.request("GET", "https://exeunt.test/app1/page"); d.Continues() {
			t.Fatalf("a value changed at byte %d of %d but ending like the cached one was let through", i, len(good))
		}
	}
	b.jar[name] = good
	if d := b.request("GET", "https://exeunt.test/app1/page"); !d.Continues() {
		t.Fatalf("the genuine cookie was refused after the forged ones: %+v", d)
	}
}

// TestWordsIndex holds wordsIndex to strings.IndexByte: every length to 100, every
// alignment, the byte at every position, first of several, and bytes that differ from
// it by one bit or by the high bit (which the haszero test must not mistake for it).
func TestWordsIndex(t *testing.T) {
	buf := make([]byte, 120)
	for _, c := range []byte{';', '=', 0, 0x80, 0xff, 'A'} {
		for n := 0; n <= 100; n++ {
			for off := 0; off < 8; off++ {
				s := buf[off : off+n]
				for i := range s {
					s[i] = "abcdefghij0123456789-_~."[i%24] // never c... unless c is one of them
					if s[i] == c {
						s[i] = c ^ 0x01
					}
				}
				if got, want := wordsIndex(string(s), c), strings.IndexByte(string(s), c); got != want {
					t.Fatalf("c=%#x n=%d off=%d, none present: %d, want %d", c, n, off, got, want)
				}
				for pos := 0; pos < n; pos++ {
					saved := s[pos]
					s[pos] = c
					if pos+3 < n {
						s[pos+3] = c // a second one after it
					}
					str := string(s)
					if got, want := wordsIndex(str, c), strings.IndexByte(str, c); got != want {
						t.Fatalf("c=%#x n=%d off=%d at %d: %d, want %d", c, n, off, pos, got, want)
					}
					s[pos] = saved
					if pos+3 < n {
						s[pos+3] = "abcdefghij0123456789-_~."[(pos+3)%24]
						if s[pos+3] == c {
							s[pos+3] = c ^ 0x01
						}
					}
				}
				for i := range s { // neighbours of c only: c^0x80, c-1, c+1
					s[i] = []byte{c ^ 0x80, c - 1, c + 1}[i%3]
				}
				if got, want := wordsIndex(string(s), c), strings.IndexByte(string(s), c); got != want {
					t.Fatalf("c=%#x n=%d off=%d, neighbours only: %d, want %d", c, n, off, got, want)
				}
			}
		}
	}
}

func FuzzWordsIndex(f *testing.F) {
	f.Add("__Host-exeunt=abc; other=1", byte(';'))
	f.Fuzz(func(t *testing.T, s string, c byte) {
		if got, want := wordsIndex(s, c), strings.IndexByte(s, c); got != want {
			t.Fatalf("wordsIndex(%q, %q) = %d, want %d", s, c, got, want)
		}
	})
}
