package hostsim

import "context"

// proxy_get_current_time_nanoseconds(return_time_ptr) -> status
//
// Writes the host clock's wall time as u64 nanoseconds since the epoch. The
// Go runtime reads time through WASI's clock_time_get instead, which the
// host wires to the same Clock.
func hostGetCurrentTime(ctx context.Context, v *vm, p []uint64) Status {
	return v.writeU64(uint32(p[0]), uint64(v.host.opts.Clock.Now().UnixNano()))
}
