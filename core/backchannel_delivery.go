package core

import (
	"net/url"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/oidc"
)

// Back-channel logout towards clients (Back-Channel Logout 1.0): each visited client
// with a backchannel_logout_uri gets a logout token POSTed through its cluster.
//
// A sign-out writes ONE delivery job to the queue (the deliveryQueue port) (whatever the number of clients), so
// the user's answer never waits for the deliveries nor grows with their number. Ticks
// then claim the due deliveries (by compare-and-swap: one VM per attempt), sign a fresh
// token per attempt (new jti and exp) and POST them in parallel. A failure that may pass
// (no answer, a timeout, a 5xx) is retried with exponential backoff until the configured
// deadline; a 4xx is final. The job lives in the store, so a retry survives the VM that
// started it: another VM's tick picks it up once the attempt's lease runs out.

// deliveryJob is the back-channel notifications of one ended session.
type deliveryJob struct {
	Sub      string         `json:"sub"`
	SID      string         `json:"sid"`
	Trigger  string         `json:"trigger"`
	Deadline int64          `json:"deadline"` // Unix seconds; no attempt starts after it
	Items    []deliveryItem `json:"items"`
}

// keepUntil is how long the queue keeps the job: a little past its deadline, so that
// the last attempt's answer (at most timeout after it started) finds its job.
func (j deliveryJob) keepUntil(timeout time.Duration) time.Time {
	return time.Unix(j.Deadline, 0).Add(timeout + time.Minute)
}

func newDeliveryJobID() string { return oidc.RandomID(16) }

// deliveryItem is one client's notification.
type deliveryItem struct {
	_        noCompare
	Client   string `json:"c"`
	Attempts int    `json:"n,omitempty"`
	Due      int64  `json:"due"`             // Unix milliseconds of the next attempt
	Lease    int64  `json:"lease,omitempty"` // Unix milliseconds until which an attempt is in flight
}

const (
	firstRetryDelay = time.Second
	maxRetryDelay   = time.Minute
	// maxDeliveriesPerTick bounds the tokens signed in one tick, so one VM's tick never
	// blocks its requests for long; the rest go out on the next (short) tick.
	maxDeliveriesPerTick = 50
	// urgentTick is the tick period while this VM knows of deliveries due soon.
	urgentTick = 50 * time.Millisecond
)

