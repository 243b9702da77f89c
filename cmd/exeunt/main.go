// Command exeunt is the Exeunt filter as a Proxy-Wasm module for Envoy. It is built with
// scripts/build-wasm.sh (make wasm), not with a plain go build: see _bridge/README.md.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"github.com/exeunt/exeunt/envoyfilter"
)

// A c-shared module never runs main: the host calls _initialize, which runs init
// functions only, so the VM context is installed here.
func init() { proxywasm.SetVMContext(envoyfilter.NewVMContext()) }

func main() {}
