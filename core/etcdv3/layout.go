package etcdv3

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// MaxKeyBytes bounds a key [Layout.Key] builds. etcd itself only bounds the whole request
// (1.5 MiB), but every key lives in the memory of every member's index: a port whose ids
// can be long (an issuer URL and a provider's sid) hashes them first.
const MaxKeyBytes = 512

// Layout places records under one configurable prefix, one key space per kind of record,
// so that a fleet's keys never mix with another application's (or another fleet's) in a
// shared etcd, an etcd role can be granted exactly that prefix, and each kind can be ranged
// over, or followed, on its own:
//
//	<prefix><space>/<part>/<part>...    for example /exeunt/revoked/sid/3q2-7w
//
// The prefix starts and ends with "/" ("/exeunt/" by default in the fleet configuration); a
// space is a short lowercase name; each part is escaped so that "/" inside it (an issuer
// URL) never splits it, and [Layout.Parse] gives the parts back.
type Layout struct {
	prefix string
}

// NewLayout checks prefix: 2 to 128 bytes of letters, digits, ".", "_", "-" and "/",
// starting and ending with "/", without "//".
func NewLayout(prefix string) (Layout, error) {
	switch {
	case len(prefix) < 2 || len(prefix) > 128:
		return Layout{}, fmt.Errorf("etcdv3: key prefix %q: must be 2 to 128 bytes long, like \"/exeunt/\"", prefix)
	case prefix[0] != '/' || prefix[len(prefix)-1] != '/':
		return Layout{}, fmt.Errorf("etcdv3: key prefix %q: must start and end with \"/\", like \"/exeunt/\"", prefix)
	case strings.Contains(prefix, "//"):
		return Layout{}, fmt.Errorf("etcdv3: key prefix %q: must not contain \"//\"", prefix)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return Layout{}, fmt.Errorf("etcdv3: key prefix %q: only letters, digits, \".\", \"_\", \"-\" and \"/\" are allowed", prefix)
		}
	}
	return Layout{prefix: prefix}, nil
}

// Prefix is the layout's prefix.
func (l Layout) Prefix() string { return l.prefix }

// All is the range of every key of the layout: what an etcd role for Exeunt is granted.
func (l Layout) All() (key, end []byte) {
	key = []byte(l.prefix)
	return key, PrefixEnd(key)
}

// Space is the range of every key of one space: what a follower ranges over.
func (l Layout) Space(space string) (key, end []byte, err error) {
	if err := checkSpace(space); err != nil {
		return nil, nil, err
	}
	key = []byte(l.prefix + space + "/")
	return key, PrefixEnd(key), nil
}

// Key is the key of one record: the space and at least one part.
func (l Layout) Key(space string, parts ...string) ([]byte, error) {
	if err := checkSpace(space); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("etcdv3: a key in space %q needs at least one part", space)
	}
	var b bytes.Buffer
	b.WriteString(l.prefix)
	b.WriteString(space)
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("etcdv3: a key in space %q has an empty part", space)
		}
		b.WriteByte('/')
		escapePart(&b, p)
	}
	if b.Len() > MaxKeyBytes {
		return nil, fmt.Errorf("etcdv3: a key in space %q would be %d bytes, over %d: hash the long part first", space, b.Len(), MaxKeyBytes)
	}
	return b.Bytes(), nil
}

// Parse splits a key of the layout into its space and parts, unescaped.
func (l Layout) Parse(key []byte) (space string, parts []string, err error) {
	rest, ok := strings.CutPrefix(string(key), l.prefix)
	if !ok {
		return "", nil, fmt.Errorf("etcdv3: key %q is not under the prefix %q", excerpt(key), l.prefix)
	}
	fields := strings.Split(rest, "/")
	if len(fields) < 2 || checkSpace(fields[0]) != nil {
		return "", nil, fmt.Errorf("etcdv3: key %q is not <prefix><space>/<part>...", excerpt(key))
	}
	for _, f := range fields[1:] {
		p, err := unescapePart(f)
		if err != nil || p == "" {
			return "", nil, fmt.Errorf("etcdv3: key %q has a part that is not escaped as Layout.Key escapes it", excerpt(key))
		}
		parts = append(parts, p)
	}
	return fields[0], parts, nil
}

// checkSpace: 1 to 32 bytes of lowercase letters, digits and "-".
func checkSpace(space string) error {
	if len(space) == 0 || len(space) > 32 {
		return fmt.Errorf("etcdv3: key space %q: must be 1 to 32 bytes long", space)
	}
	for i := 0; i < len(space); i++ {
		if c := space[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("etcdv3: key space %q: only lowercase letters, digits and \"-\" are allowed", space)
		}
	}
	return nil
}

// escapePart writes p with "%", "/" and every byte outside printable ASCII as %XX.
func escapePart(b *bytes.Buffer, p string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' || c == '/' || c <= ' ' || c >= 0x7f {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

func unescapePart(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("a truncated escape")
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", errors.New("a bad escape")
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return string(out), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// PrefixEnd is the RangeEnd that makes a range cover every key starting with prefix, as
// rpc.proto's RangeRequest describes it ("If range_end is key plus one (e.g., "aa"+1 ==
// "ab", "a\xff"+1 == "b"), then the range request gets all keys prefixed with key"): the
// prefix with its last byte below 0xff incremented and what follows dropped. A prefix of
// only 0xff bytes (or an empty one) has no such end: "\x00", all keys from the prefix on.
func PrefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}
