package hostsim

import (
	"context"
	"time"
)

// proxy_set_tick_period_milliseconds(period_ms) -> status
//
// Sets the period of proxy_on_tick for the calling root context; 0 stops the
// ticks. With the real clock a timer per VM fires them; with a ManualClock
// they fire during Advance, once for every period that elapsed, so tests
// control them exactly.
func hostSetTickPeriod(ctx context.Context, v *vm, p []uint64) Status {
	period := time.Duration(uint32(p[0])) * time.Millisecond
	v.stopTicker()
	v.tickMu.Lock()
	v.tickPeriod = period
	v.nextTick = v.host.opts.Clock.Now().Add(period)
	v.tickMu.Unlock()
	if period == 0 {
		return StatusOK
	}
	if _, manual := v.host.opts.Clock.(*ManualClock); !manual {
		v.startTicker(period)
	}
	return StatusOK
}

func (v *vm) startTicker(period time.Duration) {
	stop := make(chan struct{})
	v.tickMu.Lock()
	v.tickStop = stop
	v.tickMu.Unlock()
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				v.tick()
			case <-stop:
				return
			case <-v.host.closed:
				return
			}
		}
	}()
}

func (v *vm) stopTicker() {
	v.tickMu.Lock()
	defer v.tickMu.Unlock()
	if v.tickStop != nil {
		close(v.tickStop)
		v.tickStop = nil
	}
}

// tick calls proxy_on_tick on the root context.
func (v *vm) tick() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.host.isClosed() {
		return
	}
	v.withContext(rootContextID)
	v.call(v.fns.tick, "proxy_on_tick", rootContextID)
}

// manualTick fires, on every VM, the ticks that fell due by now.
func (h *Host) manualTick(now time.Time) {
	for _, v := range h.vms {
		for {
			v.tickMu.Lock()
			due := v.tickPeriod > 0 && !v.nextTick.After(now)
			if due {
				v.nextTick = v.nextTick.Add(v.tickPeriod)
			}
			v.tickMu.Unlock()
			if !due {
				break
			}
			v.tick()
		}
	}
}
