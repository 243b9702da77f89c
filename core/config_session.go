package core

import (
	"fmt"
	"strings"
	"time"
)

// Session is how long an edge session lasts. Treat it as read-only.
type Session struct {
	// AbsoluteLifetime ends a session that long after sign-in, however active.
	AbsoluteLifetime time.Duration
	// IdleTimeout ends a session left unused that long; at most AbsoluteLifetime.
	IdleTimeout time.Duration
	// MaxPerUser bounds the live sessions of one provider user (issuer and subject): a
	// sign-in that would pass it first signs out that user's oldest sessions
	// (session_limit.go).
	MaxPerUser int
}

// Defaults and bounds of the lifetimes.
const (
	DefaultAbsoluteLifetime  = 8 * time.Hour
	DefaultIdleTimeout       = time.Hour
	DefaultAssertionLifetime = 5 * time.Minute

	// maxAbsoluteLifetime is the longest expiry browsers keep a cookie for (RFC 6265bis
	// caps Max-Age and Expires at 400 days).
	maxAbsoluteLifetime  = 400 * 24 * time.Hour
	minAssertionLifetime = 10 * time.Second
	maxAssertionLifetime = time.Hour

	// DefaultMaxSessionsPerUser is how many browsers (or profiles) one user may be signed
	// in with at once by default: far more than a person uses, few enough that one user's
	// list in the index stays small (RATIONALE.md, "Why a user's sessions are capped").
	DefaultMaxSessionsPerUser = 50
	// maxSessionsPerUserLimit bounds the setting: each sign-in reads every live session of
	// its user, and the local store keeps a user's sessions in one shared-data bucket.
	maxSessionsPerUserLimit = 1000
)

func defaultSession() Session {
	return Session{AbsoluteLifetime: DefaultAbsoluteLifetime, IdleTimeout: DefaultIdleTimeout, MaxPerUser: DefaultMaxSessionsPerUser}
}

func (cfg *Config) readSession(obj *jsonObject) error {
	o, ok, err := obj.optionalObject("session")
	if err != nil || !ok {
		return err
	}
	s := &cfg.Session
	if err := readDuration(o, "absolute_lifetime", &s.AbsoluteLifetime, time.Nanosecond, maxAbsoluteLifetime); err != nil {
		return err
	}
	if err := readDuration(o, "idle_timeout", &s.IdleTimeout, time.Nanosecond, maxAbsoluteLifetime); err != nil {
		return err
	}
	if err := readBoundedInt(o, "max_per_user", &s.MaxPerUser, 1, maxSessionsPerUserLimit); err != nil {
		return err
	}
	if err := o.rejectUnknown(); err != nil {
		return err
	}
	if s.IdleTimeout > s.AbsoluteLifetime {
		return o.fieldError("idle_timeout", fmt.Sprintf(
			"is %s, longer than absolute_lifetime (%s), so it would never apply; make it shorter or equal",
			fmtDuration(s.IdleTimeout), fmtDuration(s.AbsoluteLifetime)))
	}
	return nil
}

func (cfg *Config) readAssertionLifetime(obj *jsonObject) error {
	return readDuration(obj, "assertion_lifetime", &cfg.AssertionLifetime, minAssertionLifetime, maxAssertionLifetime)
}

// readDuration reads a Go duration string ("8h", "90m", "1h30m") into *d when the field
// is present, and checks it lies in [lo, hi].
func readDuration(o *jsonObject, name string, d *time.Duration, lo, hi time.Duration) error {
	o.note(name, func(f *ConfigField) {
		f.Duration, f.DurationMin, f.DurationMax, f.Default = true, lo, hi, fmtDuration(*d)
	})
	s, ok, err := o.optionalString(name)
	if err != nil || !ok {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return o.fieldError(name, `must be a duration such as "8h", "90m" or "1h30m" (units: h, m, s, ms; there is no "d")`)
	}
	switch {
	case v <= 0:
		return o.fieldError(name, "must be positive")
	case v < lo:
		return o.fieldError(name, fmt.Sprintf("is %s; it must be at least %s", fmtDuration(v), fmtDuration(lo)))
	case v > hi:
		return o.fieldError(name, fmt.Sprintf("is %s; it must be at most %s", fmtDuration(v), fmtDuration(hi)))
	}
	*d = v
	return nil
}

// fmtDuration writes a duration as it would be configured: "8h", "1h30m", "9600h (400 days)".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if day := 24 * time.Hour; d >= 2*day && d%day == 0 {
		s += fmt.Sprintf(" (%d days)", d/day)
	}
	return s
}
