//go:build wasip1 && go1.24

// This file is not part of the exeunt module; scripts/build-wasm.sh adds it to the SDK's
// proxywasm/internal package with the other bridge files (see _bridge/README.md).

package internal

import "runtime/debug"

// gcPercent is the guest's GOGC. A Wasm VM in Envoy gets no environment, so GOGC and
// GOMEMLIMIT cannot be set from outside; the bridge sets GOGC when the module
// initializes. Linear memory never shrinks and Go's heap grows it in 4 MiB arenas on
// wasm, so what each VM costs is its high-water mark. Over 1,000,000 signed-in requests
// the largest VM peaked at 11.0 MiB with Go's default (100), 9.0 MiB with 50 and 8.5 MiB
// with 25, flat from 100,000 requests on in every case, with no difference in request
// time beyond the noise of the same runs; a memory limit (GOMEMLIMIT, 6 or 8 MiB) on top
// gave nothing more. BENCHMARKS.md, "Guest runtime settings", has the figures.
const gcPercent = 25

func init() { debug.SetGCPercent(gcPercent) }
