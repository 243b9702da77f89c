package core

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// The etcd backend (issue 14): every port over an etcd v3 cluster, reached through an
// Envoy cluster in front of etcd's HTTP/JSON gateway, with requests and answers built and
// read by core/etcdv3. Each port operation is one or a few calls, chained in continuation
// style: the flows wait on etcd only where a port's contract says the answer must be
// durable or atomic. The revocation check reads a local copy, which the backend keeps
// current by following etcd by revision on ticks (store_etcd_follow.go); the VMs of one
// Envoy share one follow, one read of the delivery queue and every revocation made
// through shared data (store_etcd_share.go).
//
// How each port maps to etcd (keys under the configured prefix, one space per kind):
//
//	revoked/<sid>                      until (Unix ms)                    put on a lease
//	claim/<kind>/<id>                  until (Unix ms)                    txn create-if-absent
//	session/<sid>                      until, record (JSON)               put (txn with links)
//	by-psid/<hash>/<sid>, by-sub/...   until                              put in that txn
//	context/<id>                       until, payload                     put on a lease
//	context-sid/<sid>/<id>             until                              put with the context
//	delivery/<job id>                  the job (JSON)                     txn on mod_revision
//	members/<envoy id>                 the revision its copy reached      put on its own lease
//
// Every record carries its own end; a lease (one per minute of expiry, shared) only
// collects it some time after. RATIONALE.md ("Why etcd through its JSON gateway, and how
// a replica follows it") says why.
//
// Selected by the `store` setting (config_store.go: "store": {"backend": "etcd", ...}).

// etcdSettings say how a VM reaches etcd.
type etcdSettings struct {
	_         noCompare
	Cluster   string        // the Envoy cluster in front of etcd's gateway
	Authority string        // the :authority of its calls
	Prefix    string        // the key prefix, like "/exeunt/"
	Timeout   time.Duration // per call
	// FollowEvery is how often the revocations are polled; StaleAfter how long after the
	// last successful poll the copy is still trusted: past it, isRevoked fails (closed).
	FollowEvery, StaleAfter time.Duration
	// BackchannelTimeout is the delivery timeout, for how long a job is kept.
	BackchannelTimeout time.Duration
	// User and Password, when User is set, are traded for a token at etcd's
	// /v3/auth/authenticate (etcd's user and password authentication). Never logged.
	User, Password string
}

// etcdBackend is one VM's connection state: its lease cache and its copy of the
// revocations. A VM is single-threaded, so nothing here is locked.
type etcdBackend struct {
	set    etcdSettings
	gw     etcdv3.Gateway
	layout etcdv3.Layout
	log    func(string)

	leases map[int64]int64 // lease id by expiry minute
	token  string          // etcd's auth token, when User is set

	revoked    map[string]int64 // sid -> until (Unix ms)
	revision   int64            // the revision the copy is at
	loaded     bool             // one follow completed
	lastFollow time.Time        // when the last successful follow started
	following  bool             // a follow is in flight
	followRead bool             // the follow in flight read a revocation

	// The state the logs report changes of (store_etcd_follow.go): when follows began
	// failing (zero while they succeed), and whether the copy going stale was logged.
	unreachableSince time.Time
	staleLogged      bool

	metrics Metrics // the engine's (storePorts.useMetrics)

	// lastAnswer is when the latest answer from etcd arrived (CallResult.At; zero when
	// the glue does not say): the clock of a chain of calls, whose later steps happen
	// after the tick that started it (store_etcd_deliveries.go).
	lastAnswer time.Time

	// shared, when not nil, is this Envoy's shared data (the local backend's
	// revocations): a revocation etcd acknowledged is also written there, so that every
	// VM of this Envoy refuses the session at once, not at its next follow.
	shared revocations
	// sharedStore, when not nil, is that shared data itself, through which the VMs of
	// the Envoy share one follow (store_etcd_share.go); shareRead collects what the
	// follow in flight read, to write it there.
	sharedStore Store
	shareRead   map[string]int64
	shareSince  int64 // the revision the follow in flight started from

	// Membership and the sign-out barrier (store_etcd_members.go, store_etcd_barrier.go):
	// the Envoy's membership without shared data; this VM's write of the record in
	// flight; its last read of the members, how long it has seen each unchanged, and the
	// read in flight; and the barriers waiting on it.
	member                   memberState
	acking, memberFailLogged bool
	ackingUntil              time.Time
	view                     memberView
	seen                     map[string]memberSeen
	// blindAt is the last time this VM saw etcd not answer (a follow or a read of the
	// members failed): a member record's silence is judged only on reads after it
	// (store_etcd_barrier.go, readMembers), since no record can change while etcd is
	// down, and a replica is not dead for that.
	blindAt          time.Time
	viewReading      bool
	viewReadingUntil time.Time
	waiting          int
	waitingUntil     time.Time
	lostAtMs         int64 // when etcd was last found behind this Envoy (without shared data)
	// lostCopy, when not nil, is what this Envoy refused when etcd was found behind it,
	// to be written back once the reload is done (store_etcd_republish.go).
	lostCopy map[string]int64
}

