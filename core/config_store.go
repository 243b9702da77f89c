package core

import (
	"fmt"
	"strings"
	"time"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// StoreSettings say where the state kept outside the cookie lives (revocations,
// single-use values, the session index, logout contexts, back-channel deliveries): the
// `store` setting. Treat it as read-only.
type StoreSettings struct {
	// Backend is StoreLocal (Proxy-Wasm shared data, one Envoy: the default) or
	// StoreEtcd (an etcd v3 cluster shared by every replica of a fleet).
	Backend string
	// Etcd is how to reach etcd; set exactly when Backend is StoreEtcd.
	Etcd *EtcdStore
}

// EtcdStore is the `store.etcd` setting. Password is a secret: it is never logged nor
// quoted in an error.
type EtcdStore struct {
	_ noCompare
	// Cluster is the Envoy cluster in front of etcd's HTTP/JSON gateway.
	Cluster string
	// Authority is the :authority of the calls to etcd (default: Cluster).
	Authority string
	// KeyPrefix starts every key Exeunt writes: one fleet, one prefix.
	KeyPrefix string
	// Timeout bounds each call to etcd.
	Timeout time.Duration
	// FollowPeriod is how often each VM polls the revocations by revision.
	FollowPeriod time.Duration
	// StaleAfter is the outage policy: how long after the last successful follow the
	// VM's copy of the revocations is still trusted. Past it, signed-in requests are
	// refused (503) until etcd answers again.
	StaleAfter time.Duration
	// Username and Password, both or neither, are etcd's user and password
	// authentication.
	Username, Password string
}

// The values of StoreSettings.Backend.
const (
	StoreLocal = "local"
	StoreEtcd  = "etcd"
)

// Defaults and bounds of the etcd settings.
const (
	DefaultEtcdKeyPrefix    = "/exeunt/"
	DefaultEtcdTimeout      = 2 * time.Second
	DefaultEtcdFollowPeriod = 250 * time.Millisecond
	DefaultEtcdStaleAfter   = 30 * time.Second

	minEtcdTimeout = 10 * time.Millisecond
	maxEtcdTimeout = time.Minute
	// minEtcdFollowPeriod: faster polls only load etcd (each poll reads the whole
	// revocation space, core/etcdv3/changes.go); maxEtcdFollowPeriod: a live replica
	// writes its member record only after a follow (at most every memberHeartbeat), and
	// the other replicas' barriers pass over a record unchanged for memberLiveness (3 s)
	// as dead (store_etcd_members.go): a longer period made every live replica look dead
	// between its follows, so a sign-out was reported while it still served from a copy
	// without it. At memberHeartbeat, a live record changes about three times a liveness.
	minEtcdFollowPeriod = 50 * time.Millisecond
	maxEtcdFollowPeriod = memberHeartbeat
	maxEtcdStaleAfter   = 24 * time.Hour

	// Size limits of the strings: an Envoy cluster name and an authority are host-like
	// (a DNS name is at most 253 bytes); etcd sets no limit on users and passwords, these
	// are generous.
	maxEtcdName     = 255
	maxEtcdUsername = 128
	maxEtcdPassword = 256
)

func defaultStore() StoreSettings { return StoreSettings{Backend: StoreLocal} }

func defaultEtcdStore() EtcdStore {
	return EtcdStore{KeyPrefix: DefaultEtcdKeyPrefix, Timeout: DefaultEtcdTimeout,
		FollowPeriod: DefaultEtcdFollowPeriod, StaleAfter: DefaultEtcdStaleAfter}
}

func (cfg *Config) readStore(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("store")
	if err != nil || !ok {
		return err
	}
	s := &cfg.Store
	if err := readChoice(o, "backend", &s.Backend, StoreLocal, StoreEtcd); err != nil {
		return err
	}
	_, given := o.values["etcd"] // optionalObject reads an absent object as {} when recording fields
	e, _, err := o.optionalObject("etcd")
	if err != nil {
		return err
	}
	set := defaultEtcdStore()
	if given || o.rec != nil {
		if err := readEtcdStore(e, &set); err != nil {
			return err
		}
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	switch {
	case s.Backend == StoreEtcd && !given:
		return o.fieldError("etcd", `is required when store.backend is "etcd": give at least its cluster, the Envoy cluster in front of etcd`)
	case s.Backend != StoreEtcd && given:
		return o.fieldError("etcd", fmt.Sprintf(`has no effect while store.backend is %q; set store.backend to "etcd", or remove this`, s.Backend))
	case given:
		s.Etcd = &set
	}
	return nil
}

// readEtcdStore reads store.etcd into set, which holds the defaults.
func readEtcdStore(o *jsonObject, set *EtcdStore) error {
	o.note("cluster", func(f *ConfigField) { f.Required = true })
	cluster, ok, err := o.optionalString("cluster")
	if err != nil {
		return err
	}
	if problem := checkEtcdName(cluster); ok && problem != "" {
		return o.fieldError("cluster", problem)
	} else if !ok && o.rec == nil {
		return o.fieldError("cluster", `is required when store.backend is "etcd"; name the Envoy cluster in front of etcd's client port`)
	}
	set.Cluster, set.Authority = cluster, cluster
	if s, ok, err := o.optionalString("authority"); err != nil {
		return err
	} else if ok {
		if problem := checkEtcdName(s); problem != "" {
			return o.fieldError("authority", problem)
		}
		set.Authority = s
	}
	o.note("key_prefix", func(f *ConfigField) { f.Default = DefaultEtcdKeyPrefix })
	if s, ok, err := o.optionalString("key_prefix"); err != nil {
		return err
	} else if ok {
		if _, err := etcdv3.NewLayout(s); err != nil {
			return o.fieldError("key_prefix", `must be 3 to 128 bytes of letters, digits, ".", "_", "-" and "/", starting and ending with "/", without "//", like "/exeunt/"`)
		}
		set.KeyPrefix = s
	}
	if err := readDuration(o, "timeout", &set.Timeout, minEtcdTimeout, maxEtcdTimeout); err != nil {
		return err
	}
	if err := readDuration(o, "follow_period", &set.FollowPeriod, minEtcdFollowPeriod, maxEtcdFollowPeriod); err != nil {
		return err
	}
	if err := readDuration(o, "stale_after", &set.StaleAfter, minEtcdFollowPeriod, maxEtcdStaleAfter); err != nil {
		return err
	}
	user, hasUser, err := o.optionalString("username")
	if err != nil {
		return err
	}
	password, hasPassword, err := o.optionalString("password")
	if err != nil {
		return err
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	switch {
	case hasUser && (user == "" || len(user) > maxEtcdUsername || checkText(user) != ""):
		return o.fieldError("username", fmt.Sprintf("must be 1 to %d bytes without control characters", maxEtcdUsername))
	case hasPassword && (password == "" || len(password) > maxEtcdPassword):
		// Never the password itself, nor anything about its content, in the message.
		return o.fieldError("password", fmt.Sprintf("must be 1 to %d bytes", maxEtcdPassword))
	case hasPassword && checkText(password) != "":
		// A line break read with the password from a file (jq -Rs, $(cat ...) in a
		// template) would reach etcd as part of it, and every replica would fail to
		// authenticate at start with etcd's "invalid user ID or password". Said without
		// the byte or its place: nothing about the password's content goes in the message.
		return o.fieldError("password", "must not contain control characters; a line break copied with the password is the usual cause: copy the password alone")
	case hasUser && !hasPassword:
		return o.fieldError("password", "is required with username (etcd's user and password authentication takes both)")
	case hasPassword && !hasUser:
		return o.fieldError("username", "is required with password (etcd's user and password authentication takes both)")
	case set.StaleAfter < set.FollowPeriod:
		return o.fieldError("stale_after", fmt.Sprintf(
			"is %s, shorter than follow_period (%s), so the copy of the revocations would go stale between two polls; make it longer",
			fmtDuration(set.StaleAfter), fmtDuration(set.FollowPeriod)))
	}
	set.Username, set.Password = user, password
	return nil
}

// checkEtcdName checks an Envoy cluster name or an authority: 1 to maxEtcdName bytes of
// visible ASCII. It returns the problem, or "".
func checkEtcdName(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > maxEtcdName:
		return fmt.Sprintf("is %d bytes long; it must be at most %d", len(s), maxEtcdName)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0:
		return "must be visible ASCII, without spaces or control characters"
	}
	return ""
}

// etcdSettings are the settings the etcd backend runs with.
func (c *Config) etcdSettings() etcdSettings {
	e := c.Store.Etcd
	return etcdSettings{Cluster: e.Cluster, Authority: e.Authority, Prefix: e.KeyPrefix, Timeout: e.Timeout,
		FollowEvery: e.FollowPeriod, StaleAfter: e.StaleAfter, BackchannelTimeout: c.Logout.BackchannelTimeout,
		User: e.Username, Password: e.Password}
}
