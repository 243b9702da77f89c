package core

import (
	"strings"
	"testing"
)

// TestDotSegment holds dotSegment to its definition: a "." or ".." segment at the start
// of rest, ended by "/" or by the path's end.
func TestDotSegment(t *testing.T) {
	want := func(rest string) int {
		for _, seg := range []string{"..", "."} {
			if strings.HasPrefix(rest, seg) && (len(rest) == len(seg) || rest[len(seg)] == '/') {
				return len(seg)
			}
		}
		return 0
	}
	for _, rest := range []string{"", ".", "..", "...", "./", "../", ".../", ".x", "..x", "x", "x/", "/", "./.", "../..", ".%2E", "a.."} {
		if got := dotSegment(rest); got != want(rest) {
			t.Errorf("dotSegment(%q) = %d, want %d", rest, got, want(rest))
		}
	}
}
