# Targets for building and checking Exeunt. `make wasm` builds the Proxy-Wasm modules
# into build/ with the standard Go toolchain (see _bridge/README.md).

.PHONY: all deps wasm dist schema vet test bench run

all: test

# Compiled modules are cached on disk so that every test binary compiles each .wasm
# once (wazero's compilation cache; see hostsim/module.go).
export HOSTSIM_CACHE_DIR := $(CURDIR)/build/wazero-cache

# Everything a fresh clone needs: Go modules, the real OpenID Providers the tests run
# against (oidc-provider v9 and v6 from npm, into testpeers/*/node_modules), and the
# browser the browser tests drive (Debian's chromium: installed with apt-get when missing
# and running as root, otherwise a clear failure; never a silent skip).
deps:
	go mod download
	testpeers/install.sh
	testpeers/install-chromium.sh
	testpeers/install-etcd.sh

# Rebuild a module when any Go source, the bridge, the build script, the module files
# or the files core embeds (its pages' styles and scripts, core/assets) change; the dependency list
# is deliberately broad (a build takes seconds).
WASM_INPUTS := go.mod go.sum scripts/build-wasm.sh \
	$(shell find . \( -name build -o -name node_modules -o -name .git \) -prune -o -name '*.go' -print) \
	$(wildcard core/assets/*)

WASM := build/exeunt.wasm build/noop.wasm build/headersonly.wasm
# cmd/hostsim-fixture belongs to hostsim; build its fixture module only once it exists.
ifneq ($(wildcard cmd/hostsim-fixture),)
WASM += build/fixture.wasm
endif

wasm: $(WASM)

build/exeunt.wasm: $(WASM_INPUTS) scripts/binaryen/package.json scripts/binaryen/package-lock.json
	scripts/build-wasm.sh -O ./cmd/exeunt $@

build/noop.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/noop $@

build/headersonly.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/headersonly $@

build/fixture.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/hostsim-fixture $@

# wazero's command line, from the wazero module hostsim already requires: core's
# benchmarks run in it as wasip1 binaries (scripts/wasip1-exec.sh).
build/wazero: go.mod go.sum
	go build -o $@ github.com/tetratelabs/wazero/cmd/wazero

# The release artifacts in dist/ (not in git): exeunt.wasm, its sha256, and an OCI image of it
# (the compat variant Istio and Envoy Gateway fetch) as an OCI layout directory, dist/oci, and
# as one tar, dist/exeunt-oci.tar. Reproducible: the same module gives the same image digest.
# DIST_TAG names the image in the layout's index (e.g. make dist DIST_TAG=v1.2.0).
DIST_TAG ?= latest
dist: build/exeunt.wasm
	go run ./cmd/exeunt-dist -wasm build/exeunt.wasm -out dist -tag $(DIST_TAG)

# docs/exeunt-config.schema.json, the JSON Schema of the plugin configuration, generated from
# the parser's field table and docs/configuration.md (see configschema/doc.go). Run it after
# changing a configuration field; a test fails while the published file is out of date.
schema:
	go run ./cmd/exeunt-schema

vet:
	go vet ./...

# Every test, from a fresh clone. hostsim and e2e tests load the modules from build/,
# so they are built (and checked by `hostsim check`) first, and dist/ is packaged for the
# tests of cmd/exeunt-dist. This is what CI runs.
test: deps wasm dist vet
	go test -count=1 ./...

# Benchmarks; BENCHMARKS.md keeps the figures and says which line gives which.
bench: deps wasm build/wazero
	GOOS=wasip1 GOARCH=wasm go test -exec "$(CURDIR)/scripts/wasip1-exec.sh" ./core/ -run '^$$' -bench 'SignedInRequest' -benchmem -count 3
	GOOS=wasip1 GOARCH=wasm go test -exec "$(CURDIR)/scripts/wasip1-exec.sh" ./core/ -run '^$$' -bench 'EndSession' -benchmem -benchtime 100x -count 3
	go test ./e2e/ -run '^$$' -bench 'PassThrough|SignedInRequest' -benchtime 10000x -count 3
	go test ./e2e/ -run '^$$' -bench 'GuestMemory$$' -benchtime 1x
	go test ./e2e/ -run '^$$' -bench 'GuestMemorySignedIn' -benchtime 1x -timeout 60m
	go test ./e2e/ -run '^$$' -bench 'ModuleLoad' -benchtime 3x
	go test ./e2e/ -run '^$$' -bench 'Logout' -benchtime 50x -count 3
	go test ./e2e/ -run '^$$' -bench 'ModuleSize' -benchtime 1x -v
	go test ./e2e/ -run '^$$' -bench 'EtcdRequestsPerVM' -benchtime 2x
	go test ./e2e/ -run '^$$' -bench 'FleetSignedInRequest' -benchtime 5000x -count 3 -timeout 20m
	go test ./e2e/ -run '^$$' -bench 'FleetSignOutToRefusal|FleetEtcdRequests|FleetBackchannelDelivery' -benchtime 1x -v -timeout 20m
	@ls -l build/exeunt.wasm build/noop.wasm build/headersonly.wasm | awk '{print $$9": "$$5" bytes"}'
	@printf 'build/exeunt.wasm gzipped: %s bytes\n' "$$(gzip -9c build/exeunt.wasm | wc -c)"
	@node -e 'for (const f of process.argv.slice(1)) console.log(f + " WASI imports: " + WebAssembly.Module.imports(new WebAssembly.Module(require("fs").readFileSync(f))).filter(i => i.module !== "env").map(i => i.name).join(" "))' build/exeunt.wasm build/noop.wasm

# Run Exeunt locally, as a user meets it: build/exeunt.wasm in hostsim serve with envoy.yaml,
# the demo OpenID Provider (oidc-provider v9 from testpeers/, any login and password) and two
# demo apps (demo/app). Prints the address to open; Ctrl-C stops everything.
# DEMO_FLAGS passes flags on, e.g. `make run DEMO_FLAGS=-free-ports` when the ports are taken.
DEMO_FLAGS ?=
run: wasm
	@testpeers/install.sh
	go build -o build/demo ./cmd/demo
	@build/demo -c envoy.yaml $(DEMO_FLAGS) $(DEMO_NUMBERS)

# `make run DEMO_FLAGS=-replicas 2`, written without quotes, makes the 2 a goal of its own:
# with run, goals that are plain numbers are handed to the demo after DEMO_FLAGS instead
# (`make run DEMO_FLAGS="-replicas 2"` works too).
ifneq ($(filter run,$(MAKECMDGOALS)),)
DEMO_NUMBERS := $(shell printf '%s\n' $(MAKECMDGOALS) | grep -E '^[0-9]+$$')
ifneq ($(DEMO_NUMBERS),)
$(DEMO_NUMBERS):
	@:
endif
endif
