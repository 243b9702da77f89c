// Command exeunt-check validates Exeunt's plugin configuration before it reaches a proxy,
// for CI:
//
//	exeunt-check envoy.yaml                     an Envoy bootstrap: every wasm filter with root_id "exeunt"
//	exeunt-check config.json                    a bare JSON configuration
//	exeunt-check examples/istio/wasmplugin.yaml Istio WasmPlugin, Envoy Gateway EnvoyExtensionPolicy
//	exeunt-check -                              standard input, any of the above
//
// Each configuration goes through core.ParseConfig, the very function the filter runs
// in OnPluginStart, so the verdict is the filter's: a configuration it passes starts, and
// a problem is printed as the filter would log it, naming the field. An Envoy bootstrap
// is also read as Envoy reads it (its schema, its references), and the clusters the
// configuration names (providers[].cluster, clients[].backchannel_cluster,
// store.etcd.cluster) must be
// defined in it: the filter cannot see Envoy's clusters at start, and a missing one would
// only fail the first sign-in. Exeunt's wasm filter itself must fail closed, must not be
// disabled by default in a bootstrap's http_filters (it would run only where a route enables
// it), and, where
// the file can say so (a bootstrap, an Istio EnvoyFilter), set
// allow_on_headers_stop_iteration, or the flows that read a body hang. The exit status is 0 when every file is fine, 1 when any
// has a problem, 2 for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage: exeunt-check FILE...   (envoy.yaml, a JSON configuration, Istio or Envoy Gateway YAML; - for stdin)`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	status := 0
	for _, name := range args {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", name, err)
			status = 1
			continue
		}
		problems, checked, passThrough := check(data)
		errs, warnings := 0, 0
		for _, p := range problems {
			fmt.Fprintf(stdout, "%s: %s\n", name, p)
			if strings.HasPrefix(p, warningPrefix) {
				warnings++
			} else {
				errs++
			}
		}
		if errs > 0 {
			status = 1
			continue
		}
		// Pass-through mode is valid, and lets every request through: the verdict says so.
		note := ""
		switch {
		case passThrough == 1 && checked == 1:
			note = ", in pass-through mode: it signs nobody in"
		case passThrough > 0:
			note = fmt.Sprintf(", %d in pass-through mode: they sign nobody in", passThrough)
		}
		if warnings > 0 {
			note += fmt.Sprintf(", %d warning%s", warnings, plural(warnings))
		}
		fmt.Fprintf(stdout, "%s: ok (%d plugin configuration%s%s)\n", name, checked, plural(checked), note)
	}
	return status
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
