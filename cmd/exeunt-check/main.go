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
// allow_on_headers_stop_iteration, or the flows that read a body hang.
//
// In an Envoy bootstrap it also follows the routes (routes.go), with the filter's own
// classification of each path. Errors: a path a client owns reaches an upstream without
// the filter (a route or virtual host that disables it, a listener or filter chain without
// it, a tcp_proxy to a client's cluster, the filter behind an ExtensionWithMatcher, a filter
// chain without it set up for a client's host beside one that runs it), or a
// route rewrites a path the filter passes onto one a client owns (the router rewrites after
// the filter has decided). Warnings, printed with "warning: " and not changing the exit
// status: the connection manager's path options off, a filter-free route that strips
// nothing the filter would, routes it cannot see or follow (RDS, path templates, clusters
// chosen per request, a regex none of its probe paths meets), a forwarding filter chain
// without the filter beside one with it (which connections reach which chain is Envoy's
// filter_chain_match, named in each finding, not decided). A filter-free route over a client's path is made intended by
// declaring the path public in Exeunt's configuration.
//
// Given several files (a CI job's `exeunt-check k8s/*.yaml`), a file that holds no plugin
// configuration at all (a Service, an EnvoyPatchPolicy, a bootstrap without a wasm filter)
// is reported as skipped and is no problem, as long as at least one configuration was
// checked in all of them; none at all is a problem. A single file without any stays a
// problem: it was named to be checked.
//
// The exit status is 0 when every file is fine (warnings included), 1 when any has a
// problem, 2 for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage: exeunt-check FILE...   (envoy.yaml, a JSON configuration, Istio or Envoy Gateway YAML; - for stdin)

exit 0: fine ("warning: " lines may say what to look at), 1: a problem, such as a route that
reaches a client's path without Exeunt's filter (docs/install.md), 2: usage.
With several files, one without any Exeunt plugin configuration is skipped (not a
problem) while at least one configuration is checked; a single such file is a problem.`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	status, checkedAll, skipped := 0, 0, 0
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
		problems, checked, passThrough, none := check(data)
		if none && len(args) > 1 {
			fmt.Fprintf(stdout, "%s: skipped: %s\n", name, problems[0])
			skipped++
			continue
		}
		checkedAll += checked
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
	if skipped > 0 && checkedAll == 0 {
		// Nothing was checked: a CI job pointed at the wrong files must not pass.
		fmt.Fprintf(stdout, "exeunt-check: no plugin configuration in any of the %d files given: name at least one file that holds Exeunt's configuration\n", len(args))
		status = 1
	}
	return status
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
