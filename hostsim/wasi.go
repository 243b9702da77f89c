package hostsim

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// WASI errno values cpp-host answers (src/exports.cc).
const (
	wasiSuccess  = 0
	wasiBADF     = 8
	wasiINVAL    = 28
	wasiEFAULT   = 21
	wasiNOENT    = 44
	wasiENOTDIR  = 20
	wasiENOSYS   = 52
	wasiENOTSUP  = 58
	maxRandomGet = 64 * 1024 // PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES (include/proxy-wasm/limits.h)
)

// wasiFunc is one WASI function as proxy-wasm-cpp-host implements it
// (src/exports.cc@09e5f8d, the wasi_unstable_* functions), with cpp-host's
// own signature (include/proxy-wasm/exports.h): 'i' is a Word (i32), 'I' an
// int64_t or uint64_t (i64). Every function but proc_exit returns an errno.
// Its behaviour does not depend on the profile, except poll_oneoff's; which
// functions exist does (EnvoyProfile.WASI).
type wasiFunc struct {
	sig string
	fn  func(v *vm, mem api.Memory, p []uint64) uint32
}

func (v *vm) log(level LogLevel, msg string) { v.host.log(v, level, msg) }

// fdOutput: cpp-host only knows stdout and stderr.
func isStdio(fd uint64) bool { return fd == 1 || fd == 2 }

func setU32(mem api.Memory, ptr uint64, val uint32) bool { return mem.WriteUint32Le(uint32(ptr), val) }
func setU64(mem api.Memory, ptr uint64, val uint64) bool { return mem.WriteUint64Le(uint32(ptr), val) }

func errnoUnless(ok bool, errno uint32) uint32 {
	if ok {
		return errno
	}
	return wasiEFAULT
}

func constant(sig string, errno uint32) wasiFunc {
	return wasiFunc{sig, func(*vm, api.Memory, []uint64) uint32 { return errno }}
}

// stdioOnly answers success for stdout and stderr and BADF for anything else,
// as cpp-host's fd_allocate, fd_datasync, fd_fdstat_set_rights,
// fd_filestat_set_size, fd_filestat_set_times and fd_sync do.
func stdioOnly(sig string) wasiFunc {
	return wasiFunc{sig, func(_ *vm, _ api.Memory, p []uint64) uint32 {
		if !isStdio(p[0]) {
			return wasiBADF
		}
		return wasiSuccess
	}}
}

// writev is cpp-host's writevImpl for stdout and stderr, which Envoy logs as
// the plugin's log at info and error. hostsim keeps the bytes in the VM's
// output (for error reports) and hands them to Options.Stdout and
// Options.Stderr, which `hostsim serve` logs at those levels.
func writev(v *vm, mem api.Memory, fd, iovs, iovsLen uint64) (uint32, uint32) {
	if !isStdio(fd) {
		return 0, wasiBADF
	}
	var s []byte
	for i := uint64(0); i < iovsLen; i++ {
		buf, ok1 := mem.ReadUint32Le(uint32(iovs + i*8))
		n, ok2 := mem.ReadUint32Le(uint32(iovs + i*8 + 4))
		if !ok1 || !ok2 {
			return 0, wasiEFAULT
		}
		if n == 0 {
			continue
		}
		b, ok := mem.Read(buf, n)
		if !ok {
			return 0, wasiEFAULT
		}
		s = append(s, b...)
	}
	if len(s) > 0 {
		v.output.Write(s)
		if w := v.host.opts.Stdout; fd == 1 && w != nil {
			w.Write(s)
		}
		if w := v.host.opts.Stderr; fd == 2 && w != nil {
			w.Write(s)
		}
	}
	return uint32(len(s)), wasiSuccess
}

