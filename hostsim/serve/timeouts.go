package serve

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// The connection manager's per-stream timers, as ConnectionManagerImpl::ActiveStream runs
// them (source/common/http/conn_manager_impl.cc, Envoy v1.33.0):
//
//   - request_timeout (onRequestTimeout): armed when the request starts, disarmed when the
//     last byte of the request has gone upstream (here: when the router sends it) or a response
//     starts; firing answers 408 "request timeout".
//   - stream_idle_timeout (onIdleTimeout), or the route's idle_timeout instead: reset by the
//     stream's activity (here: the request's headers and its complete body), disarmed by the
//     response; firing before a response answers 408 "stream timeout".
//
// hostsim buffers whole requests and responses, so activity within a body (each chunk in
// Envoy) is not seen: a body that trickles in slower than the idle timeout still times out
// here only through request_timeout.

var (
	errRequestTimeout    = errors.New("request timeout")
	errStreamIdleTimeout = errors.New("stream timeout")
)

type streamTimers struct {
	mu       sync.Mutex
	cancel   context.CancelCauseFunc
	cause    error
	done     bool
	request  *time.Timer
	idle     *time.Timer
	idleDur  time.Duration
	deadline time.Time // the request timeout's, for the body read
	rc       *http.ResponseController
}

// startTimers arms a stream's timers; cancel ends the stream's context when one fires.
func (l *listener) startTimers(w http.ResponseWriter, start time.Time, cancel context.CancelCauseFunc) *streamTimers {
	t := &streamTimers{cancel: cancel, idleDur: l.hcm.StreamIdleTimeout}
	if d := l.hcm.RequestTimeout; d > 0 {
		t.deadline = start.Add(d)
		t.request = time.AfterFunc(d, func() { t.fire(errRequestTimeout) })
		// Reading the body stops at the same moment.
		t.rc = http.NewResponseController(w)
		t.rc.SetReadDeadline(t.deadline)
	}
	if t.idleDur > 0 {
		t.idle = time.AfterFunc(t.idleDur, func() { t.fire(errStreamIdleTimeout) })
	}
	return t
}

func (t *streamTimers) fire(cause error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done || t.cause != nil {
		return
	}
	t.cause = cause
	t.cancel(cause)
}

// requestReceived is the activity of a complete request body: the idle timer starts again,
// and the connection's read deadline is lifted for the requests that follow on it.
func (t *streamTimers) requestReceived() {
	if t.rc != nil {
		t.rc.SetReadDeadline(time.Time{})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle != nil && !t.done {
		t.idle.Reset(t.idleDur)
	}
}

// bodyReadFailed decides whether a failed body read is the request timeout.
func (t *streamTimers) bodyReadFailed() {
	if !t.deadline.IsZero() && !time.Now().Before(t.deadline) {
		t.fire(errRequestTimeout)
	}
	if t.rc != nil {
		t.rc.SetReadDeadline(time.Time{})
	}
}

// setIdle applies a route's idle_timeout, which replaces stream_idle_timeout (0: none).
func (t *streamTimers) setIdle(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle != nil {
		t.idle.Stop()
		t.idle = nil
	}
	t.idleDur = d
	if d > 0 && !t.done {
		t.idle = time.AfterFunc(d, func() { t.fire(errStreamIdleTimeout) })
	}
}

// requestSent is the router sending the request upstream: the request timeout is over.
func (t *streamTimers) requestSent() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.request != nil {
		t.request.Stop()
	}
}

// responseStarted is the upstream's response headers: neither timer answers any more.
func (t *streamTimers) responseStarted() { t.stop() }

func (t *streamTimers) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	if t.request != nil {
		t.request.Stop()
	}
	if t.idle != nil {
		t.idle.Stop()
	}
}

// fired returns the timeout that fired, or nil.
func (t *streamTimers) fired() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cause
}

// response is Envoy's local reply for the timeout that fired.
func (t *streamTimers) response() *hostsim.Response {
	return localReply(http.StatusRequestTimeout, t.fired().Error())
}
