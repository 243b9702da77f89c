package hostsim

import (
	"sync"
	"time"
)

// Clock is the time source of a Host.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that moves only when told. With it, the guest's
// time.Now() and proxy_get_current_time_nanoseconds read the manual time,
// and ticks fire during Advance, in order, for every period that elapsed.
type ManualClock struct {
	mu        sync.Mutex
	now       time.Time
	listeners []func(time.Time)
}

// NewManualClock returns a ManualClock set to start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and fires the ticks that became due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	ls := append([]func(time.Time){}, c.listeners...)
	c.mu.Unlock()
	for _, l := range ls {
		l(now)
	}
}

func (c *ManualClock) onAdvance(f func(time.Time)) {
	c.mu.Lock()
	c.listeners = append(c.listeners, f)
	c.mu.Unlock()
}