func newEtcdPorts(set etcdSettings, log func(string)) (storePorts, *etcdBackend, error) {
	layout, err := etcdv3.NewLayout(set.Prefix)
	if err != nil {
		return storePorts{}, nil, fmt.Errorf("store etcd: %w", err)
	}
	if set.Cluster == "" || set.Timeout <= 0 || set.FollowEvery <= 0 || set.StaleAfter < set.FollowEvery {
		return storePorts{}, nil, errors.New("store etcd: a cluster, a timeout, a follow period and a staleness bound at least that period are needed")
	}
	if log == nil {
		log = func(string) {}
	}
	b := &etcdBackend{set: set, layout: layout, log: log, leases: map[int64]int64{}, revoked: map[string]int64{}, metrics: noMetrics{}}
	return storePorts{
		revocations: &etcdRevocations{b},
		claims:      &etcdClaims{b},
		sessions:    &etcdSessions{b},
		contexts:    &etcdContexts{b},
		deliveries:  &etcdDeliveries{b},
		follow:      b.follow,
		followEvery: set.FollowEvery,
		ready:       b.ready,
		urgent:      b.urgent,
		settled:     b.settled,
		useMetrics:  func(m Metrics) { b.metrics = m },
	}, b, nil
}

// key is a record's key; the parts are ids the backend made or checked, so an error
// (a part too long) is a bug the caller reports as the operation's error.
func (b *etcdBackend) key(space string, parts ...string) ([]byte, error) {
	return b.layout.Key(space, parts...)
}

// call sends op and hands the answer's status and body to then (err: the request could
// not be built, or no token could be had). With authentication it first gets a token,
// and when etcd no longer takes the token (simple tokens die 5 minutes after their last
// use, and with etcd's restart) it authenticates again and repeats op once.
func (b *etcdBackend) call(op etcdv3.Op, then func(status int, body []byte, err error) Decision) Decision {
	if b.set.User != "" && b.token == "" {
		return b.authenticate(func(err error) Decision {
			if err != nil {
				return then(0, nil, err)
			}
			return b.send(op, true, then)
		})
	}
	return b.send(op, false, then)
}

func (b *etcdBackend) send(op etcdv3.Op, freshToken bool, then func(status int, body []byte, err error) Decision) Decision {
	req, err := b.gw.Request(op, b.token)
	if err != nil {
		return then(0, nil, err)
	}
	hs := make([]Header, len(req.Headers))
	for i, h := range req.Headers {
		hs[i] = Header{Name: h[0], Value: h[1]}
	}
	return Decision{Call: &Call{Cluster: b.set.Cluster, Method: req.Method, Path: req.Path, Authority: b.set.Authority,
		Headers: hs, Body: req.Body, Timeout: b.set.Timeout,
		Then: func(r CallResult) Decision {
			if r.At.After(b.lastAnswer) {
				b.lastAnswer = r.At
			}
			if r.Status == 0 || r.Status >= 500 { // no answer, or Envoy's (or etcd's) 5xx
				b.metrics.Add(counterEtcdCallsFailed, 1)
				// Any call etcd did not answer is a time this VM saw etcd down, not only
				// its own follows and reads of the members: a VM whose follows another
				// worker led learns of an outage first from its other calls failing
				// (blindAt, store_etcd_barrier.go).
				b.blindAt = maxTime(b.blindAt, r.At)
			}
			if r.NotSent {
				return then(0, nil, errCallNotSent)
			}
			if b.set.User != "" && r.Status != 200 && !freshToken {
				// Any parser reads etcd's error body; only which error it is matters here.
				_, perr := b.gw.ParseRange(r.Status, r.Body)
				if errors.Is(perr, etcdv3.ErrInvalidAuthToken) || errors.Is(perr, etcdv3.ErrTokenRequired) {
					b.token = ""
					return b.call(op, then)
				}
			}
			return then(r.Status, r.Body, nil)
		}}}
}

