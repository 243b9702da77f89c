// Command hostsim runs Proxy-Wasm modules outside Envoy.
//
//	hostsim check FILE.wasm...   verify each file is a Proxy-Wasm module this
//	                             host (and Envoy) can run: its ABI version
//	                             marker, the callbacks an HTTP filter needs,
//	                             and imports only what the Wasm host of the
//	                             minimum supported Envoy provides
//	                             (--envoy-version V: of Envoy V)
//	hostsim serve -c envoy.yaml  serve an Envoy configuration as Envoy would,
//	                             its wasm filters running in hostsim, until
//	                             SIGINT or SIGTERM (see hostsim serve -h)
//
// The build uses `check` to fail when a module lost its exports (a build
// without the SDK bridge still succeeds and exports nothing useful).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/exeunt/exeunt/hostsim"
)

const usage = `usage: hostsim check [--envoy-version V] FILE.wasm...
       hostsim serve -c envoy.yaml [--vms N] [--log-level L] [--base-dir D] [--envoy-version V]`

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

func check(args []string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	envoy := fs.String("envoy-version", hostsim.DefaultEnvoy, "the Envoy release whose Wasm host the modules must load in: "+envoyVersions())
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	profile, err := hostsim.Profile(*envoy)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hostsim check: %v\n", err)
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
		for _, p := range hostsim.Profiles() {
			missing := p.MissingImports(m.ABI, m.Imports)
			switch {
			case len(missing) == 0:
				fmt.Printf("  loads in Envoy %s (proxy-wasm-cpp-host %.7s)\n", p.Envoy, p.CppHost)
			case p.Envoy == profile.Envoy:
				fmt.Fprintf(os.Stderr, "hostsim check: %s: Envoy %s (proxy-wasm-cpp-host %.7s) would refuse it: Failed to load Wasm module due to a missing import: %s (all missing: %s)\n",
					f, p.Envoy, p.CppHost, missing[0], strings.Join(missing, ", "))
				status = 1
			default:
				fmt.Printf("  does not load in Envoy %s (proxy-wasm-cpp-host %.7s): it imports %s\n", p.Envoy, p.CppHost, strings.Join(missing, ", "))
			}
		}
	}
	return status
}

// envoyVersions lists the Envoy releases hostsim has a host profile for.
func envoyVersions() string {
	var vs []string
	for _, p := range hostsim.Profiles() {
		vs = append(vs, p.Envoy)
	}
	return strings.Join(vs, ", ") + " (default " + hostsim.DefaultEnvoy + ", the minimum Envoy the README names)"
}
