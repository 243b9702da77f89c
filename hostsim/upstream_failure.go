package hostsim

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
)

// UpstreamFailure is how Envoy's router answers when an upstream gives no
// response: the local reply it sends instead, and the response flag its
// access log shows. Envoy's HTTP callouts go through the same router (the
// async client), so a filter's callout to an unreachable cluster receives
// this reply as its response (onSuccess with a 503), not an empty one.
type UpstreamFailure struct {
	Status int
	Body   string
	// Flag is Envoy's access-log response flag: UH (no healthy upstream),
	// UF (connection failure), UT (upstream request timeout), UC (upstream
	// connection termination).
	Flag string
}

// Envoy's local reply bodies, as its router writes them.
const (
	bodyNoHealthyUpstream = "no healthy upstream"
	bodyUpstreamTimeout   = "upstream request timeout"
	bodyConnectError      = "upstream connect error or disconnect/reset before headers. reset reason: "
)

// NoHealthyUpstream is Envoy's answer for a cluster with no endpoint to
// send to (none configured, or none its DNS resolved).
var NoHealthyUpstream = UpstreamFailure{Status: 503, Body: bodyNoHealthyUpstream, Flag: "UH"}

// UpstreamTimeout is Envoy's answer when the route's (or the callout's)
// timeout ends before the upstream answered.
var UpstreamTimeout = UpstreamFailure{Status: 504, Body: bodyUpstreamTimeout, Flag: "UT"}

// ErrNoHealthyUpstream is what a Cluster's Transport returns when it has no
// endpoint to send to; ClassifyUpstreamError answers it with
// NoHealthyUpstream.
var ErrNoHealthyUpstream = errors.New("hostsim: the cluster has no healthy upstream")

// TransportFailure is a connection to an upstream that failed in its transport socket (a
// TLS handshake: the upstream's certificate failed verification, or the upstream refused
// Envoy's). Reason is Envoy's transport failure reason ("TLS_error:|...:TLS_error_end"),
// which Envoy 1.39 puts in its debug log and %UPSTREAM_TRANSPORT_FAILURE_REASON%, not in the
// local reply.
type TransportFailure struct {
	Reason string
	Err    error
}

func (e *TransportFailure) Error() string { return e.Err.Error() }
func (e *TransportFailure) Unwrap() error { return e.Err }

// ClassifyUpstreamError maps the error of a request sent to an upstream
// (before any response header arrived) to Envoy's answer. requestTimedOut
// says whether the request's own deadline (the route or callout timeout)
// has passed, which Envoy reports as 504 whatever the socket said.
func ClassifyUpstreamError(err error, requestTimedOut bool) UpstreamFailure {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var tf *TransportFailure
	switch {
	case requestTimedOut || errors.Is(err, context.DeadlineExceeded) && !isDial(err):
		return UpstreamTimeout
	case errors.As(err, &tf):
		// A failed TLS handshake is a connection failure (flag UF). Since envoyproxy/envoy#44746
		// (May 2026, on main for v1.39 and backported to v1.38 as #45023, "router: remove
		// upstream failure details from downstream body") the router's local reply no longer
		// carries the transport failure reason: a TLS verification failure reads "reset reason:
		// remote connection failure" (as envoyproxy/envoy#45011 quotes a 1.39-era build).
		return UpstreamFailure{Status: 503, Body: bodyConnectError + "remote connection failure", Flag: "UF"}
	case errors.Is(err, ErrNoHealthyUpstream), errors.As(err, &dnsErr):
		// A STRICT_DNS cluster whose name does not resolve has no hosts.
		return NoHealthyUpstream
	case errors.As(err, &opErr) && opErr.Op == "dial":
		if opErr.Timeout() {
			return UpstreamFailure{Status: 503, Body: bodyConnectError + "connection timeout", Flag: "UF"}
		}
		return UpstreamFailure{Status: 503, Body: bodyConnectError + "remote connection failure, transport failure reason: delayed connect error: " + errnoText(err), Flag: "UF"}
	}
	return UpstreamFailure{Status: 503, Body: bodyConnectError + "connection termination", Flag: "UC"}
}

func isDial(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// errnoText names a socket error as Envoy's messages do.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED:
			return "Connection refused"
		case syscall.EHOSTUNREACH:
			return "No route to host"
		case syscall.ENETUNREACH:
			return "Network is unreachable"
		}
		return strconv.Itoa(int(errno))
	}
	return err.Error()
}

// Header returns the reply's headers as Envoy's local replies carry them.
func (f UpstreamFailure) Header() []Pair {
	return []Pair{{"content-length", strconv.Itoa(len(f.Body))}, {"content-type", "text/plain"}}
}