// authenticate trades the configured user and password for a token.
func (b *etcdBackend) authenticate(then func(error) Decision) Decision {
	return b.send(&etcdv3.AuthenticateRequest{Name: b.set.User, Password: b.set.Password}, true, func(status int, body []byte, err error) Decision {
		var resp *etcdv3.AuthenticateResponse
		if err == nil {
			resp, err = b.gw.ParseAuthenticate(status, body)
		}
		if err != nil {
			return then(fmt.Errorf("store etcd: authenticating as %q: %w", b.set.User, err))
		}
		b.token = resp.Token
		return then(nil)
	})
}

// put and txn are the writes: a failure that may still be applied wraps errOutcomeUnknown
// (store_etcd_outcome.go). An err from call means nothing was sent.
func (b *etcdBackend) put(op etcdv3.PutRequest, then func(error) Decision) Decision {
	return b.call(&op, func(status int, body []byte, err error) Decision {
		if err == nil {
			_, err = b.gw.ParsePut(status, body)
			err = writeOutcome(status, body, err)
		}
		return then(err)
	})
}

// rangeKeys sends a range request and hands then its answer, parsed.
//
// Not inlined, nor is txn: each inlined copy brought a copy of the closure it passes to
// call, 22 KB of the module's code over 18 call sites (BENCHMARKS.md, "Issue 15: Exeunt's
// own code, cut by function"); a store call waits on etcd, never on a function call.
//
//go:noinline
func (b *etcdBackend) rangeKeys(op etcdv3.RangeRequest, then func(*etcdv3.RangeResponse, error) Decision) Decision {
	return b.call(&op, func(status int, body []byte, err error) Decision {
		var resp *etcdv3.RangeResponse
		if err == nil {
			resp, err = b.gw.ParseRange(status, body)
		}
		return then(resp, err)
	})
}

// clock is the time now for a step of a chain of calls that a tick at now started: the
// latest answer's arrival when it is later.
func (b *etcdBackend) clock(now time.Time) time.Time {
	if b.lastAnswer.After(now) {
		return b.lastAnswer
	}
	return now
}

// txn sends a transaction and hands then its answer, parsed, with a write's outcome.
// Not inlined: see rangeKeys.
//
//go:noinline
func (b *etcdBackend) txn(op etcdv3.TxnRequest, then func(*etcdv3.TxnResponse, error) Decision) Decision {
	return b.call(&op, func(status int, body []byte, err error) Decision {
		var resp *etcdv3.TxnResponse
		if err == nil {
			resp, err = b.gw.ParseTxn(status, body)
			err = writeOutcome(status, body, err)
		}
		return then(resp, err)
	})
}

// withLease gives write a lease that outlives until, shared by every record ending in the
// same minute (granted on first use), and grants a new one once when write finds its
// lease gone (expired early by a restore, or revoked by an operator).
func (b *etcdBackend) withLease(until, now time.Time, write func(lease int64, then func(error) Decision) Decision, then func(error) Decision) Decision {
	minute := until.Unix()/60 + 1
	for m := range b.leases { // forget leases of minutes past
		if m*60 < now.Unix() {
			delete(b.leases, m)
		}
	}
	retried := false
	var attempt func() Decision
	attempt = func() Decision {
		if id, ok := b.leases[minute]; ok {
			return write(id, func(err error) Decision {
				if errors.Is(err, etcdv3.ErrLeaseNotFound) && !retried {
					retried = true
					delete(b.leases, minute)
					return attempt()
				}
				return then(err)
			})
		}
		// The lease ends a minute after the records' minute: no record outlives it.
		ttl := max(minute*60-now.Unix()+60, 1)
		return b.call(&etcdv3.LeaseGrantRequest{TTL: ttl}, func(status int, body []byte, err error) Decision {
			var resp *etcdv3.LeaseGrantResponse
			if err == nil {
				resp, err = b.gw.ParseLeaseGrant(status, body)
			}
			if err != nil {
				return then(fmt.Errorf("store etcd: granting a lease: %w", err))
			}
			b.leases[minute] = resp.ID
			return write(resp.ID, then)
		})
	}
	return attempt()
}

// untilValue is a record's value: its end in Unix ms, a space, and its content.
func untilValue(until time.Time, content []byte) []byte {
	v := strconv.AppendInt(nil, until.UnixMilli(), 10)
	v = append(v, ' ')
	return append(v, content...)
}

// readUntilValue splits a value made by untilValue; ok false for anything else.
func readUntilValue(v []byte) (untilMs int64, content []byte, ok bool) {
	for i, c := range v {
		if c == ' ' {
			n, err := strconv.ParseInt(string(v[:i]), 10, 64)
			return n, v[i+1:], err == nil
		}
	}
	return 0, nil, false
}
