#!/usr/bin/env bash
# Builds Go main packages written on github.com/tetratelabs/proxy-wasm-go-sdk into
# Proxy-Wasm modules with the standard Go toolchain.
#
#   scripts/build-wasm.sh [-O] PACKAGE OUTPUT [PACKAGE OUTPUT ...]
#   scripts/build-wasm.sh -O ./cmd/exeunt build/exeunt.wasm
#   scripts/build-wasm.sh ./cmd/noop build/noop.wasm
#
# -O runs cmd/exeunt-wasmpack, then Binaryen's wasm-opt -Oz, then exeunt-wasmpack -data and
# -strip-names over each module after the Go build, keeping the module with its name
# section beside OUT as OUT.debug.wasm (the Makefile asks it for build/exeunt.wasm only,
# the module we ship: RATIONALE.md, "The module goes through wasm-opt after the Go build",
# "Why the module's findfunctab is written by a loop", "Why the module's data is stored
# compressed" and "Why the shipped module has no name section"). wasm-opt comes from npm, pinned in scripts/binaryen's
# package-lock.json, and is installed there on first use.
#
# The SDK only exports its callbacks and imports its host functions under TinyGo, so
# the files in _bridge/ are added to its proxywasm/internal package at build time
# (see _bridge/README.md). `go build -overlay` refuses paths inside GOMODCACHE, so the
# SDK is reached through a symlink, build/sdk, that an alternate go.mod
# (build/wasm.mod, a copy of go.mod with a replace) points at. go.mod stays untouched.
#
# Safe to run again and again, and from a fresh clone; other builds may run at the same
# time in the same tree (generated files are written whole and renamed into place).
set -euo pipefail

sdk_module=github.com/tetratelabs/proxy-wasm-go-sdk
# The names every Proxy-Wasm ABI 0.2.x host looks for; a build without the bridge
# succeeds but has neither.
required_exports=(proxy_abi_version_0_2_0 proxy_on_memory_allocate)

die() { echo "build-wasm: $*" >&2; exit 1; }

optimize=0
if [ "${1:-}" = "-O" ]; then
  optimize=1
  shift