// retryDelay is the wait after the n-th failed attempt: 1 s, 2 s, 4 s, ... up to a
// minute.
func retryDelay(n int) time.Duration {
	d := firstRetryDelay
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// backchannelJob is the job of an ended session: one item for each client it visited
// that takes logout tokens (a client the session never visited is never notified). Its
// id in the queue is the session's sid (revocations.end), so that ending a session twice
// cannot queue it twice.
func (e *Engine) backchannelJob(sid, sub string, clients []string, trigger string, now time.Time) deliveryJob {
	job := deliveryJob{Sub: sub, SID: sid, Trigger: trigger, Deadline: now.Add(e.cfg.Logout.BackchannelDeadline).Unix()}
	for _, id := range clients {
		if c := e.cfg.Client(id); c != nil && c.BackchannelLogoutURI != "" {
			job.Items = append(job.Items, deliveryItem{Client: id, Due: now.UnixMilli()})
		}
	}
	return job
}

// sendUnqueued sends a job the store could not queue: nothing may be lost, so the first
// attempts go out from here and now, without retries.
func (e *Engine) sendUnqueued(job deliveryJob, err error, now time.Time) {
	e.logf("exeunt: back-channel: cannot queue the notifications of sid=%s (%v); sending once without retries", job.SID, err)
	for _, it := range job.Items {
		if c := e.deliveryCall("", job, it, now); c != nil {
			e.unqueued = append(e.unqueued, c)
		}
	}
}

// deliverDue claims the deliveries due now; the Decision's Background holds their
// calls (and its Call, if any, the queue's own request that leads to them).
//
// One claim at a time per VM: on an asynchronous store (etcd) a claim is a chain of calls
// that can outlast several urgent ticks, and a tick that started another each time would
// pile chains up, each fighting the others (and the other VMs) over the same jobs, until
// the store's answers time out and nothing is delivered. A claim still unanswered when its
// leases would have run out no longer holds the next one back.
func (e *Engine) deliverDue(now time.Time) Decision {
	if now.Before(e.claimingUntil) {
		return Continue()
	}
	unqueued := e.unqueued
	e.unqueued = nil
	leaseFor := e.cfg.Logout.BackchannelTimeout + deliveryFinishReserve
	lease := now.UnixMilli() + leaseFor.Milliseconds()
	e.claimingUntil = now.Add(leaseFor)
	landed := func(claimed []deliveryClaim, at time.Time) []*Call {
		var calls []*Call
		for _, cl := range claimed {
			if c := e.claimedCall(cl, at); c != nil {
				calls = append(calls, c)
			}
		}
		return calls
	}
	return e.ports.deliveries.claimDue(now, max(0, maxDeliveriesPerTick-len(unqueued)), lease, landed, func(_ []deliveryClaim, next int64, err error) Decision {
		e.claimingUntil = time.Time{}
		// Logged when the queue becomes unreadable, not on every tick while it stays so
		// (the store's own log says when it is back).
		if err != nil && !e.queueUnreadable {
			e.logf("exeunt: back-channel: %v (logged once until the queue is read again)", err)
		}
		e.queueUnreadable = err != nil
		calls := unqueued // the claims' own calls went out as each landed
		// Remember when the queue next needs us, so the tick stays short meanwhile.
		if next > 0 {
			e.nextDelivery = time.UnixMilli(next)
		} else {
			e.nextDelivery = time.Time{}
		}
		return Decision{Background: calls}
	})
}

// deliveryFinishReserve is the part of a claim's lease kept for recording the attempt's
// outcome (finish) after its POST: the POST's own timeout ends that long before the
// lease does, so while this replica lives and the store answers, no other claims the
// item before the outcome is recorded (a second token for one sign-out).
const deliveryFinishReserve = 2 * time.Second

// claimedCall is the attempt of a claim acknowledged at at: its POST must end, timeout
// included, deliveryFinishReserve before the claim's lease (item.Lease) does. A claim
// acknowledged too late for that sends nothing: its lease runs out and the item is due
// again, for a fresh claim.
func (e *Engine) claimedCall(cl deliveryClaim, at time.Time) *Call {
	budget := time.UnixMilli(cl.item.Lease).Sub(at) - deliveryFinishReserve
	if budget <= 0 {
		e.logf("exeunt: back-channel: the claim of %s for sid=%s was acknowledged too late for its lease; it is due again when the lease ends", cl.item.Client, cl.job.SID)
		return nil
	}
	c := e.deliveryCall(cl.jobID, cl.job, cl.item, at)
	if c != nil {
		c.Timeout = min(c.Timeout, budget)
	}
	return c
}

// deliveryCall signs a fresh logout token for one attempt and makes the POST.
func (e *Engine) deliveryCall(jobID string, job deliveryJob, it deliveryItem, now time.Time) *Call {
	c := e.cfg.Client(it.Client)
	if c == nil || c.BackchannelLogoutURI == "" {
		// Not a client with a back-channel logout URI here. (The queue's own calls, if its
		// backend needs any, go out on the next tick.)
		e.unqueued = append(e.unqueued, backgroundOf(e.leaveUnknownClient(jobID, job, it, now))...)
		return nil
	}
	claims, err := oidc.NewLogoutTokenClaims(e.cfg.Issuer, c.ClientID, job.Sub, job.SID, now, oidc.MaxLogoutTokenLifetime)
	var token string
	if err == nil {
		token, err = e.keys.signer.Sign(oidc.LogoutTokenType, claims)
	}
	if err != nil {
		e.logf("exeunt: back-channel: cannot sign a logout token for %s: %v", c.ClientID, err)
		return nil
	}
	u, _ := url.Parse(c.BackchannelLogoutURI)
	attempt := it.Attempts + 1
	return &Call{Cluster: c.BackchannelCluster, Method: "POST", Path: u.RequestURI(), Authority: u.Host,
		Headers: []Header{{Name: "content-type", Value: "application/x-www-form-urlencoded"}, {Name: "cache-control", Value: "no-store"}},
		Body:    []byte(encodeQuery("logout_token", token)),
		Timeout: e.cfg.Logout.BackchannelTimeout,
		Then: func(r CallResult) Decision {
			at := r.At
			if at.IsZero() {
				at = now
			}
			return e.deliveryResult(jobID, job, c, attempt, r.Status, at)
		}}
}

// leaveUnknownClient handles a claimed item whose client this VM's configuration does not
// give a back-channel logout URI. During a rolling update the item may come from a
// replica whose configuration does (a client added, or given the URI): dropping it here
// would leave that app untold for good, whichever replica claimed first. So it goes back
// to the queue, due again after the next retry delay (Attempts counts these hand-backs
// too, so the delay grows to a minute), for a replica that has the client; it is dropped
// only at the job's deadline, as a failed delivery would be. An item no replica knows
// (the client removed everywhere) thus lingers until then, claimed once a minute at
// most. RATIONALE.md, "The operator's fleet probe: a rolling update, and a provider
// logout racing a sign-in".
func (e *Engine) leaveUnknownClient(jobID string, job deliveryJob, it deliveryItem, now time.Time) Decision {
	due := now.Add(retryDelay(it.Attempts + 1))
	if jobID == "" || due.Unix() > job.Deadline {
		e.logf("exeunt: back-channel: %s is not a client with a backchannel_logout_uri in this configuration; dropping its logout token for sid=%s (the delivery deadline has come)", it.Client, job.SID)
		return e.finishDelivery(jobID, it.Client, now, func(*deliveryItem) bool { return true })
	}
	e.logf("exeunt: back-channel: %s is not a client with a backchannel_logout_uri in this configuration; its logout token for sid=%s is left for a replica whose configuration has it (until the delivery deadline)", it.Client, job.SID)
	attempts := it.Attempts + 1
	return e.finishDelivery(jobID, it.Client, now, func(item *deliveryItem) bool {
		item.Attempts, item.Due, item.Lease = attempts, due.UnixMilli(), 0
		return false
	})
}

// deliveryResult records the outcome of one attempt: done on 200 or 204 (logoutSucceeded),
// given up on a 4xx or another final answer (another 2xx, a 3xx), retried later on no
// answer, a 5xx or a refusal that only means "not now" (temporaryRefusal) until the
// deadline. The Decision is the queue's (for a background call).
func (e *Engine) deliveryResult(jobID string, job deliveryJob, c *Client, attempt, status int, now time.Time) Decision {
	switch {
	case logoutSucceeded(status):
		e.metrics.Add(clientCounter(c.ClientID, clientBackchannelSent), 1)
		return e.finishDelivery(jobID, c.ClientID, now, func(*deliveryItem) bool { return true })
	case status >= 200 && status < 300:
		e.metrics.Add(clientCounter(c.ClientID, clientBackchannelFailed), 1)
		e.logf("exeunt: back-channel: %s answered the logout token of sid=%s with HTTP %d, not the 200 or 204 that says the logout succeeded (Back-Channel Logout 1.0 §2.8); counted as failed, not retried", c.ClientID, job.SID, status)
		return e.finishDelivery(jobID, c.ClientID, now, func(*deliveryItem) bool { return true })
	case status != 0 && status < 500 && !temporaryRefusal(status):
		e.metrics.Add(clientCounter(c.ClientID, clientBackchannelFailed), 1)
		e.logf("exeunt: back-channel: %s refused the logout token of sid=%s with HTTP %d; not retried", c.ClientID, job.SID, status)
		return e.finishDelivery(jobID, c.ClientID, now, func(*deliveryItem) bool { return true })
	}
	due := now.Add(retryDelay(attempt))
	if jobID == "" || due.Unix() > job.Deadline {
		e.metrics.Add(clientCounter(c.ClientID, clientBackchannelFailed), 1)
		e.logf("exeunt: back-channel: giving up on %s for sid=%s after %d attempts (last: %s)", c.ClientID, job.SID, attempt, statusText(status))
		return e.finishDelivery(jobID, c.ClientID, now, func(*deliveryItem) bool { return true })
	}
	e.metrics.Add(clientCounter(c.ClientID, clientBackchannelRetried), 1)
	e.logf("exeunt: back-channel: %s for sid=%s failed (%s), attempt %d; retrying in %s", c.ClientID, job.SID, statusText(status), attempt, retryDelay(attempt))
	if e.nextDelivery.IsZero() || due.Before(e.nextDelivery) {
		e.nextDelivery = due
	}
	return e.finishDelivery(jobID, c.ClientID, now, func(it *deliveryItem) bool {
		it.Attempts, it.Due, it.Lease = attempt, due.UnixMilli(), 0
		return false
	})
}

// finishDelivery updates a client's item in its job: change returns true to drop it
// (it must have no side effects: a backend may run it more than once). A job with no
// items left goes.
func (e *Engine) finishDelivery(jobID, clientID string, now time.Time, change func(*deliveryItem) bool) Decision {
	if jobID == "" {
		return Continue()
	}
	return e.ports.deliveries.finish(jobID, clientID, now, change, func(err error) Decision {
		if err != nil {
			e.logf("exeunt: back-channel: cannot update the delivery queue: %v", err)
		}
		return Continue()
	})
}

// logoutSucceeded reports the answers that say a client signed the session out:
// "If the logout succeeded, the RP MUST respond with HTTP 200 OK", and "Note that some
// Web frameworks will substitute an HTTP 204 No Content response for an HTTP 200 OK when
// the HTTP body is empty" (Back-Channel Logout 1.0 §2.8). Another 2xx (202 Accepted, say)
// does not say it (RATIONALE.md, "Why only 200 and 204 deliver a logout token").
func logoutSucceeded(status int) bool { return status == 200 || status == 204 }

// temporaryRefusal reports the 4xx answers that say "not now" rather than "never", so
// that Back-Channel Logout's "retry only recoverable failures" retries them: 408 Request
// Timeout (RFC 9110 §15.5.9), 425 Too Early (RFC 8470) and 429 Too Many Requests (RFC
// 6585 §4), which a client's rate limiter or gateway sends under load.
func temporaryRefusal(status int) bool { return status == 408 || status == 425 || status == 429 }

func statusText(status int) string {
	if status == 0 {
		return "no answer"
	}
	return "HTTP " + strconv.Itoa(status)
}
