// Command demo runs Exeunt on this machine with a demo OpenID Provider and two demo apps, as
// `make run` does: the filter (build/exeunt.wasm) in hostsim serve with envoy.yaml, the
// provider (oidc-provider v9 from testpeers/), and the apps (package demo/app). It prints the
// address to open, logs what happens, and stops everything on Ctrl-C.
//
//	go run ./cmd/demo [-c envoy.yaml] [-vms N] [-replicas N] [-free-ports] [-log-level info] [-provider-debug] [-envoy]
//
// With -replicas 2 (or more) it runs a fleet, as production runs several Envoys behind a load
// balancer: a local etcd (the installed etcd binary, a temporary data directory, loopback
// ports, stopped on exit), that many replicas of hostsim serve with the same envoy.yaml (the
// store set to etcd, shared keys), and a round-robin front on the configuration's listener
// port, so the browser sees one origin. The front probes each replica's readiness path, as
// the load balancer in docs/fleet.md does, and sends requests to ready replicas only; if
// etcd exits on its own, the demo says so and stops. docs/fleet.md says how to deploy one.
//
// With -envoy it starts the provider and the apps only, for a real Envoy to serve the same
// configuration.
//
// Run it from the repository root after `make wasm` and testpeers/install.sh (`make run`
// does both).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/exeunt/exeunt/demo"
)

func main() {
	os.Exit(run())
}

func run() int {
	configPath := flag.String("c", "envoy.yaml", "the Envoy configuration to serve")
	vms := flag.Int("vms", 2, "Wasm VMs, as Envoy's worker threads")
	free := flag.Bool("free-ports", false, "serve on free ports instead of those in the configuration (when they are taken)")
	logLevel := flag.String("log-level", "info", "hostsim's log level: trace, debug, info, warn, error or critical")
	providerDebug := flag.Bool("provider-debug", false, "log every event of the demo provider")
	replicas := flag.Int("replicas", 1, "run a fleet: this many replicas of hostsim serve sharing a local etcd, behind a round-robin front")
	envoy := flag.Bool("envoy", false, "start the provider and the apps only, for a real Envoy to serve the configuration (envoy -c envoy.yaml)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: demo [flags]\n\nRuns Exeunt with a demo OpenID Provider and two demo apps on this machine.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return 2
	}
	if *replicas < 1 || (*replicas > 1 && *envoy) {
		fmt.Fprintln(os.Stderr, "demo: -replicas must be 1 or more, and works with hostsim serve only (not with -envoy)")
		return 2
	}

	wd, _ := os.Getwd()
	if _, err := os.Stat(filepath.Join(wd, "build", "exeunt.wasm")); err != nil && !*envoy {
		fmt.Fprintln(os.Stderr, "demo: build/exeunt.wasm is missing: run `make run` (or `make wasm` first) from the repository root")
		return 1
	}
	cacheDir := os.Getenv("HOSTSIM_CACHE_DIR")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *envoy {
		fmt.Fprintln(os.Stderr, "demo: starting the demo provider and the apps...")
	} else if *replicas > 1 {
		fmt.Fprintf(os.Stderr, "demo: starting the demo provider, the apps, etcd and %d replicas of Exeunt (hostsim serve) behind a front...\n", *replicas)
	} else {
		fmt.Fprintln(os.Stderr, "demo: starting the demo provider, the apps and Exeunt (hostsim serve)...")
	}
	d, err := demo.Start(ctx, demo.Options{
		ConfigPath: *configPath, Dir: wd, FreePorts: *free, VMs: *vms,
		Log: os.Stderr, LogLevel: *logLevel, CacheDir: cacheDir, ProviderDebug: *providerDebug,
		WithoutProxy: *envoy, Replicas: *replicas,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 130
		}
		fmt.Fprintf(os.Stderr, "%v\n", err)
		if msg := err.Error(); strings.Contains(msg, "address already in use") || strings.Contains(msg, "EADDRINUSE") {
			fmt.Fprintln(os.Stderr, "demo: a port of the configuration is taken (another demo, or another program): stop it, or run on free ports with `make run DEMO_FLAGS=-free-ports`")
		}
		return 1
	}
	defer d.Close()

	if *envoy {
		fmt.Printf("\nThe demo provider and apps are running. Start Envoy from this folder:\n\n  envoy -c %s\n\nthen open %s\n\n", d.ConfigPath, d.URL)
	} else {
		if len(d.Replicas) > 0 {
			fmt.Println()
			for i, r := range d.Replicas {
				if r.AdminAddr != "" {
					// Each replica has its own admin interface (its counters, exeunt.store.*).
					fmt.Printf("replica %d: http://%s/  (admin http://%s/stats)\n", i+1, r.ListenerAddr, r.AdminAddr)
				} else {
					fmt.Printf("replica %d: http://%s/\n", i+1, r.ListenerAddr)
				}
			}
			fmt.Printf("etcd: %s\n", d.EtcdURL)
		}
		fmt.Printf("\nExeunt is running. Open %s\n\n", d.URL)
		if len(d.Replicas) > 0 {
			fmt.Printf("  The front at %s sends each request to the next ready replica in turn.\n", d.ListenerAddr)
		}
	}
	fmt.Printf("  Sign in at the demo provider with any login and any password, visit both apps,\n")
	fmt.Printf("  then sign out from either and watch each app being told.\n\n")
	for _, a := range d.Apps {
		fmt.Printf("  %-14s %s\n", a.Config().Name, a.URL)
	}
	fmt.Printf("  %-14s %s  (oidc-provider v9)\n", "Provider", d.ProviderIssuer)
	fmt.Printf("  %-14s %s/.well-known/openid-configuration\n", "Exeunt", d.Issuer)
	if d.AdminAddr != "" {
		fmt.Printf("  %-14s http://%s/stats\n", "Admin", d.AdminAddr)
	}
	fmt.Printf("\nPress Ctrl-C to stop.\n\n")

	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "\ndemo: stopping...")
	case <-d.Failed():
		fmt.Fprintf(os.Stderr, "demo: %v\ndemo: stopping\n", d.Err())
	}
	if err := d.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		return 1
	}
	if d.Err() != nil {
		return 1
	}
	fmt.Fprintln(os.Stderr, "demo: stopped")
	return 0
}