fi
if [ $# -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
  die "usage: scripts/build-wasm.sh [-O] PACKAGE OUTPUT [PACKAGE OUTPUT ...] (e.g. -O ./cmd/exeunt build/exeunt.wasm)"
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build="$root/build"
mkdir -p "$build"

# replace_file TARGET: moves TARGET.tmp.$$ over TARGET unless it already has that
# content, so concurrent and repeated runs never see a half-written file.
replace_file() {
  if cmp -s "$1.tmp.$$" "$1"; then rm -f "$1.tmp.$$"; else mv -f "$1.tmp.$$" "$1"; fi
}

# A fresh clone may not have the SDK in the module cache yet.
go mod download "$sdk_module"
sdk_dir=$(go list -m -f '{{.Dir}}' "$sdk_module")
[ -n "$sdk_dir" ] && [ -d "$sdk_dir/proxywasm/internal" ] ||
  die "cannot find the source of $sdk_module (go list -m gave '$sdk_dir'); run 'go mod download' and check go.mod requires it"

if [ "$(readlink "$build/sdk" 2>/dev/null || true)" != "$sdk_dir" ]; then
  ln -sfn "$sdk_dir" "$build/sdk.tmp.$$"
  mv -Tf "$build/sdk.tmp.$$" "$build/sdk"
fi

cp go.mod "$build/wasm.mod.tmp.$$"
# The replace path is resolved against the module root, not against build/.
go mod edit -replace="$sdk_module=./build/sdk" "$build/wasm.mod.tmp.$$"
replace_file "$build/wasm.mod"
cp go.sum "$build/wasm.sum.tmp.$$"
replace_file "$build/wasm.sum"

# The bridge's files are added; the SDK's abi_hostcalls_mock.go, which routes every
# host call through an interface for its emulator, is left out ("" deletes a file from
# the build): the bridge defines those functions itself, calling the host directly.
internal="$build/sdk/proxywasm/internal"
cat >"$build/overlay.json.tmp.$$" <<JSON
{
  "Replace": {
    "$internal/hostcalls_wasip1.go": "$root/_bridge/hostcalls_wasip1.go",
    "$internal/exports_wasip1.go": "$root/_bridge/exports_wasip1.go",
    "$internal/runtime_wasip1.go": "$root/_bridge/runtime_wasip1.go",
    "$internal/abi_hostcalls_mock.go": ""
  }
}
JSON
replace_file "$build/overlay.json"

# wasm-opt, for -O: `npm ci` in scripts/binaryen when its node_modules is missing or older
# than the lock file, under a lock, since builds may run at the same time in this tree.
wasm_opt="$root/scripts/binaryen/node_modules/.bin/wasm-opt"
if [ "$optimize" = 1 ]; then
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "-O needs node and npm (Node.js 20 or later) to install and run Binaryen's wasm-opt; e.g. apt-get install nodejs npm"
  (
    flock 9
    stamp="$root/scripts/binaryen/node_modules/.exeunt-installed"
    if [ ! -f "$stamp" ] || [ "$root/scripts/binaryen/package-lock.json" -nt "$stamp" ] ||
      [ "$root/scripts/binaryen/package.json" -nt "$stamp" ]; then
      echo "build-wasm: npm ci in scripts/binaryen (Binaryen's wasm-opt)" >&2
      (cd "$root/scripts/binaryen" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci failed in scripts/binaryen: wasm-opt is needed for -O"
      touch "$stamp"
    fi
  ) 9>"$build/binaryen.lock"
  [ -x "$wasm_opt" ] || die "wasm-opt is missing at $wasm_opt after npm ci in scripts/binaryen"
fi

# exeunt-wasmpack, for -O: built natively, once per run.
wasmpack=""
if [ "$optimize" = 1 ]; then
  go build -o "$build/exeunt-wasmpack.tmp.$$" ./cmd/exeunt-wasmpack ||
    die "cmd/exeunt-wasmpack does not build (needed by -O)"
  mv -f "$build/exeunt-wasmpack.tmp.$$" "$build/exeunt-wasmpack"
  wasmpack="$build/exeunt-wasmpack"
fi

# `hostsim check` (cmd/hostsim) inspects a module properly: ABI version, the callbacks an
# HTTP filter needs, and that it compiles. It is built natively, once per run; should it
# not build (it is work in progress in the same tree), the name check below still runs.
checker=""
if [ -d cmd/hostsim ]; then
  if go build -o "$build/hostsim.tmp.$$" ./cmd/hostsim; then
    mv -f "$build/hostsim.tmp.$$" "$build/hostsim"
    checker="$build/hostsim"
  else
    echo "build-wasm: warning: cmd/hostsim does not build; checking export names only" >&2
  fi
fi

while [ $# -gt 0 ]; do
  pkg=$1 out=$2
  shift 2
  mkdir -p "$(dirname "$out")"
  tmp="$out.tmp.$$"
  echo "build-wasm: $pkg -> $out" >&2
  if ! GOOS=wasip1 GOARCH=wasm go build \
    -modfile="$build/wasm.mod" -overlay="$build/overlay.json" \
    -buildmode=c-shared -trimpath -o "$tmp" "$pkg"; then
    rm -f "$tmp"
    die "go build of $pkg failed"
  fi
  if [ "$optimize" = 1 ]; then
    # The Go runtime's findfunctab, one data segment per 4 KB of PCs, written by a loop at
    # _initialize instead; exeunt-wasmpack checks the table byte for byte and fails on
    # anything it does not recognise.
    if ! "$wasmpack" "$tmp" "$tmp.packed"; then
      rm -f "$tmp" "$tmp.packed"
      die "exeunt-wasmpack failed on $pkg's module"
    fi
    mv -f "$tmp.packed" "$tmp"
    # -Oz: Binaryen's size-first pipeline; it changes what the module does in no way a
    # program can observe (no --ignore-implicit-traps, no --traps-never-happen). -g keeps the
    # name section, so a trap still names Go's functions. The features are exactly those Go
    # emits for GOARCH=wasm (sign extension, saturating float-to-int, bulk memory's
    # memory.copy and memory.fill) and nothing else, so wasm-opt can bring in no instruction
    # the Go build did not already need: the same engines load the output.
    # Said before it starts: the optimiser runs in Node.js for a minute or more (several on
    # a busy machine), silently, and a first `make run` otherwise looks hung.
    echo "build-wasm: wasm-opt -Oz on $pkg's module (a minute or more)..." >&2
    if ! "$wasm_opt" -Oz -g --mvp-features --enable-mutable-globals --enable-sign-ext \
      --enable-nontrapping-float-to-int --enable-bulk-memory "$tmp" -o "$tmp.opt"; then
      rm -f "$tmp" "$tmp.opt"
      die "wasm-opt failed on $pkg's module"
    fi
    echo "build-wasm: wasm-opt -Oz: $(wc -c <"$tmp") -> $(wc -c <"$tmp.opt") bytes" >&2
    mv -f "$tmp.opt" "$tmp"
    # The data section as one LZMA stream, decoded by a function the new _initialize runs
    # first; after wasm-opt, so the decoder and stream it checked in wazero are what ships
    # (RATIONALE.md, "Why the module's data is stored compressed, and why as LZMA").
    if ! "$wasmpack" -data "$tmp" "$tmp.packed"; then
      rm -f "$tmp" "$tmp.packed"
      die "exeunt-wasmpack -data failed on $pkg's module"
    fi
    mv -f "$tmp.packed" "$tmp"
    # The shipped module without its name section; the same module with it is kept
    # beside as OUT's .debug.wasm, whose names read a trap's wasm-function[N] frames
    # (exeunt-wasmpack -names). RATIONALE.md, "Why the shipped module has no name section".
    cp "$tmp" "$tmp.debug"
    if ! "$wasmpack" -strip-names "$tmp.debug" "$tmp"; then
      rm -f "$tmp" "$tmp.debug"
      die "exeunt-wasmpack -strip-names failed on $pkg's module"
    fi
  fi
  for name in "${required_exports[@]}"; do
    if [ "$(LC_ALL=C grep -a -c -F "$name" "$tmp" || true)" = 0 ]; then
      rm -f "$tmp"
      die "$pkg built, but the module does not export $name: the _bridge overlay was not applied (check build/overlay.json and that $pkg imports $sdk_module/proxywasm)"
    fi
  done
  if [ -n "$checker" ] && ! "$checker" check "$tmp" >/dev/null; then
    rm -f "$tmp"
    die "$pkg built, but hostsim check rejects the module (see above)"
  fi
  if [ -f "$tmp.debug" ]; then
    mv -f "$tmp.debug" "${out%.wasm}.debug.wasm"
  fi
  mv -f "$tmp" "$out"
  echo "build-wasm: $out $(wc -c <"$out") bytes" >&2
done
