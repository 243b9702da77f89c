package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/exeunt/exeunt/hostsim"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// plugin is one wasm plugin running in hostsim: the VMs of a wasm filter.
type plugin struct {
	spec     pluginSpec
	host     *hostsim.Host
	failOpen bool
	prefix   string // Envoy's log prefix: " name root_id vm_id"

	failedMu sync.Mutex
	failed   map[int]bool // VMs whose failure was logged
}

// pluginSpec is everything that makes two wasm filters the same plugin.
// Envoy shares a plugin's VMs between the listeners that configure it
// alike; hostsim shares the Host, and with it shared data and metrics.
type pluginSpec struct {
	where    string // the filter's path in envoy.yaml, for messages
	file     string // the .wasm path as resolved
	code     []byte
	wasm     envoyconfig.WasmPlugin
	identity string
}

// readPlugin reads the filter's module; a file that is not there is an
// error naming the field that names it.
func readPlugin(f envoyconfig.HTTPFilter, baseDir string, cache map[string][]byte) (pluginSpec, error) {
	w := *f.Wasm
	field := f.Path + ".typed_config.config.vm_config.code.local.filename"
	file := w.File
	if !filepath.IsAbs(file) {
		file = filepath.Join(baseDir, file)
	}
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	code, ok := cache[file]
	if !ok {
		var err error
		code, err = os.ReadFile(file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return pluginSpec{}, fmt.Errorf("%s: the module %q is not there (looked for %s: relative paths resolve against the base directory, as against Envoy's working directory); build it first, or fix the path", field, w.File, file)
			}
			return pluginSpec{}, fmt.Errorf("%s: cannot read the module: %v", field, err)
		}
		cache[file] = code
	}
	id := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%q\x00%q\x00%v\x00%v", file, w.Name, w.RootID, w.VMID, w.VMConfiguration, w.Configuration, w.FailOpen, w.AllowOnHeadersStopIteration)
	return pluginSpec{where: f.Path, file: file, code: code, wasm: w, identity: id}, nil
}

// startPlugin starts the plugin's VMs, each through Envoy's start sequence;
// a plugin that refuses its configuration is an error quoting what it
// logged.
func (s *Server) startPlugin(ctx context.Context, spec pluginSpec, level hostsim.LogLevel) (*plugin, error) {
	w := spec.wasm
	p := &plugin{spec: spec, failOpen: w.FailOpen, prefix: wasmPrefix(w.Name, w.RootID, w.VMID), failed: map[int]bool{}}
	guestOutput := func(level hostsim.LogLevel) *lineWriter {
		return &lineWriter{emit: func(line string) {
			s.log.line(level, mainThread, "wasm", "wasm log"+p.prefix+": "+line)
		}}
	}
	opts := hostsim.Options{
		VMs:        s.opts.VMs,
		PluginName: w.Name, RootID: w.RootID, VMID: w.VMID,
		VMConfig: w.VMConfiguration, PluginConfig: w.Configuration,
		Clusters: s.calloutClusters(),
		LogLevel: level,
		OnLog:    func(e hostsim.LogEntry) { s.log.guestLog(p.prefix, e) },
		MaxLogs:  1000,
		OnUnimplemented: func(fn string) {
			s.log.line(hostsim.LogWarn, mainThread, "wasm", "wasm log"+p.prefix+": the module called "+fn+", which hostsim does not implement (it was answered Unimplemented)")
		},
		// Envoy logs what a module writes to stdout at info, to stderr at
		// error.
		Stdout:   guestOutput(hostsim.LogInfo),
		Stderr:   guestOutput(hostsim.LogError),
		CacheDir: s.opts.CacheDir,
		Envoy:    s.opts.Envoy,
		// config.allow_on_headers_stop_iteration (issue 12).
		AllowOnHeadersStopIteration: w.AllowOnHeadersStopIteration,
	}
	if level > hostsim.LogCritical {
		opts.LogLevel = hostsim.LogCritical // "off": the guest may still ask; nothing is printed
	}
	h, err := hostsim.New(ctx, spec.code, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: the wasm plugin %q (%s) did not start: %w", spec.where, w.Name, spec.file, err)
	}
	p.host = h
	return p, nil
}

// calloutClusters are the envoy.yaml clusters as hostsim reaches them for
// the filters' HTTP callouts: through the same transports as the router.
func (s *Server) calloutClusters() map[string]hostsim.Cluster {
	m := make(map[string]hostsim.Cluster, len(s.clusters))
	for name, c := range s.clusters {
		m[name] = hostsim.Cluster{Address: name, Transport: c}
	}
	return m
}

// reportFailure logs a VM's failure once (a failed VM stays failed, as in
// Envoy, and every later request on it would repeat the same story).
func (p *plugin) reportFailure(log *logger, err error) {
	vm, what := mainThread, err.Error()
	var ge *hostsim.GuestError
	if errors.As(err, &ge) {
		// The guest's own output (a Go panic's message and stack) is in the
		// log already, line by line.
		vm, what = ge.VM, "in "+ge.Function+": "+ge.Err.Error()
	}
	p.failedMu.Lock()
	first := !p.failed[vm]
	p.failed[vm] = true
	p.failedMu.Unlock()
	if !first {
		return
	}
	policy := "fail closed: its requests are answered 503"
	if p.failOpen {
		policy = "fail_open: its requests pass without the filter"
	}
	log.line(hostsim.LogCritical, vm, "wasm", "wasm log"+p.prefix+": VM "+strconv.Itoa(vm)+" failed ("+policy+"): "+what)
}
