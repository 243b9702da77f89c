package hostsim

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Pair is one header (or trailer, or metadata) entry. Header maps are kept
// as ordered pairs, never as Go maps, because order and repeated names
// (several Set-Cookie headers) are part of what a filter sees in Envoy.
type Pair struct {
	Name, Value string
}

// EncodePairs serializes pairs in the Proxy-Wasm map format:
//
//	u32 count
//	count × (u32 name length, u32 value length)
//	count × (name bytes, 0, value bytes, 0)
//
// All integers are little-endian. This is the layout of
// proxy_get_header_map_pairs results, proxy_send_local_response and
// proxy_http_call arguments, and the request.headers property.
func EncodePairs(pairs []Pair) []byte {
	size := 4
	for _, p := range pairs {
		size += 8 + len(p.Name) + 1 + len(p.Value) + 1
	}
	out := make([]byte, size)
	binary.LittleEndian.PutUint32(out, uint32(len(pairs)))
	off := 4
	for _, p := range pairs {
		binary.LittleEndian.PutUint32(out[off:], uint32(len(p.Name)))
		binary.LittleEndian.PutUint32(out[off+4:], uint32(len(p.Value)))
		off += 8
	}
	for _, p := range pairs {
		off += copy(out[off:], p.Name) + 1
		off += copy(out[off:], p.Value) + 1
	}
	return out
}

var errPairsTruncated = errors.New("hostsim: header pairs truncated")

// DecodePairs parses the Proxy-Wasm map format (see EncodePairs). An empty
// input is an empty map, as the SDK sends for "no headers". Anything
// malformed (short, lengths past the end, missing NUL terminators, trailing
// bytes) is an error: a guest that sends it has a bug worth seeing.
func DecodePairs(b []byte) ([]Pair, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 4 {
		return nil, errPairsTruncated
	}
	n := binary.LittleEndian.Uint32(b)
	// Each pair needs at least 8 bytes of sizes and 2 terminators.
	if uint64(n)*10 > uint64(len(b)-4) {
		return nil, fmt.Errorf("hostsim: header pairs claim %d entries in %d bytes", n, len(b))
	}
	sizes := b[4 : 4+8*int(n)]
	data := b[4+8*int(n):]
	pairs := make([]Pair, 0, n)
	for i := 0; i < int(n); i++ {
		nl := int(binary.LittleEndian.Uint32(sizes[8*i:]))
		vl := int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		name, rest, err := cutTerminated(data, nl)
		if err != nil {
			return nil, err
		}
		value, rest, err := cutTerminated(rest, vl)
		if err != nil {
			return nil, err
		}
		data = rest
		pairs = append(pairs, Pair{Name: name, Value: value})
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("hostsim: %d bytes after the last header pair", len(data))
	}
	return pairs, nil
}

func cutTerminated(b []byte, n int) (string, []byte, error) {
	if n < 0 || n >= len(b) {
		return "", nil, errPairsTruncated
	}
	if b[n] != 0 {
		return "", nil, errors.New("hostsim: header pair not NUL-terminated")
	}
	return string(b[:n]), b[n+1:], nil
}
