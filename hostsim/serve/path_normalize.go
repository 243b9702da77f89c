package serve

import (
	"strings"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Path normalisation as Envoy's HTTP connection manager does it before routing and before any
// filter runs. Sources (Envoy v1.33.0; unchanged in substance up to v1.38):
//
//   - source/common/http/conn_manager_utility.cc, ConnectionManagerUtility::maybeNormalizePath:
//     a '#' in :path is refused (runtime envoy.reloadable_features.http_reject_path_with_fragment,
//     on by default); then path_with_escaped_slashes_action (unless KEEP_UNCHANGED, %2F/%2f and
//     %5C/%5c in the path are unescaped; REJECT_REQUEST refuses when it found one,
//     UNESCAPE_AND_REDIRECT redirects, UNESCAPE_AND_FORWARD goes on); then normalize_path
//     (PathUtil::canonicalPath, a failure refuses); then merge_slashes (PathUtil::mergeSlashes).
//   - source/common/http/path_utility.cc: canonicalPath runs on the path without its query,
//     first stripping parameters from dot segments ("/..;x" is "/..", ".;x" is "."; other
//     segments keep theirs), then Chromium's url::CanonicalizePath; mergeSlashes and
//     unescapeSlashes work on the path before '?' only. The dot-segment step is the fix for
//     CVE-2026-73551 (GHSA-2w8w-rfw7-8gg4) in Envoy v1.39.1 and v1.38.4 (envoyproxy/envoy#46997
//     and its backports, 2026-08-27), runtime
//     envoy.reloadable_features.strip_dotdot_segments_with_parameters, on by default; Envoy's
//     changelog: "Applies only when normalize_path is enabled", and the source calls it from
//     canonicalPath. Read from the patched path_utility.cc and path_utility_test.cc (which
//     also carry removePathParameters, CVE-2026-73553's RBAC fix) as stored in a code index;
//     the full repository is too large to fetch here, so no tag checkout.
//   - Not the same fix: CVE-2026-73511 (GHSA-m745-gh6x-349x, same releases, runtime
//     envoy.reloadable_features.strip_path_parameters_per_segment), "strip path parameters
//     from individual path segments per RFC 3986 section 3.3". Istio's bulletin for those
//     releases calls it "path matching for per-segment parameters": the route table's
//     ignore_path_parameters_in_path_matching, whose RouteEntryImplBase::
//     sanitizePathBeforePathMatching (source/common/router/config_impl.cc) cut the path at
//     its first ';' before the fix. Read so, it changes route matching only, not :path, and
//     the filter still sees "/app1;x/secret". hostsim does not simulate that route-table
//     option (it is named as not supported). The source of the 73511 change itself was not
//     found (no stored file carries the runtime guard's name), so this reading rests on the
//     release notes and Istio's bulletin, not on code.
//   - url/url_canon_path.cc in googleurl (Chromium's URL library, which Envoy links), and
//     Envoy's former snapshot of it, source/common/chromium_url/url_canon_path.cc: the
//     character table and DoPartialPath implemented by canonicalizePath below.
//   - source/common/http/conn_manager_impl.cc, ActiveStream::decodeHeaders: Reject is a local
//     400 with no body, Redirect a local 307 whose Location is the unescaped path (a 400 for
//     gRPC requests), both sent before the filter chain is created: no filter sees them.

// pathAction is what maybeNormalizePath decided.
type pathAction int

const (
	pathContinue pathAction = iota
	pathReject
	pathRedirect
)

// normalizeRequestPath applies the connection manager's path options to a :path (path and
// query) and says what to do with the request.
func normalizeRequestPath(path string, o envoyconfig.HCMOptions) (string, pathAction) {
	if strings.Contains(path, "#") {
		return path, pathReject
	}
	action := pathContinue
	if o.EscapedSlashes != envoyconfig.EscapedSlashesKeep && o.EscapedSlashes != "" {
		var found bool
		path, found = unescapeSlashes(path)
		if found {
			switch o.EscapedSlashes {
			case envoyconfig.EscapedSlashesReject:
				return path, pathReject
			case envoyconfig.EscapedSlashesUnescapeRedirect:
				action = pathRedirect
			}
		}
	}
	if o.NormalizePath {
		var ok bool
		if path, ok = canonicalPath(path); !ok {
			return path, pathReject
		}
	}
	if o.MergeSlashes {
		path = mergeSlashes(path)
	}
	return path, action
}

// splitQuery splits a :path at its first '?': the query keeps its '?'.
func splitQuery(p string) (path, query string) {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// unescapeSlashes is PathUtil::unescapeSlashes: %2F, %2f, %5C and %5c in the path (not the
// query) become '/' and '\'; found says whether there was any.
func unescapeSlashes(p string) (string, bool) {
	path, query := splitQuery(p)
	if !strings.Contains(path, "%") {
		return p, false
	}
	out := strings.NewReplacer("%2F", "/", "%2f", "/", "%5C", `\`, "%5c", `\`).Replace(path)
	return out + query, len(out) != len(path)
}

// mergeSlashes is PathUtil::mergeSlashes: runs of '/' in the path (not the query) become one,
// keeping a leading and a trailing slash.
func mergeSlashes(p string) string {
	path, query := splitQuery(p)
	if !strings.Contains(path, "//") {
		return p
	}
	var parts []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			parts = append(parts, s)
		}
	}
	prefix, suffix := "", ""
	if strings.HasPrefix(path, "/") {
		prefix = "/"
	}
	if strings.HasSuffix(path, "/") {
		suffix = "/"
	}
	return prefix + strings.Join(parts, "/") + suffix + query
}

// canonicalPath is PathUtil::canonicalPath: the path without its query is canonicalised (dot
// segments with parameters stripped first), the query appended unchanged; ok is false when
// Chromium's canonicaliser reports the path invalid (an escaped or raw NUL).
func canonicalPath(p string) (string, bool) {
	p = stripParametersFromDotSegments(p)
	path, query := splitQuery(p)
	out, ok := canonicalizePath(path)
	if !ok {
		return p, false
	}
	return out + query, true
}

// stripParametersFromDotSegments is PathUtil::stripParametersFromDotSegments (CVE-2026-73551):
// a segment that starts with "..;" becomes "..", one that starts with ".;" becomes ".", in the
// path before '?' or '#'; every other segment keeps its parameters.
func stripParametersFromDotSegments(p string) string {
	end := strings.IndexAny(p, "?#")
	if end < 0 {
		end = len(p)
	}
	path, rest := p[:end], p[end:]
	if !strings.Contains(path, ".;") {
		return p
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, "..;"):
			segs[i] = ".."
		case strings.HasPrefix(s, ".;"):
			segs[i] = "."
		}
	}
	return strings.Join(segs, "/") + rest
}

// Character classes of googleurl's kPathCharLookup.
const (
	chPass     = 0
	chSpecial  = 1
	chEscape   = 2 | chSpecial // must be percent-encoded in the output
	chUnescape = 4             // an escaped form is decoded in the output
	chInvalid  = 8 | chSpecial // makes the path invalid (NUL)
)

// pathChars is kPathCharLookup: unreserved characters (ALPHA, DIGIT, '-', '.', '_', '~') are
// decoded when escaped; controls, space, '"', '#', '%', '<', '>', '?', '\', '^', '`', '{', '|',
// '}', DEL and every byte above 0x7F are escaped; NUL is invalid; the rest pass unchanged.
var pathChars = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		switch {
		case c == 0:
			t[c] = chInvalid
		case c < 0x20 || c >= 0x7f:
			t[c] = chEscape
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '~':
			t[c] = chUnescape
		case c == '.':
			t[c] = chSpecial
		case strings.IndexByte(" \"#%<>?\\^`{|}", byte(c)) >= 0:
			t[c] = chEscape
		default:
			t[c] = chPass
		}
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexValue(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// decodeEscaped is DecodeEscaped: "%XX" at i, with two hex digits.
func decodeEscaped(s string, i int) (byte, bool) {
	if i+3 > len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
		return 0, false
	}
	return hexValue(s[i+1])<<4 | hexValue(s[i+2]), true
}

// isDot is IsDot: the length of a '.' or "%2e"/"%2E" at i, or 0.
func isDot(s string, i int) int {
	if s[i] == '.' {
		return 1
	}
	if s[i] == '%' && i+3 <= len(s) && s[i+1] == '2' && (s[i+2] == 'e' || s[i+2] == 'E') {
		return 3
	}
	return 0
}

func isURLSlash(c byte) bool { return c == '/' || c == '\\' }

// canonicalizePath is url::CanonicalizePath (DoPath and DoPartialPath): a leading '/' is
// added when missing, '\' becomes '/', "." and ".." segments (also as %2e) are resolved and
// never climb above the root, escaped unreserved characters are decoded, characters that must
// be escaped are, other escapes are kept as written (their hex case too), and a '%' that
// starts no valid escape is kept, its nested escapes neutralised (CheckForNestedEscapes). ok
// is false for a NUL, raw or escaped.
func canonicalizePath(s string) (string, bool) {
	out := make([]byte, 0, len(s)+1)
	if len(s) == 0 {
		return "/", true
	}
	if !isURLSlash(s[0]) {
		out = append(out, '/')
	}
	const begin = 0 // the path starts the output
	ok := true
	lastInvalidPercent := -1 << 30
	for i := 0; i < len(s); i++ {
		c := s[i]
		flags := pathChars[c]
		if flags&chSpecial == 0 {
			out = append(out, c)
			continue
		}
		if dotlen := isDot(s, i); dotlen > 0 {
			if len(out) > begin && out[len(out)-1] == '/' {
				consumed, disp := classifyAfterDot(s, i+dotlen)
				switch disp {
				case notADirectory:
					out = append(out, '.')
					i += dotlen - 1
				case directoryCur:
					i += dotlen + consumed - 1
				case directoryUp:
					out = backUpToPreviousSlash(begin, out)
					i += dotlen + consumed - 1
				}
			} else {
				out = append(out, '.')
				i += dotlen - 1
			}
			continue
		}
		switch {
		case c == '\\':
			out = append(out, '/')
		case c == '%':
			v, valid := decodeEscaped(s, i)
			if !valid {
				lastInvalidPercent = len(out)
				out = append(out, '%')
				continue
			}
			i += 2
			vf := pathChars[v]
			if vf&chUnescape != 0 {
				out = append(out, v)
				if lastInvalidPercent >= len(out)-3 {
					out = checkForNestedEscapes(s, i+1, lastInvalidPercent, out)
				}
				continue
			}
			out = append(out, '%', s[i-1], s[i])
			if vf&chInvalid == chInvalid {
				ok = false
			}
		case flags&chInvalid == chInvalid:
			out = appendEscaped(out, c)
			ok = false
		case flags&chEscape == chEscape:
			out = appendEscaped(out, c)
		}
	}
	return string(out), ok
}

type dotDisposition int

const (
	notADirectory dotDisposition = iota
	directoryCur
	directoryUp
)

// classifyAfterDot is ClassifyAfterDot: what the dot before afterDot means, and how many more
// input bytes it takes.
func classifyAfterDot(s string, afterDot int) (int, dotDisposition) {
	if afterDot == len(s) {
		return 0, directoryCur
	}
	if isURLSlash(s[afterDot]) {
		return 1, directoryCur
	}
	if second := isDot(s, afterDot); second > 0 {
		after := afterDot + second
		if after == len(s) {
			return second, directoryUp
		}
		if isURLSlash(s[after]) {
			return second + 1, directoryUp
		}
	}
	return 0, notADirectory
}

// backUpToPreviousSlash is BackUpToPreviousSlash: out ends with '/'; drop the last segment,
// never the first slash.
func backUpToPreviousSlash(begin int, out []byte) []byte {
	i := len(out) - 1
	if i == begin {
		return out
	}
	i--
	for out[i] != '/' && i > begin {
		i--
	}
	return out[:i+1]
}

// checkForNestedEscapes is CheckForNestedEscapes: after decoding a character within two bytes
// of a '%' that started no valid escape, if the output now reads as a valid escape ("%%30%30"
// becoming "%00"), that '%' becomes "%25" so that nobody decodes it later.
func checkForNestedEscapes(s string, next, lastInvalidPercent int, out []byte) []byte {
	length := len(out)
	lastUnescaped := out[length-1]
	appendNext := lastInvalidPercent == length-2
	if appendNext {
		if next == len(s) || s[next] >= 0x80 {
			return out
		}
		out = append(out, s[next])
	}
	if _, valid := decodeEscaped(string(out), lastInvalidPercent); valid {
		if !appendNext {
			out = append(out, out[lastInvalidPercent+1])
		}
		out[lastInvalidPercent+1] = '2'
		out[lastInvalidPercent+2] = '5'
		return append(out, lastUnescaped)
	}
	if appendNext {
		out = out[:length]
	}
	return out
}

func appendEscaped(out []byte, c byte) []byte {
	const hex = "0123456789ABCDEF"
	return append(out, '%', hex[c>>4], hex[c&15])
}
