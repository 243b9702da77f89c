package demo

import (
	"context"
	"io"

	"github.com/exeunt/exeunt/hostsim/serve"
)

// startProxy runs hostsim serve in this process with the Envoy configuration at cfgPath.
func startProxy(ctx context.Context, opts Options, cfgPath, dir string, log io.Writer) (proxy, error) {
	return serve.Start(ctx, serve.Options{
		ConfigPath: cfgPath,
		VMs:        opts.VMs,
		BaseDir:    dir,
		Log:        log,
		LogLevel:   opts.LogLevel,
		CacheDir:   opts.CacheDir,
	})
}
