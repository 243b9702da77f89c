package serve

import (
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// The cases below are Envoy's own, from test/common/http/path_utility_test.cc (PathUtilityTest:
// AlreadyNormalPaths, InvalidPaths, NormalizeValidPaths, NormalizeCasePath, MergeSlashes,
// StripDotSegmentWithParameters, UnescapeSlashes), plus the cases issue 11 lists.

func TestCanonicalPathAsEnvoy(t *testing.T) {
	valid := []struct{ in, want string }{
		// AlreadyNormalPaths
		{"/xyz", "/xyz"},
		{"/x/y/z", "/x/y/z"},
		// NormalizeValidPaths
		{"/a/b/../c", "/a/c"},
		{"/a/b/./c", "/a/b/c"},
		{"a/b/../c", "/a/c"},
		{"/a/b/../../../../c", "/c"},
		{`/a/..\c`, "/c"},
		{"/%c0%af", "/%c0%af"},
		{"/%5c%25", "/%5c%25"},
		{"/a/b/%2E%2E/c", "/a/c"},
		{"/xyz/..;foo=bar/abc", "/abc"},
		{"/..;foo=bar/abc", "/abc"},
		{"/xyz/..;foo=bar", "/"},
		{"/xyz/.;foo=bar/abc", "/xyz/abc"},
		{"/.;foo=bar/abc", "/abc"},
		{"/xyz/.;foo=bar", "/xyz/"},
		{"/xyz/..;foo=bar/.;v1=2,v2=3/abc", "/abc"},
		{"/..;foo=bar/abc/.;mmm", "/abc/"},
		{"/.;aaa/..;foo=bar/abc/.;mmm", "/abc/"},
		{"/xyz/..;foo=bar/.;fff=zzz", "/"},
		{"/xyz/..;foo=bar/.;fff=zzz?blah=woops", "/?blah=woops"},
		{"/xyz/..;foo=bar/.;fff=zzz/remain;blah-bluh?query", "/remain;blah-bluh?query"},
		// NormalizeCasePath
		{"/A/B/C", "/A/B/C"},
		{"/a/b/%2e%2e/c", "/a/c"},
		{"/a/%2F%2f/c", "/a/%2F%2f/c"},
		// Unreserved characters are decoded, reserved ones kept as written.
		{"/%61pp1/", "/app1/"},
		{"/ap%70%31/", "/app1/"},
		{"/%7e%2d%5F", "/~-_"},
		{"/app1%2Fsecret", "/app1%2Fsecret"},
		{"/a%3bb", "/a%3bb"},
		// Characters that must be escaped are; the query is left alone.
		{"/a b\"<>^`{|}", "/a%20b%22%3C%3E%5E%60%7B%7C%7D"},
		{"/\xc3\xa9?q=../x", "/%C3%A9?q=../x"},
		{"/x/../app1/", "/app1/"},
		{"/./app1/", "/app1/"},
		{"//app1/", "//app1/"}, // normalize_path does not merge slashes
		{"/app1;x/", "/app1;x/"},
		{"", "/"},
		// Invalid escapes stay; nested ones are neutralised (CheckForNestedEscapes).
		{"/%zz/%", "/%zz/%"},
		{"/%%30%30", "/%2500"},
	}
	for _, tt := range valid {
		got, ok := canonicalPath(tt.in)
		if !ok || got != tt.want {
			t.Errorf("canonicalPath(%q) = %q, %v; want %q, true", tt.in, got, ok, tt.want)
		}
	}
	// InvalidPaths: an escaped NUL.
	for _, in := range []string{"/xyz/.%00../abc", "/xyz/%00.%00./abc", "/xyz/AAAAA%%0000/abc"} {
		if got, ok := canonicalPath(in); ok {
			t.Errorf("canonicalPath(%q) = %q, accepted; Envoy refuses it", in, got)
		}
	}
}

func TestMergeSlashesAsEnvoy(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a//b/c", "a/b/c"},
		{"/a//b/c/", "/a/b/c/"},
		{"a//b/c/", "a/b/c/"},
		{"/a", "/a"},
		{"//a/b/c", "/a/b/c"},
		{"/a//b/c", "/a/b/c"},
		{"/a/b/c//", "/a/b/c/"},
		{"/a///b/c", "/a/b/c"},
		{"/a////b/c", "/a/b/c"},
		{"/a//b?a=///c", "/a/b?a=///c"},
		{"/a//b?", "/a/b?"},
		{"//a/?b", "/a/?b"},
	} {
		if got := mergeSlashes(tt.in); got != tt.want {
			t.Errorf("mergeSlashes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStripParametersFromDotSegmentsAsEnvoy: every case of Envoy's
// PathUtilityTest.StripDotSegmentWithParameters (test/common/http/path_utility_test.cc, as
// patched for CVE-2026-73551), plus ordinary segments, whose parameters this step keeps.
func TestStripParametersFromDotSegmentsAsEnvoy(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"/xyz", "/xyz"},
		{"/xyz/..;foo=bar/abc", "/xyz/../abc"},
		{"/..;foo=bar/abc", "/../abc"},
		{"/xyz/..;foo=bar", "/xyz/.."},
		{"/xyz/..;", "/xyz/.."},
		{"/a/..;foo/b/..;bar/c", "/a/../b/../c"},
		{"/a/..;param1;param2/b", "/a/../b"},
		{"/xyz/..foo", "/xyz/..foo"},
		{"/xyz/...;foo", "/xyz/...;foo"},
		{"/xyz/remove/..;foo?param=/.;foo", "/xyz/remove/..?param=/.;foo"},
		{"/xyz/remove/..;foo#frag=/.;foo", "/xyz/remove/..#frag=/.;foo"},
		{"/xyz?param=/..;foo", "/xyz?param=/..;foo"},
		{"/xyz#frag=/..;foo", "/xyz#frag=/..;foo"},
		{"/xyz/.;foo=bar/abc", "/xyz/./abc"},
		{"/.;foo=bar/abc", "/./abc"},
		{"/xyz/.;foo=bar", "/xyz/."},
		{"/xyz/.;", "/xyz/."},
		{"/a/.;foo/b/.;bar/c", "/a/./b/./c"},
		{"/a/.;param1;param2/b", "/a/./b"},
		{"/xyz/.foo", "/xyz/.foo"},
		{"/xyz?param=/.;foo", "/xyz?param=/.;foo"},
		{"/xyz#frag=/.;foo", "/xyz#frag=/.;foo"},
		// Only dot segments: "/app1;x/secret" keeps its parameter here (the step's
		// `path.find(".;")` finds nothing), and so does "x;y" next to a stripped "..;".
		{"/app1;x/secret", "/app1;x/secret"},
		{"/x;y/..;z/app1", "/x;y/../app1"},
	} {
		if got := stripParametersFromDotSegments(tt.in); got != tt.want {
			t.Errorf("stripParametersFromDotSegments(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescapeSlashesAsEnvoy(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		found    bool
	}{
		{"", "", false},
		{"%2f%2F", "//", true},
		{"/a%2Fb%2fc/", "/a/b/c/", true},
		{"%2b", "%2b", false},
		{"/a/b/c", "/a/b/c", false},
		{"%2", "%2", false},
		{"%", "%", false},
		{"/abc%2", "/abc%2", false},
		{"foo%", "foo%", false},
		{"/a%2F", "/a/", true},
		{"%2fa/", "/a/", true},
		{"%%2fa/", "%/a/", true},
		{"%2%2fa/", "%2/a/", true},
		{"%5c%5C", `\\`, true},
		{"/a%5Cb%5cc/", `/a\b\c/`, true},
		{"/a%5C", `/a\`, true},
		{"%5ca/", `\a/`, true},
		{"/x/%2E%2e/z%2f%2Fabc%5C../def", `/x/%2E%2e/z//abc\../def`, true},
		{"%2fa%5Cb%2fc%5c", `/a\b/c\`, true},
		{"%2fa%5Cb%2fc%5c?%2fabcd%5C%%2f%", `/a\b/c\?%2fabcd%5C%%2f%`, true},
	} {
		got, found := unescapeSlashes(tt.in)
		if got != tt.want || found != tt.found {
			t.Errorf("unescapeSlashes(%q) = %q, %v; want %q, %v", tt.in, got, found, tt.want, tt.found)
		}
	}
}

// TestNormalizeRequestPath: the connection manager's three options together, in Envoy's
// order, with each escaped-slashes action (maybeNormalizePath; the 307 case is Envoy's
// HttpConnectionManagerImplTest.PathWithEscapedSlashesRedirected).
func TestNormalizeRequestPath(t *testing.T) {
	all := func(a envoyconfig.EscapedSlashesAction) envoyconfig.HCMOptions {
		return envoyconfig.HCMOptions{NormalizePath: true, MergeSlashes: true, EscapedSlashes: a}
	}
	tests := []struct {
		name   string
		opts   envoyconfig.HCMOptions
		in     string
		want   string
		action pathAction
	}{
		{"nothing set: unchanged", envoyconfig.HCMOptions{EscapedSlashes: envoyconfig.EscapedSlashesKeep}, "//a/../b%2F?x", "//a/../b%2F?x", pathContinue},
		{"Envoy's default action is KEEP_UNCHANGED", all(envoyconfig.EscapedSlashesKeep), "/app1%2Fsecret", "/app1%2Fsecret", pathContinue},
		{"reject", all(envoyconfig.EscapedSlashesReject), "/abc%5c../", "", pathReject},
		{"reject: none found", all(envoyconfig.EscapedSlashesReject), "/abc/../x?q=%2F", "/x?q=%2F", pathContinue},
		{"redirect", envoyconfig.HCMOptions{EscapedSlashes: envoyconfig.EscapedSlashesUnescapeRedirect}, "/abc%2f../", "/abc/../", pathRedirect},
		{"redirect, normalised", all(envoyconfig.EscapedSlashesUnescapeRedirect), "/app1%2F%2Fsecret", "/app1/secret", pathRedirect},
		{"forward", all(envoyconfig.EscapedSlashesUnescapeAndForward), "/app1%2Fsecret", "/app1/secret", pathContinue},
		{"forward: backslash", all(envoyconfig.EscapedSlashesUnescapeAndForward), "/x%5C..%5Capp1/", "/app1/", pathContinue},
		{"merge after normalise", all(envoyconfig.EscapedSlashesKeep), "//app1//./x/", "/app1/x/", pathContinue},
		{"dot segments", all(envoyconfig.EscapedSlashesKeep), "/public/../app1/", "/app1/", pathContinue},
		{"fragment", all(envoyconfig.EscapedSlashesKeep), "/app1/#x", "", pathReject},
		{"fragment, options off", envoyconfig.HCMOptions{}, "/a#b", "", pathReject},
		{"NUL", all(envoyconfig.EscapedSlashesKeep), "/a%00", "", pathReject},
		// CVE-2026-73551's stripping is part of canonicalPath: with normalize_path off a
		// "..;x" segment stays as written (Envoy's changelog: "Applies only when
		// normalize_path is enabled").
		{"dot segment with parameters", all(envoyconfig.EscapedSlashesKeep), "/public/..;x/app1/", "/app1/", pathContinue},
		{"dot segment with parameters, normalize_path off", envoyconfig.HCMOptions{MergeSlashes: true}, "/public/..;x/app1/", "/public/..;x/app1/", pathContinue},
		{"ordinary segment parameters are kept", all(envoyconfig.EscapedSlashesKeep), "/app1;x/secret;y?q=;z", "/app1;x/secret;y?q=;z", pathContinue},
	}
	for _, tt := range tests {
		got, action := normalizeRequestPath(tt.in, tt.opts)
		if action != tt.action || action != pathReject && got != tt.want {
			t.Errorf("%s: normalizeRequestPath(%q) = %q, %v; want %q, %v", tt.name, tt.in, got, action, tt.want, tt.action)
		}
	}
}
