package core

import (
	"testing"
	"time"
)

func TestSessionAndAssertionLifetimes(t *testing.T) {
	const s = `exeunt configuration: field "session.`
	runConfigCases(t, []configCase{
		{name: "defaults", edits: []edit{del("session"), del("assertion_lifetime")},
			check: func(t *testing.T, c *Config) {
				is(t, "Session", c.Session, Session{AbsoluteLifetime: 8 * time.Hour, IdleTimeout: time.Hour, MaxPerUser: DefaultMaxSessionsPerUser})
				is(t, "AssertionLifetime", c.AssertionLifetime, 5*time.Minute)
			}},
		{name: "only absolute", edits: []edit{set("session", map[string]any{"absolute_lifetime": "1h30m"})},
			check: func(t *testing.T, c *Config) {
				is(t, "Session", c.Session, Session{AbsoluteLifetime: 90 * time.Minute, IdleTimeout: time.Hour, MaxPerUser: DefaultMaxSessionsPerUser})
			}},
		{name: "equal", edits: []edit{set("session.absolute_lifetime", "24h"), set("session.idle_timeout", "24h")}},
		{name: "400 days", edits: []edit{set("session.absolute_lifetime", "9600h")}},
		{name: "assertion bounds", edits: []edit{set("assertion_lifetime", "10s")},
			check: func(t *testing.T, c *Config) { is(t, "AssertionLifetime", c.AssertionLifetime, 10*time.Second) }},
		{name: "assertion upper bound", edits: []edit{set("assertion_lifetime", "1h")}},

		{name: "idle longer than absolute", edits: []edit{set("session.absolute_lifetime", "30m")},
			err: s + `idle_timeout": is 1h, longer than absolute_lifetime (30m), so it would never apply; make it shorter or equal`},
		{name: "days", edits: []edit{set("session.absolute_lifetime", "1d")},
			err: s + `absolute_lifetime": must be a duration such as "8h", "90m" or "1h30m" (units: h, m, s, ms; there is no "d")`},
		{name: "no unit", edits: []edit{set("session.idle_timeout", "60")},
			err: s + `idle_timeout": must be a duration such as "8h", "90m" or "1h30m" (units: h, m, s, ms; there is no "d")`},
		{name: "number", edits: []edit{set("session.idle_timeout", 3600)},
			err: s + `idle_timeout": must be a string, not a number`},
		{name: "zero", edits: []edit{set("session.idle_timeout", "0s")},
			err: s + `idle_timeout": must be positive`},
		{name: "negative", edits: []edit{set("session.absolute_lifetime", "-8h")},
			err: s + `absolute_lifetime": must be positive`},
		{name: "beyond 400 days", edits: []edit{set("session.absolute_lifetime", "9601h")},
			err: s + `absolute_lifetime": is 9601h; it must be at most 9600h (400 days)`},
		{name: "assertion too short", edits: []edit{set("assertion_lifetime", "5s")},
			err: `exeunt configuration: field "assertion_lifetime": is 5s; it must be at least 10s`},
		{name: "assertion too long", edits: []edit{set("assertion_lifetime", "61m")},
			err: `exeunt configuration: field "assertion_lifetime": is 1h1m; it must be at most 1h`},
		{name: "unknown session field", edits: []edit{set("session.idle", "1h")},
			err: s + `idle": unknown field; remove it or fix its spelling (known fields: absolute_lifetime, idle_timeout, max_per_user)`},
		{name: "max per user", edits: []edit{set("session.max_per_user", 3)},
			check: func(t *testing.T, c *Config) { is(t, "MaxPerUser", c.Session.MaxPerUser, 3) }},
		{name: "max per user bounds", edits: []edit{set("session.max_per_user", 1000)}},
		{name: "max per user zero", edits: []edit{set("session.max_per_user", 0)},
			err: s + `max_per_user": is 0; it must be at least 1`},
		{name: "max per user too many", edits: []edit{set("session.max_per_user", 1001)},
			err: s + `max_per_user": is 1001; it must be at most 1000`},
		{name: "max per user fraction", edits: []edit{set("session.max_per_user", 2.5)},
			err: s + `max_per_user": must be a whole number from 1 to 1000, not 2.5`},
		{name: "max per user string", edits: []edit{set("session.max_per_user", "50")},
			err: s + `max_per_user": must be a number, not a string`},
	})
}
