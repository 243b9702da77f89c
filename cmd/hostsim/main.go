// Command hostsim runs Proxy-Wasm modules outside Envoy.
//
//	hostsim check FILE.wasm...   verify each file is a Proxy-Wasm module this
//	                             host (and Envoy) can run: its ABI version
//	                             marker and the callbacks an HTTP filter needs
//	hostsim serve -c envoy.yaml  serve an Envoy configuration as Envoy would,
//	                             its wasm filters running in hostsim, until
//	                             SIGINT or SIGTERM (see hostsim serve -h)
//
// The build uses `check` to fail when a module lost its exports (a build
// without the SDK bridge still succeeds and exports nothing useful).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/exeunt/exeunt/hostsim"
)

const usage = `usage: hostsim check FILE.wasm...
       hostsim serve -c envoy.yaml [--vms N] [--log-level L] [--base-dir D]`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "check":
		os.Exit(check(os.Args[2:]))
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := serveCommand(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	default:
		fmt.Fprintf(os.Stderr, "hostsim: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
}

func check(files []string) int {
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	status := 0
	for _, f := range files {
		bin, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hostsim check: %v\n", err)
			status = 1
			continue
		}
		m, err := hostsim.Inspect(context.Background(), bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hostsim check: %s: %v\n", f, err)
			status = 1
			continue
		}
		fmt.Printf("%s: Proxy-Wasm ABI %s, %d exports, %d imports, %d bytes\n", f, m.ABI, len(m.Exports), len(m.Imports), len(bin))
	}
	return status
}