func wasiFunctions(p EnvoyProfile) map[string]wasiFunc {
	pollOneoff := wasiFunc{"iiii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
		// The Go runtime throws on any errno but EINTR (runtime/netpoll_wasip1.go,
		// "poll_oneoff failed"; golang/go#78513); cpp-host #533 answers success with
		// no events, at once, whatever the subscriptions ask for.
		return errnoUnless(setU32(mem, a[3], 0), wasiSuccess)
	}}
	if p.PollOneoffENOSYS {
		pollOneoff = constant("iiii", wasiENOSYS) // src/exports.cc@beb8a4ec
	}
	all := map[string]wasiFunc{
		"fd_write": {"iiii", func(v *vm, mem api.Memory, a []uint64) uint32 {
			n, errno := writev(v, mem, a[0], a[1], a[2])
			if errno != wasiSuccess {
				return errno
			}
			return errnoUnless(setU32(mem, a[3], n), wasiSuccess)
		}},
		"fd_read": constant("iiii", wasiENOSYS),
		"fd_seek": {"iIii", func(v *vm, _ api.Memory, _ []uint64) uint32 {
			v.log(LogError, "wasi_unstable fd_seek")
			return wasiSuccess
		}},
		"fd_close": {"i", func(v *vm, _ api.Memory, _ []uint64) uint32 {
			v.log(LogError, "wasi_unstable fd_close")
			return wasiSuccess
		}},
		"fd_fdstat_get": {"ii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			if !isStdio(a[0]) {
				return wasiBADF
			}
			// fs_filetype etc. zero, fs_rights_base = __WASI_RIGHTS_FD_WRITE (64).
			ok := setU64(mem, a[1], 0) && setU64(mem, a[1]+8, 64) && setU64(mem, a[1]+16, 0)
			_ = ok // cpp-host ignores a failed write here
			return wasiSuccess
		}},
		"fd_fdstat_set_flags": constant("ii", wasiENOSYS),
		"environ_get":         constant("ii", wasiSuccess), // no vm_config.environment_variables in hostsim
		"environ_sizes_get": {"ii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU32(mem, a[0], 0) && setU32(mem, a[1], 0), wasiSuccess)
		}},
		"args_get": constant("ii", wasiSuccess),
		"args_sizes_get": {"ii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU32(mem, a[0], 0) && setU32(mem, a[1], 0), wasiSuccess)
		}},
		"clock_time_get": {"iIi", func(v *vm, mem api.Memory, a []uint64) uint32 {
			switch a[0] {
			case 0, 1: // realtime, monotonic: both follow Options.Clock here
				return errnoUnless(setU64(mem, a[2], uint64(v.host.opts.Clock.Now().UnixNano())), wasiSuccess)
			}
			return wasiENOTSUP
		}},
		"random_get": {"ii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			if a[1] > maxRandomGet {
				return wasiINVAL
			}
			if a[1] == 0 {
				return wasiSuccess
			}
			b := make([]byte, a[1])
			rand.Read(b)
			return errnoUnless(mem.Write(uint32(a[0]), b), wasiSuccess)
		}},
		"sched_yield": constant("", wasiSuccess),
		"poll_oneoff": pollOneoff,
		// proc_exit: cpp-host logs an error and returns to the guest; the guest
		// cannot go on after exiting, so hostsim ends the call there.
		"proc_exit": {"i", func(v *vm, _ api.Memory, a []uint64) uint32 {
			v.log(LogError, "wasi_unstable proc_exit")
			panic(sys.NewExitError(uint32(a[0])))
		}},
		"path_open":           constant("iiiiiIIii", wasiNOENT),
		"fd_prestat_get":      constant("ii", wasiBADF),
		"fd_prestat_dir_name": constant("iii", wasiENOSYS),

		// Added by cpp-host #533 (94091cd).
		"fd_fdstat_set_rights":  stdioOnly("iII"),
		"clock_res_get":         {"ii", clockRes},
		"fd_advise":             constant("iIIi", wasiSuccess),
		"fd_allocate":           stdioOnly("iII"),
		"fd_datasync":           stdioOnly("i"),
		"fd_filestat_set_size":  stdioOnly("iI"),
		"fd_filestat_set_times": stdioOnly("iIIi"),
		"fd_pread":              constant("iiiIi", wasiENOSYS),
		"fd_pwrite": {"iiiIi", func(v *vm, mem api.Memory, a []uint64) uint32 {
			if !isStdio(a[0]) {
				return wasiBADF
			}
			n, errno := writev(v, mem, a[0], a[1], a[2])
			if errno != wasiSuccess {
				return errno
			}
			return errnoUnless(setU32(mem, a[4], n), wasiSuccess)
		}},
		"fd_readdir": {"iiiIi", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU32(mem, a[4], 0), wasiENOTDIR)
		}},
		"fd_renumber": {"ii", func(_ *vm, _ api.Memory, a []uint64) uint32 {
			if !isStdio(a[0]) || !isStdio(a[1]) {
				return wasiBADF
			}
			return wasiENOTSUP
		}},
		"fd_sync": stdioOnly("i"),
		"fd_tell": {"ii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			if !isStdio(a[0]) {
				return wasiBADF
			}
			return errnoUnless(setU64(mem, a[1], 0), wasiSuccess)
		}},
		"path_create_directory":   constant("iii", wasiENOTSUP),
		"path_filestat_set_times": constant("iiiiIIi", wasiENOTSUP),
		"path_link":               constant("iiiiii", wasiENOTSUP), // cpp-host declares 6 parameters
		"path_readlink": {"iiiiii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU32(mem, a[5], 0), wasiENOTSUP)
		}},
		"path_remove_directory": constant("iii", wasiENOTSUP),
		"path_rename":           constant("iiiiii", wasiENOTSUP),
		"path_symlink":          constant("iiii", wasiENOTSUP), // cpp-host declares 4 parameters
		"path_unlink_file":      constant("iii", wasiENOTSUP),
		"sock_accept": {"iii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU64(mem, a[2], 0), wasiENOTSUP) // setDatatype(retptr0, 0UL): 8 bytes
		}},
		"sock_recv": {"iiiiii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			ok := setU32(mem, a[4], 0) && mem.WriteUint16Le(uint32(a[5]), 0)
			return errnoUnless(ok, wasiENOTSUP)
		}},
		"sock_send": {"iiiii", func(_ *vm, mem api.Memory, a []uint64) uint32 {
			return errnoUnless(setU32(mem, a[4], 0), wasiENOTSUP)
		}},
		"sock_shutdown":     constant("ii", wasiENOTSUP),
		"path_filestat_get": constant("iiiii", wasiENOTSUP),
		"fd_filestat_get":   constant("ii", wasiBADF),
	}
	out := make(map[string]wasiFunc, len(p.WASI))
	for _, name := range p.WASI {
		f, ok := all[name]
		if !ok {
			panic("hostsim: no implementation of WASI function " + name)
		}
		out[name] = f
	}
	return out
}

