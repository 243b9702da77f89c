package hostsim

import "context"

// proxy_log(level, message_ptr, message_size) -> status
//
// Records the message at the given level when it is at or above the host's
// log level.
func hostLog(ctx context.Context, v *vm, p []uint64) Status {
	level := LogLevel(uint32(p[0]))
	if level > LogCritical {
		return StatusBadArgument
	}
	msg, ok := v.readString(uint32(p[1]), uint32(p[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	v.host.log(v, level, msg)
	return StatusOK
}

// proxy_get_log_level(return_level_ptr) -> status (ABI 0.2.1)
func hostGetLogLevel(ctx context.Context, v *vm, p []uint64) Status {
	return v.writeU32(uint32(p[0]), uint32(v.host.opts.LogLevel))
}
