package core

import (
	"errors"
	"time"
)

// Two checks, because a restart cures one failure and not the other. The health check
// (health_path) is liveness: the filter is loaded, configured and answering; it stays
// 200 while etcd is out, since restarting Envoy brings etcd back no sooner and a
// restarted replica would only have to load the revocations again. The readiness check
// (ready_path) says whether this VM would serve a signed-in request now: on the etcd
// store, 503 with the reason until its first load of the revocations and whenever its
// copy is older than stale_after, exactly when such requests get the store's 503
// (store_unavailable.go), and 200 otherwise. A load balancer probes ready_path to take a
// replica out of rotation while it refuses everyone; an orchestrator restarts on
// health_path only.
//
// Each VM (Envoy worker) has its own copy and answers for itself: a probe is answered by
// the worker its connection landed on. The workers of one Envoy share one follow of
// etcd (store_etcd_share.go), so they go stale and recover together, within a tick.

// health answers the health check. It reports that the filter is loaded, configured and
// answering, which is what a load balancer probing through Envoy needs to know; it says
// nothing about the upstreams. The answer must never be cached, or a probe could be
// told "ok" by a cache after the filter is gone. The endpoint table (own_endpoints.go)
// lets only GET and HEAD through; head says which.
func health(head bool) Decision { return probeAnswer(200, `{"status":"ok"}`, head) }

// probeAnswer is the health or readiness check's JSON answer: never cached, and for HEAD
// the same headers as GET without a body (RFC 9110, section 9.3.2).
func probeAnswer(status int, body string, head bool) Decision {
	r := &Response{
		Status: status,
		Headers: []Header{
			{Name: "content-type", Value: "application/json"},
			{Name: "cache-control", Value: "no-store"},
		},
		Body: []byte(body),
	}
	if head {
		r.Body = nil
	}
	return Respond(r)
}

// readiness answers the readiness check at now; head as for health.
func (e *Engine) readiness(head bool, now time.Time) Decision {
	status, body := 200, `{"status":"ready"}`
	var err error
	if e.ports.ready != nil && e.cfg.SignInEnabled() {
		err = e.ports.ready(now)
	}
	if err != nil {
		status, body = 503, `{"status":"unavailable","reason":"`+notReadyReason(err)+`"}`
	}
	return probeAnswer(status, body, head)
}

// notReadyReason is the readiness check's reason for err, in words for an operator (a
// fixed text: nothing from etcd's answers is echoed).
func notReadyReason(err error) string {
	switch {
	case errors.Is(err, errRevocationsNotLoaded):
		return "the revocations have not been loaded from etcd yet; signed-in requests get 503"
	case errors.Is(err, errRevocationsStale):
		return "the copy of the revocations is older than store.etcd.stale_after (etcd unreachable?); signed-in requests get 503"
	}
	return "the session store cannot be checked; signed-in requests get 503"
}

// healthRefused answers another method at the health or readiness path: the path belongs to the
// filter, so the request is refused here rather than passed to an upstream that knows
// nothing about it.
func healthRefused() Decision {
	return Respond(&Response{
		Status: 405,
		Headers: []Header{
			{Name: "allow", Value: "GET, HEAD"},
			{Name: "cache-control", Value: "no-store"},
		},
	})
}

// NotConfigured answers requests that reach a plugin whose configuration was rejected.
// Envoy should never send any (a plugin that fails to start serves nothing), but if one
// arrives it is refused rather than let through unchecked.
func NotConfigured() Decision {
	return glueRefusal("exeunt is not configured; see the Envoy log\n")
}

// RequestUnreadable answers a request whose headers the glue could not read from the
// host. Deciding about an empty request instead would let it through with nothing
// checked or stripped, so it is refused like a request to an unconfigured plugin.
func RequestUnreadable() Decision {
	return glueRefusal("exeunt cannot read this request; see the Envoy log\n")
}

// RequestUnprepared answers a request the glue could not prepare for the app: the host
// refused to remove an incoming identity header or to set the session's headers. Letting
// it go on would hand the app a forged identity or none, so it is refused (fail closed).
func RequestUnprepared() Decision {
	return glueRefusal("exeunt cannot prepare this request for the app; see the Envoy log\n")
}

// glueRefusal is the plain-text 503 of a request the glue cannot hand to the engine or
// to the app; the Envoy log says why.
func glueRefusal(text string) Decision {
	return Respond(&Response{
		Status: 503,
		Headers: []Header{
			{Name: "content-type", Value: "text/plain; charset=utf-8"},
			{Name: "cache-control", Value: "no-store"},
		},
		Body: []byte(text),
	})
}
