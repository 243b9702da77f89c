package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/serve"
)

const serveUsage = `usage: hostsim serve -c envoy.yaml [--vms N] [--log-level L] [--base-dir D] [--cache-dir D] [--envoy-version V] [--strict]

Serves an Envoy configuration as Envoy would, running its wasm filters in
hostsim: listeners, routes, clusters and the admin interface of envoy.yaml.
Runs until interrupted (SIGINT, SIGTERM).

`

// serveCommand runs `hostsim serve` until ctx ends; it returns the exit
// status: 0 after a clean stop, 1 when the server cannot start, 2 for a
// usage mistake.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	var opts serve.Options
	// Envoy's own flag names work too: --config-path, --concurrency, -l.
	fs.StringVar(&opts.ConfigPath, "c", "", "the Envoy configuration (envoy.yaml) to serve")
	fs.StringVar(&opts.ConfigPath, "config-path", "", "same as -c")
	fs.IntVar(&opts.VMs, "vms", 0, "VMs per plugin, as Envoy runs one per worker thread (default: the number of CPUs)")
	fs.IntVar(&opts.VMs, "concurrency", 0, "same as --vms")
	fs.StringVar(&opts.LogLevel, "log-level", "info", "trace, debug, info, warning, error, critical or off")
	fs.StringVar(&opts.LogLevel, "l", "info", "same as --log-level")
	fs.StringVar(&opts.BaseDir, "base-dir", "", "the directory relative .wasm paths resolve against, as Envoy's working directory (default: the current directory)")
	fs.StringVar(&opts.CacheDir, "cache-dir", defaultCacheDir(), "where compiled modules are kept between runs (\"\" for none)")
	fs.StringVar(&opts.Envoy, "envoy-version", hostsim.DefaultEnvoy, "the Envoy release whose Wasm host (proxy-wasm-cpp-host) to follow: "+envoyVersions())
	fs.BoolVar(&opts.Strict, "strict", false, "refuse a configuration that uses settings hostsim does not simulate (default: start, with one warning listing them)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || opts.ConfigPath == "" {
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "hostsim serve: unexpected argument %q\n", fs.Arg(0))
		} else {
			fmt.Fprintln(stderr, "hostsim serve: no configuration: give the envoy.yaml to serve with -c")
		}
		fs.Usage()
		return 2
	}
	opts.Log = stderr

	s, err := serve.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, name := range s.Listeners() {
		label := name
		if label == "" {
			label = "(unnamed)"
		}
		fmt.Fprintf(stdout, "listener %s: http://%s/\n", label, s.ListenerAddr(name))
	}
	if a := s.AdminAddr(); a != "" {
		fmt.Fprintf(stdout, "admin: http://%s/\n", a)
	}
	<-ctx.Done()
	if err := s.Close(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// defaultCacheDir keeps compiled modules across runs, so that a restart
// does not compile the filter again: HOSTSIM_CACHE_DIR when set (the
// Makefile's build/wazero-cache), else the user's cache directory.
func defaultCacheDir() string {
	if d := os.Getenv("HOSTSIM_CACHE_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	d := filepath.Join(base, "hostsim", "wazero")
	if os.MkdirAll(d, 0o700) != nil {
		return "" // no cache is slower, not wrong
	}
	return d
}
