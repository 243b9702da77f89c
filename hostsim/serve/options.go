package serve

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/exeunt/exeunt/hostsim"
)

// Options configure a Server. Only ConfigPath is required.
type Options struct {
	ConfigPath string    // envoy.yaml
	VMs        int       // worker VMs; 0 = runtime.NumCPU()
	BaseDir    string    // where relative .wasm filenames resolve (like Envoy's working dir); "" = current dir
	Log        io.Writer // Envoy-style log lines (the guest's logs with their levels, plus hostsim's own); nil = os.Stderr
	LogLevel   string    // trace|debug|info|warn|error|critical; "" = info
	CacheDir   string    // wazero compilation cache dir; "" = none
	Envoy      string    // the Envoy release whose Wasm host to follow (hostsim.Options.Envoy); "" = hostsim.DefaultEnvoy
	// Strict refuses a configuration that uses any setting hostsim does not simulate, instead
	// of starting with one warning that lists them.
	Strict bool
}

// levelOff is above every level: nothing is logged (Envoy's "off").
const levelOff = hostsim.LogCritical + 1

func (o Options) withDefaults() (Options, hostsim.LogLevel, error) {
	if o.ConfigPath == "" {
		return o, 0, fmt.Errorf("hostsim serve: no configuration file: give the path of an envoy.yaml (-c)")
	}
	if o.VMs <= 0 {
		o.VMs = runtime.NumCPU()
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	level, err := ParseLogLevel(o.LogLevel)
	return o, level, err
}

// ParseLogLevel reads a log level as Envoy's --log-level takes it: trace,
// debug, info, warning (or warn), error, critical, off; "" is info.
func ParseLogLevel(s string) (hostsim.LogLevel, error) {
	switch strings.ToLower(s) {
	case "trace":
		return hostsim.LogTrace, nil
	case "debug":
		return hostsim.LogDebug, nil
	case "", "info":
		return hostsim.LogInfo, nil
	case "warn", "warning":
		return hostsim.LogWarn, nil
	case "error", "err":
		return hostsim.LogError, nil
	case "critical":
		return hostsim.LogCritical, nil
	case "off":
		return levelOff, nil
	}
	return 0, fmt.Errorf("hostsim serve: unknown log level %q: use trace, debug, info, warning, error, critical or off", s)
}
