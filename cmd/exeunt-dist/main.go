// Command exeunt-dist packages a built exeunt.wasm for distribution (make dist): into
// an output directory it writes the module itself, its sha256, and an OCI image holding
// it, both as an OCI image layout directory and as that directory in one tar file.
//
//	exeunt-dist -wasm build/exeunt.wasm -out dist -tag v1.2.3
//
// The image is the "compat" variant of the Wasm image specification: an OCI image
// manifest with one application/vnd.oci.image.layer.v1.tar+gzip layer holding
// plugin.wasm. Istio's and Envoy Gateway's image fetchers both accept it (see
// RATIONALE.md, "Distribution"). It is built offline with go-containerregistry and is
// reproducible: the same module gives the same bytes and the same digest, every time.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	wasmPath := flag.String("wasm", "build/exeunt.wasm", "the built module to package")
	out := flag.String("out", "dist", "the directory to write; its previous content is replaced")
	tag := flag.String("tag", "latest", "the tag recorded in the layout's index (org.opencontainers.image.ref.name)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "exeunt-dist: unexpected arguments; usage: exeunt-dist -wasm build/exeunt.wasm -out dist -tag TAG")
		os.Exit(2)
	}
	wasm, err := os.ReadFile(*wasmPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-dist: %v (run make wasm first)\n", err)
		os.Exit(1)
	}
	res, err := writeDist(*out, wasm, *tag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-dist: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s: module sha256 %s, image %s (tag %s)\n", *out, res.moduleSHA256, res.imageDigest, *tag)
}
