package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/exeunt/exeunt/configschema"
	"github.com/exeunt/exeunt/core"
)

// check returns the problems found in one file, each naming where it is, how many
// plugin configurations the file holds, and how many of them are in pass-through mode
// (they sign nobody in). none is set, with the one problem saying so, when the file holds
// no plugin configuration at all (configschema.ErrNoPluginConfig), which run may skip.
func check(data []byte) (problems []string, configs, passThrough int, none bool) {
	ex, err := configschema.Extract(data)
	if errors.Is(err, configschema.ErrNoPluginConfig) {
		return []string{err.Error()}, 0, 0, true
	}
	if err != nil {
		// An Envoy bootstrap's errors are joined, one per problem.
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				problems = append(problems, e.Error())
			}
			return problems, 0, 0, false
		}
		return []string{err.Error()}, 0, 0, false
	}
	for _, f := range ex.Configs {
		prefix := ""
		if f.Where != "" {
			prefix = f.Where + ": "
		}
		// How the filter is installed (its wasm filter's own settings): each names its place.
		problems = append(problems, f.Problems...)
		cfg, err := core.ParseConfig(f.Config)
		if err != nil {
			problems = append(problems, prefix+err.Error())
			continue
		}
		if !cfg.SignInEnabled() {
			passThrough++
			// The filter refuses a pass-through configuration beside a VM one, a
			// placeholder such as {} too (envoyfilter's OnPluginStart); configschema
			// reports the empty one.
			if f.VMConfigured && len(bytes.TrimSpace(f.Config)) > 0 {
				problems = append(problems, prefix+"vm_config.configuration: Exeunt does not read the VM's configuration, and its own (config.configuration) turns no sign-in on (no issuer, providers or clients), so the filter would refuse to start: move the configuration to config.configuration")
			}
		}
		if ex.Clusters == nil {
			continue
		}
		for i, p := range cfg.Providers {
			if !ex.Clusters[p.Cluster] {
				problems = append(problems, prefix+fmt.Sprintf(
					"exeunt configuration: field %q: no cluster named %q in this Envoy configuration; define it under static_resources.clusters (the filter reaches the provider through it)",
					fmt.Sprintf("providers[%d].cluster", i), p.Cluster))
			}
		}
		for i, c := range cfg.Clients {
			if c.BackchannelCluster != "" && !ex.Clusters[c.BackchannelCluster] {
				problems = append(problems, prefix+fmt.Sprintf(
					"exeunt configuration: field %q: no cluster named %q in this Envoy configuration; define it under static_resources.clusters (logout tokens reach the client through it)",
					fmt.Sprintf("clients[%d].backchannel_cluster", i), c.BackchannelCluster))
			}
		}
		if e := cfg.Store.Etcd; e != nil && !ex.Clusters[e.Cluster] {
			problems = append(problems, prefix+fmt.Sprintf(
				"exeunt configuration: field %q: no cluster named %q in this Envoy configuration; define it under static_resources.clusters (the filter reaches etcd through it)",
				"store.etcd.cluster", e.Cluster))
		}
	}
	if ex.Clusters != nil && len(problems) == 0 {
		// Where the bootstrap's routes send requests (routes.go); warnings start with
		// warningPrefix.
		problems = append(problems, routeFindings(data)...)
	}
	return problems, len(ex.Configs), passThrough, false
}
