# Targets for building and checking Exeunt. `make wasm` builds the Proxy-Wasm modules
# into build/ with the standard Go toolchain (see _bridge/README.md).

.PHONY: all wasm vet test

all: wasm vet test

# Rebuild a module when any Go source, the bridge, the build script or the module
# files change; the dependency list is deliberately broad (a build takes seconds).
WASM_INPUTS := go.mod go.sum scripts/build-wasm.sh \
	$(shell find . \( -name build -o -name node_modules -o -name .git \) -prune -o -name '*.go' -print)

WASM := build/exeunt.wasm build/noop.wasm
# cmd/hostsim-fixture belongs to hostsim; build its fixture module only once it exists.
ifneq ($(wildcard cmd/hostsim-fixture),)
WASM += build/fixture.wasm
endif

wasm: $(WASM)

build/exeunt.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/exeunt $@

build/noop.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/noop $@

build/fixture.wasm: $(WASM_INPUTS)
	scripts/build-wasm.sh ./cmd/hostsim-fixture $@

vet:
	go vet ./...

# hostsim and e2e tests load the modules from build/, so build them first.
test: wasm
	go test ./...
