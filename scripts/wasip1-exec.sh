#!/usr/bin/env bash
# go test -exec wrapper that runs a GOOS=wasip1 test binary in wazero (build/wazero,
# built by `make bench` from the wazero module hostsim already requires), so that core's
# benchmarks measure the engine compiled the way the filter is. Used by `make bench`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$root/build/wazero" run -mount /:/ -env-inherit -cachedir "$root/build/wazero-cli-cache" "$1" "${@:2}"
