package serve

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
)

// hopByHop are the connection-specific headers that Envoy's connection
// manager removes from what it forwards, in both directions ("te" stays
// when it is "trailers").
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true,
	"transfer-encoding": true, "upgrade": true, "te": true, "trailer": true,
}

func isHopByHop(name, value string) bool {
	name = strings.ToLower(name)
	return hopByHop[name] && !(name == "te" && strings.EqualFold(value, "trailers"))
}

// pairsOf turns a Go header map into lower-cased pairs without the
// hop-by-hop headers. Go's server does not keep the order of different
// names, so they are sorted (the result is at least deterministic); the
// values of one name keep their order.
func pairsOf(h http.Header) []hostsim.Pair {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	var ps []hostsim.Pair
	for _, n := range names {
		for _, v := range h[n] {
			if !isHopByHop(n, v) {
				ps = append(ps, hostsim.Pair{Name: strings.ToLower(n), Value: v})
			}
		}
	}
	return ps
}

func hasPair(ps []hostsim.Pair, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func pairValue(ps []hostsim.Pair, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// newRequestID makes a random (version 4) UUID, the form of the
// x-request-id Envoy generates.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// inlineRequestHeaders are the request headers a client may send that Envoy keeps as inline
// headers (INLINE_REQ_STRING_HEADERS and INLINE_REQ_RESP_STRING_HEADERS in
// envoy/http/header_map.h), without the pseudo-headers, Host (a repeated Host is refused
// before), the hop-by-hop ones (removed: headers.go) and the x-envoy-* ones (removed from
// every external request, forwarded.go). Extensions register more (CustomInlineHeaderRegistry:
// cache-control with the cache or compressor filters, origin with CORS); which depends on the
// Envoy build, so they are left as separate lines here.
var inlineRequestHeaders = []string{
	"content-type", "expect", "grpc-timeout", "user-agent", "via", "x-client-trace-id",
	"x-forwarded-client-cert", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
	"x-request-id",
}

// joinInlineHeaders makes each inline header's repeated lines one entry, at the first one's
// place, the values joined with ",": the HTTP/1 codec adds each line with
// HeaderMapImpl::addViaMove, which appends to an inline header that is already there
// (appendToHeader, source/common/http/header_map_impl.cc). So a filter reads one
// content-type "a,b" where a request sent two lines, and never the first line alone.
func joinInlineHeaders(h []hostsim.Pair) []hostsim.Pair {
	for _, name := range inlineRequestHeaders {
		vs := pairValues(h, name)
		if len(vs) < 2 {
			continue
		}
		out, joined := h[:0:0], false
		for _, p := range h {
			if p.Name != name {
				out = append(out, p)
			} else if !joined {
				out, joined = append(out, hostsim.Pair{Name: name, Value: strings.Join(vs, ",")}), true
			}
		}
		h = out
	}
	return h
}