func clockRes(_ *vm, mem api.Memory, a []uint64) uint32 {
	switch a[0] {
	case 0, 1:
		return errnoUnless(setU64(mem, a[1], 1), wasiSuccess)
	}
	return wasiENOTSUP
}

func valueTypes(sig string) []api.ValueType {
	ts := make([]api.ValueType, len(sig))
	for i, c := range sig {
		ts[i] = api.ValueTypeI32
		if c == 'I' {
			ts[i] = api.ValueTypeI64
		}
	}
	return ts
}

// instantiateWASI registers the profile's WASI functions under both module
// names cpp-host uses (src/wasm.cc, WasmBase::registerCallbacks).
func (h *Host) instantiateWASI(ctx context.Context) error {
	fns := wasiFunctions(h.profile)
	for _, module := range []string{"wasi_snapshot_preview1", "wasi_unstable"} {
		b := h.runtime.NewHostModuleBuilder(module)
		for name, f := range fns {
			f, full := f, module+"."+name
			var results []api.ValueType
			if name != "proc_exit" {
				results = []api.ValueType{api.ValueTypeI32}
			}
			n := len(f.sig)
			b.NewFunctionBuilder().
				WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
					v := vmFrom(ctx)
					v.checkAllowed(full)
					args := stack[:n]
					for i := range n {
						if f.sig[i] == 'i' { // an i32 arrives in the low 32 bits only
							args[i] = uint64(uint32(args[i]))
						}
					}
					errno := f.fn(v, mod.Memory(), args)
					if len(results) > 0 {
						stack[0] = uint64(errno)
					}
				}), valueTypes(f.sig), results).
				WithName(name).
				Export(name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("hostsim: instantiating %s: %w", module, err)
		}
	}
	return nil
}

// RestrictedCallbackError is the trap a VM takes when it calls a host
// function that cpp-host forbids at that moment: during _initialize, or
// during proxy_on_memory_allocate called by the host (V8::trap
// "restricted_callback" in src/v8/v8.cc; the other runtimes likewise).
type RestrictedCallbackError struct {
	Function string // "module.name"
	During   string // "_initialize" or "proxy_on_memory_allocate"
}

func (e *RestrictedCallbackError) Error() string {
	return fmt.Sprintf("restricted_callback: the guest called %s during %s, which Envoy forbids (the VM traps)", e.Function, e.During)
}

// checkAllowed traps the guest, as cpp-host does, when it calls a host
// function the current phase forbids.
func (v *vm) checkAllowed(function string) {
	if v.allowed != nil && !v.allowed[function] {
		panic(&RestrictedCallbackError{Function: function, During: v.phase})
	}
}

// restrict sets the host functions allowed until the returned function is
// called (cpp-host's setRestrictedCallback(true, ...) ... (false)).
func (v *vm) restrict(phase string, allowed map[string]bool) (undo func()) {
	prevPhase, prevAllowed := v.phase, v.allowed
	v.phase, v.allowed = phase, allowed
	return func() { v.phase, v.allowed = prevPhase, prevAllowed }
}
