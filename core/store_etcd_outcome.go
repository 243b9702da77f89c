package core

import (
	"errors"
	"fmt"
	"strings"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// Whether a failed write to etcd may still have been made. A write whose answer never came
// (no answer, Envoy's 504 when the call's timeout ended first, a connection cut after the
// request went out) or that etcd itself answered with "maybe" (its Unavailable and
// DeadlineExceeded, "request timed out": the proposal may still commit) may be applied
// later, when a hung member or a partition recovers. Only an answer that shows the request
// never reached etcd, or that etcd refused it, says it was not made. A flow must not tell a
// user "not done" for the first kind (errOutcomeUnknown): only "not confirmed".

// errCallNotSent is the failure of a call the host refused to dispatch (Envoy refuses a
// cluster it does not define): the write never left, so it was not made.
var errCallNotSent = errors.New("store etcd: the host refused to send the call to etcd's cluster " +
	"(does this Envoy define the cluster store.etcd.cluster names?)")

// writeOutcome wraps err, the failure of a write whose HTTP answer was status and body,
// with errOutcomeUnknown unless the answer shows the write was not made.
func writeOutcome(status int, body []byte, err error) error {
	if err == nil || notApplied(status, body, err) {
		return err
	}
	return fmt.Errorf("%w: %w", errOutcomeUnknown, err)
}

// notApplied reports the answers that show a write was not made: a call the host
// refused to send (errCallNotSent), etcd's own refusal
// (etcdRefused, and not its Unavailable class), and the local replies Envoy's router sends when it could not
// connect to the cluster at all (the texts hostsim's upstream_failure.go reproduces from
// Envoy's router: "no healthy upstream", and "upstream connect error or disconnect/reset
// before headers. reset reason: " followed by a connect-phase reason). A reset reason of
// "connection termination" is not among them: the request may have gone out first.
func notApplied(status int, body []byte, err error) bool {
	if errors.Is(err, errCallNotSent) {
		return true
	}
	var e *etcdv3.Error
	if !errors.As(err, &e) {
		return false
	}
	if !e.NotEtcd {
		return etcdRefused(e.Code) && !errors.Is(err, etcdv3.ErrUnavailable)
	}
	if status != 503 {
		return false
	}
	text := string(body)
	if text == "no healthy upstream" {
		return true
	}
	reason, ok := strings.CutPrefix(text, "upstream connect error or disconnect/reset before headers. reset reason: ")
	return ok && (strings.HasPrefix(reason, "connection failure") || strings.HasPrefix(reason, "remote connection failure") ||
		strings.HasPrefix(reason, "local connection failure") || strings.HasPrefix(reason, "connection timeout") ||
		strings.HasPrefix(reason, "overflow"))
}

// etcdRefused reports the gRPC codes with which etcd refuses a request it did not carry
// out: a bad or unauthorised request, a lease or key it lacks, a quota. Any other code
// says nothing of the write: Unavailable and DeadlineExceeded (a proposal not yet
// committed), Canceled (a proposal whose context ended, "etcdserver: request canceled";
// or the gateway's own connection to its member closing as the member stops, "grpc: the
// client connection is closing", after the request may have gone in), Unknown and
// Internal (what the gateway answers for an error it cannot place), DataLoss.
func etcdRefused(c etcdv3.Code) bool {
	switch c {
	case etcdv3.CodeInvalidArgument, etcdv3.CodeNotFound, etcdv3.CodeAlreadyExists, etcdv3.CodePermissionDenied,
		etcdv3.CodeResourceExhausted, etcdv3.CodeFailedPrecondition, etcdv3.CodeOutOfRange, etcdv3.CodeUnimplemented,
		etcdv3.CodeUnauthenticated:
		return true
	}
	return false
}
