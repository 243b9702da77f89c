package demo

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// With Options.FreePorts, every port envoy.yaml names (the listener's, the admin interface's,
// each cluster endpoint's) is replaced by a free one, everywhere it appears as
// `port_value: N` or as `localhost:N` / `127.0.0.1:N` (in Exeunt's configuration: the issuer,
// the client hosts and URIs, the provider's issuer). The rewritten file is what gets served:
// the browser tests run the shipped envoy.yaml this way, side by side with anything already
// listening on the usual ports.

var (
	portValueRE = regexp.MustCompile(`port_value:\s*(\d+)`)
	portUseRE   = regexp.MustCompile(`(port_value:\s*|\b(?:localhost|127\.0\.0\.1):)(\d+)\b`)
)

// freePorts rewrites yaml as described above. It returns the new text and the mapping from
// old ports to new ones.
func freePorts(yaml []byte) ([]byte, map[int]int, error) {
	mapping := map[int]int{}
	var holds []net.Listener
	defer func() {
		for _, l := range holds {
			l.Close()
		}
	}()
	for _, m := range portValueRE.FindAllSubmatch(yaml, -1) {
		old, err := strconv.Atoi(string(m[1]))
		if err != nil || old == 0 {
			continue // 0 already means "any free port"
		}
		if _, done := mapping[old]; done {
			continue
		}
		// Each port stays held until all are picked, so that no two are the same.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("picking a free port: %w", err)
		}
		holds = append(holds, l)
		mapping[old] = l.Addr().(*net.TCPAddr).Port
	}
	out := portUseRE.ReplaceAllFunc(yaml, func(b []byte) []byte {
		m := portUseRE.FindSubmatch(b)
		old, _ := strconv.Atoi(string(m[2]))
		if n, ok := mapping[old]; ok {
			return append(append([]byte{}, m[1]...), strconv.Itoa(n)...)
		}
		return b
	})
	return out, mapping, nil
}
