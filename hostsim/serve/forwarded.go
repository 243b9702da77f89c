package serve

import (
	"net"
	"net/netip"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// The connection manager's changes to request headers before the filters run, as
// ConnectionManagerUtility::mutateRequestHeaders and cleanInternalHeaders do them
// (source/common/http/conn_manager_utility.cc, Envoy v1.33.0), for what hostsim simulates:
// x-forwarded-for, x-forwarded-proto, x-envoy-internal, x-envoy-external-address, the
// internal-only x-envoy-* headers and x-request-id; and the downstream address the filter sees
// (the source.address property), which XFF may decide.

// forwarded is the outcome for one request.
type forwarded struct {
	header []hostsim.Pair
	// remote is the client address as Envoy decides it: "ip:port", or "ip:0" when it comes
	// from x-forwarded-for (Envoy parses an address without a port there).
	remote string
}

// envoyInternalHeaders are what cleanInternalHeaders removes from every request that is not
// internal; the first three only from edge requests.
var (
	edgeOnlyInternalHeaders = []string{"x-envoy-decorator-operation", "x-envoy-downstream-service-cluster", "x-envoy-downstream-service-node"}
	internalHeaders         = []string{
		"x-envoy-retriable-status-codes", "x-envoy-retriable-header-names", "x-envoy-retry-on",
		"x-envoy-retry-grpc-on", "x-envoy-max-retries", "x-envoy-upstream-alt-stat-name",
		"x-envoy-upstream-rq-timeout-ms", "x-envoy-upstream-rq-per-try-timeout-ms",
		"x-envoy-upstream-rq-timeout-alt-response", "x-envoy-expected-rq-timeout-ms",
		"x-envoy-force-trace", "x-envoy-ip-tags", "x-envoy-original-url",
		"x-envoy-hedge-on-per-try-timeout",
	}
)

// mutateRequestHeaders applies o to the downstream headers of a request that arrived from
// remoteAddr on localAddr ("ip:port" each), over TLS or not.
func mutateRequestHeaders(h []hostsim.Pair, o envoyconfig.HCMOptions, remoteAddr, localAddr string, tls bool) forwarded {
	h = withoutPairs(h, "x-envoy-internal")
	// x-forwarded-for, x-forwarded-proto and the others of Envoy's inline headers: repeated
	// lines are one value, joined with "," (headers.go, joinInlineHeaders).
	h = joinInlineHeaders(h)
	proto := "http"
	if tls {
		proto = "https"
	}
	remoteIP := hostOf(remoteAddr)
	var final string // "" while unknown
	allowTrusted := false
	if o.UseRemoteAddress {
		allowTrusted = !hasPair(h, "x-forwarded-for")
		if o.XFFNumTrustedHops > 0 {
			if ip, _, ok := lastAddressFromXFF(h, int(o.XFFNumTrustedHops)-1); ok {
				final = net.JoinHostPort(ip, "0")
			}
		}
		if final == "" {
			final = remoteAddr
		}
		if !o.SkipXFFAppend {
			// A loopback peer is recorded as Envoy's own (listener) address.
			appended := remoteIP
			if ip, err := netip.ParseAddr(remoteIP); err == nil && ip.IsLoopback() {
				appended = hostOf(localAddr)
			}
			h = appendXFF(h, appended)
		}
		if o.XFFNumTrustedHops == 0 || !hasPair(h, "x-forwarded-proto") {
			h = setPair(h, "x-forwarded-proto", proto)
		}
	} else if ip, single, ok := lastAddressFromXFF(h, int(o.XFFNumTrustedHops)); ok {
		// The default original IP detection (the xff extension) with xff_num_trusted_hops.
		final, allowTrusted = net.JoinHostPort(ip, "0"), single
	}
	if !hasPair(h, "x-forwarded-proto") {
		h = append(h, hostsim.Pair{Name: "x-forwarded-proto", Value: proto})
	}
	internal := allowTrusted && final != "" && isInternalAddress(hostOf(final))
	if final == "" {
		final = remoteAddr
	}
	edge := !internal && o.UseRemoteAddress
	if internal {
		h = append(h, hostsim.Pair{Name: "x-envoy-internal", Value: "true"})
	} else {
		if edge {
			h = withoutPairs(h, edgeOnlyInternalHeaders...)
		}
		h = withoutPairs(h, internalHeaders...)
	}
	if edge {
		h = setPair(h, "x-envoy-external-address", hostOf(final))
	}
	if o.GenerateRequestID {
		// Forced for edge requests: a client does not choose its request id.
		if edge && !o.PreserveExternalRequestID || !hasPair(h, "x-request-id") {
			h = setPair(h, "x-request-id", newRequestID())
		}
	}
	return forwarded{header: h, remote: final}
}

// lastAddressFromXFF is Utility::getLastAddressFromXFF (source/common/http/utility.cc): the
// address numToSkip entries from the end of x-forwarded-for, if it is an IP address; single is
// true when it is the first entry (no comma before it).
func lastAddressFromXFF(h []hostsim.Pair, numToSkip int) (ip string, single, ok bool) {
	xff := pairValue(h, "x-forwarded-for")
	if xff == "" {
		return "", false, false
	}
	parts := strings.Split(xff, ",")
	if numToSkip >= len(parts) {
		return "", false, false
	}
	s := strings.TrimSpace(parts[len(parts)-1-numToSkip])
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false, false
	}
	return a.String(), len(parts)-1-numToSkip == 0, true
}

func pairValues(h []hostsim.Pair, name string) []string {
	var vs []string
	for _, p := range h {
		if p.Name == name {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// appendXFF is Utility::appendXff: ip is added to x-forwarded-for, after ", " when it has a
// value already.
func appendXFF(h []hostsim.Pair, ip string) []hostsim.Pair {
	for i := range h {
		if h[i].Name == "x-forwarded-for" {
			h[i].Value += ", " + ip
			return h
		}
	}
	return append(h, hostsim.Pair{Name: "x-forwarded-for", Value: ip})
}

// isInternalAddress is Network::Utility::isInternalAddress, the default internal address
// configuration in v1.33: RFC 1918 space, 127.0.0.1 exactly, IPv6 fc00::/7 and ::1.
func isInternalAddress(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return b[0] == 10 || b[0] == 192 && b[1] == 168 || b[0] == 172 && b[1] >= 16 && b[1] <= 31 ||
			a == netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return a == netip.IPv6Loopback() || a.As16()[0]&0xfe == 0xfc
}

func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func withoutPairs(h []hostsim.Pair, names ...string) []hostsim.Pair {
	out := h[:0:0]
	for _, p := range h {
		drop := false
		for _, n := range names {
			if p.Name == n {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, p)
		}
	}
	return out
}

// setPair replaces every value of name with one.
func setPair(h []hostsim.Pair, name, value string) []hostsim.Pair {
	return append(withoutPairs(h, name), hostsim.Pair{Name: name, Value: value})
}
