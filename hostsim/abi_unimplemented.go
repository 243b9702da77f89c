package hostsim

import "context"

// unimplemented answers a host function this host does not offer (gRPC
// callouts, L4 data) with StatusUnimplemented and reports it, so that a
// test of a filter that reaches it fails instead of passing on a pretence.
func unimplemented(name string) func(context.Context, *vm, []uint64) Status {
	return func(ctx context.Context, v *vm, p []uint64) Status {
		v.host.reportUnimplemented(name)
		return StatusUnimplemented
	}
}

// proxy_call_foreign_function(name_ptr, name_size, arg_ptr, arg_size,
// return_ptr_ptr, return_size_ptr) -> status
//
// Envoy offers a few foreign functions (compression, filter state); this
// host offers none, and answers NotFound for every name, as Envoy answers
// an unknown one. It is still reported, because a filter relying on one
// would behave differently under Envoy.
func hostCallForeignFunction(ctx context.Context, v *vm, p []uint64) Status {
	name, ok := v.readString(uint32(p[0]), uint32(p[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	v.host.reportUnimplemented("proxy_call_foreign_function(" + name + ")")
	return StatusNotFound
}
