package configschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Found is one plugin configuration found in a file, with where it was found.
type Found struct {
	// Where names its place in the file: "" for a bare JSON file, else e.g.
	// `static_resources.listeners[0](main)...http_filters[0](envoy.filters.http.wasm)` or
	// `WasmPlugin istio-system/exeunt spec.pluginConfig`.
	Where string
	// Config is the configuration as the filter receives it.
	Config []byte
	// Problems are what is wrong with how the filter is installed around that
	// configuration (its wasm filter's own settings), each naming its place in the file;
	// the configuration itself is for core.ParseConfig to judge.
	Problems []string
	// VMConfigured: the wasm filter gives its VM a configuration (vm_config.configuration),
	// which Exeunt does not read; beside a pass-through Config the filter refuses to start.
	VMConfigured bool
}

// Extracted is what a file holds: the plugin configurations and, for an Envoy
// bootstrap, the clusters it defines (nil otherwise).
type Extracted struct {
	Configs  []Found
	Clusters map[string]bool
}

// RootID is the root_id Exeunt's wasm filter has in an Envoy bootstrap; the filters
// with it are the ones checked.
const RootID = "exeunt"

// Extract finds the plugin configurations in a file: a bare JSON configuration, an Envoy
// v3 bootstrap (every wasm filter with root_id "exeunt", read as Envoy reads it, which
// also checks the whole file against Envoy's schema), or Kubernetes YAML (Istio's
// WasmPlugin spec.pluginConfig, Envoy Gateway's EnvoyExtensionPolicy spec.wasm[].config, and the wasm filter
// configuration of an Istio EnvoyFilter patch whose root_id is "exeunt", in either of
// protobuf JSON's spellings (findWasmFilters); other kinds are skipped unless they hold
// a wasm filter). Istio hands pluginConfig to the filter as JSON, and Envoy
// Gateway its config as the JSON given, so both are checked as JSON.
// ErrNoPluginConfig is in the error of a file that holds no Exeunt plugin configuration
// at all (Kubernetes objects of other kinds, an Envoy bootstrap without any wasm filter),
// as opposed to one that holds a configuration, or a filter, that is wrong (a file with a
// wasm filter never has ErrNoPluginConfig, whatever its root_id): exeunt-check
// skips such a file among others (errors.Is).
var ErrNoPluginConfig = errors.New("no plugin configuration found")

func Extract(data []byte) (*Extracted, error) {
	trimmed := bytes.TrimSpace(data)
	// JSON that is not an object ([...], "...", null, a number) is a configuration too,
	// which the parser refuses with its own message; YAML would report a Go type. So is
	// JSON behind a UTF-8 byte order mark, which the parser refuses with a message that
	// says so, as the filter does at start (Envoy hands it the bytes as they are).
	if rest, ok := bytes.CutPrefix(trimmed, []byte("\xef\xbb\xbf")); ok {
		if rest = bytes.TrimSpace(rest); len(rest) == 0 || rest[0] == '{' || json.Valid(rest) {
			return &Extracted{Configs: []Found{{Config: data}}}, nil
		}
	}
	if len(trimmed) == 0 || trimmed[0] == '{' || json.Valid(trimmed) {
		return &Extracted{Configs: []Found{{Config: data}}}, nil
	}
	var probe map[string]any
	if err := yaml.Unmarshal(firstDocument(data), &probe); err == nil && probe["static_resources"] != nil {
		return envoyBootstrap(data)
	}
	return kubernetes(data)
}

func envoyBootstrap(data []byte) (*Extracted, error) {
	cfg, err := envoyconfig.Load(data)
	if err != nil {
		return nil, err
	}
	out := &Extracted{Clusters: map[string]bool{}}
	for _, c := range cfg.Clusters {
		out.Clusters[c.Name] = true
	}
	var others []string
	for _, l := range cfg.Listeners {
		// Every filter chain's filters, the default_filter_chain's too: Envoy runs each
		// chain for the connections its filter_chain_match takes, so an Exeunt filter
		// failing open in any of them lets those requests through.
		for _, f := range slices.Concat(l.HTTPFilters, l.OtherChainFilters) {
			if f.Wasm == nil {
				continue
			}
			if f.Wasm.RootID != RootID {
				others = append(others, fmt.Sprintf("%s with root_id %q", f.Path, f.Wasm.RootID))
				continue
			}
			problems := pluginProblems(f.Path+".typed_config.config", f.Wasm.FailOpen, f.Wasm.AllowOnHeadersStopIteration)
			if f.Disabled {
				// Envoy's HttpFilter.disabled: the filter runs only where a route's
				// typed_per_filter_config turns it back on, so it fails open everywhere else.
				problems = append(problems, f.Path+".disabled: must not be true for Exeunt: a filter disabled by default runs only on the routes whose typed_per_filter_config enables it, so every other route (and every route added later) reaches its app without a session; remove disabled, and disable the filter on the routes that must be public instead (docs/security-model.md)")
			}
			// The filter refuses to start so (envoyfilter's OnPluginStart): pass-through
			// mode beside a VM configuration is a configuration one level too deep.
			if len(bytes.TrimSpace(f.Wasm.Configuration)) == 0 && len(f.Wasm.VMConfiguration) > 0 {
				problems = append(problems, f.Path+".typed_config.config.vm_config.configuration: Exeunt does not read the VM's configuration, and its own (config.configuration) is empty, so the filter would refuse to start: move the configuration to config.configuration")
			}
			out.Configs = append(out.Configs, Found{Where: f.Path, Config: f.Wasm.Configuration, Problems: problems, VMConfigured: len(f.Wasm.VMConfiguration) > 0})
		}
	}
	if len(out.Configs) == 0 {
		if len(others) == 0 {
			return nil, fmt.Errorf("%w: no wasm filter with root_id %q in this Envoy configuration: add Exeunt's wasm filter to a listener's http_filters (see envoy.yaml)", ErrNoPluginConfig, RootID)
		}
		return nil, fmt.Errorf("no wasm filter with root_id %q in this Envoy configuration (found %s): exeunt-check checks the wasm filter whose root_id is %q, so give Exeunt's filter that root_id", RootID, strings.Join(others, "; "), RootID)
	}
	return out, nil
}

// pluginProblems returns what is wrong with the settings of Exeunt's wasm filter
// (envoy.extensions.wasm.v3.PluginConfig at config) for an authentication filter that
// reads request bodies.
func pluginProblems(config string, failOpen, allowStopIteration bool) []string {
	var problems []string
	if failOpen {
		problems = append(problems, config+".fail_open: must be false for Exeunt (or failure_policy FAIL_CLOSED): "+failOpenRisk+"; leave fail_open out or set it to false")
	}
	if !allowStopIteration {
		problems = append(problems, config+".allow_on_headers_stop_iteration: must be true for Exeunt: "+stopIterationNeed)
	}
	return problems
}

// Why each setting matters, as problems say it.
const (
	failOpenRisk      = "failing open, a VM that fails to start or crashes lets every request reach the apps without a session and without the identity headers being stripped"
	stopIterationNeed = "without it Envoy never hands the filter a request body, so the end session endpoint by POST, the sign-out confirmation and back-channel logout hang until the stream times out (docs/install.md, \"Envoy and request bodies\")"
)

// wasmPlugin reads an Istio WasmPlugin's spec. Istio's CRD (istio.io/api v1.32.0,
// kubernetes/customresourcedefinitions.gen.yaml, wasmplugins.extensions.istio.io) is a
// structural schema whose spec names its fields in lowerCamelCase only (pluginConfig,
// failStrategy) and keeps no unknown field but within pluginConfig. A field under its
// protobuf name (plugin_config) is unknown there: kubectl's strict field validation refuses
// the object, and an API server that takes it prunes the field, so Istio never hands it to
// the filter. So each field exeunt-check reads is read under both names, what it holds is
// checked either way (a configuration is never skipped), and the protobuf name is an error
// that says to rename it: a pruned plugin_config leaves the filter in pass-through mode.
func wasmPlugin(name string, raw json.RawMessage) (Found, error) {
	var spec map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &spec); err != nil {
			return Found{}, err
		}
	}
	var problems []string
	field := func(camel, snake, dropped string) (json.RawMessage, string) {
		c, okC := spec[camel]
		s, okS := spec[snake]
		switch {
		case okC && okS:
			problems = append(problems, fmt.Sprintf("%s spec: both %s and %s are given; Istio's WasmPlugin CRD knows only %s (%s is dropped): keep %s alone", name, camel, snake, camel, snake, camel))
			return c, camel
		case okS:
			problems = append(problems, fmt.Sprintf("%s spec.%s: Istio's WasmPlugin CRD has no field %s, only %s: Kubernetes refuses the object (kubectl's strict field validation) or drops the field, and %s; rename it %s", name, snake, snake, camel, dropped, camel))
			return s, snake
		}
		return c, camel
	}
	config, configName := field("pluginConfig", "plugin_config", "the filter then starts without its configuration, in pass-through mode: it signs nobody in and lets every request through")
	found := Found{Where: name + " spec." + configName, Config: config}
	strategy, strategyName := field("failStrategy", "fail_strategy", "the failure strategy is Istio's default (FAIL_CLOSE), not the one written")
	var fs string
	if len(strategy) > 0 {
		if err := json.Unmarshal(strategy, &fs); err != nil {
			return Found{}, fmt.Errorf("spec.%s: %w", strategyName, err)
		}
	}
	// Istio's default is FAIL_CLOSE; FAIL_OPEN is the one that lets requests through.
	if fs == "FAIL_OPEN" {
		problems = append(problems, name+" spec."+strategyName+": must not be FAIL_OPEN for Exeunt: "+failOpenRisk+"; use FAIL_CLOSE (Istio's default)")
	}
	found.Problems = problems
	return found, nil
}

// documents splits a YAML stream at its "---" lines.
func documents(data []byte) [][]byte {
	var docs [][]byte
	var cur []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimRight(line, " \t\r") == "---" {
			docs = append(docs, []byte(strings.Join(cur, "\n")))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, []byte(strings.Join(cur, "\n")))
}

func firstDocument(data []byte) []byte {
	for _, d := range documents(data) {
		if len(bytes.TrimSpace(d)) > 0 {
			return d
		}
	}
	return nil
}

type kubeObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec json.RawMessage `json:"spec"`
}

// maxSeenObjects bounds the objects a "no plugin configuration" error names.
const maxSeenObjects = 5

func kubernetes(data []byte) (*Extracted, error) {
	out := &Extracted{}
	var seen []string   // the objects of the file, for an error that finds none of Exeunt's
	var others []string // wasm filters with another root_id
	var errs []error    // wasm filters that cannot be read as Exeunt's
	for i, doc := range documents(data) {
		var o kubeObject
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i+1, err)
		}
		name := o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
		if o.Kind != "" && len(seen) < maxSeenObjects {
			seen = append(seen, name)
		}
		switch {
		case o.Kind == "WasmPlugin" && strings.HasPrefix(o.APIVersion, "extensions.istio.io/"):
			found, err := wasmPlugin(name, o.Spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out.Configs = append(out.Configs, found)
		case o.Kind == "EnvoyFilter" && strings.HasPrefix(o.APIVersion, "networking.istio.io/"):
			w, err := findWasmFilters(o.Spec, "spec")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, f := range w.configs {
				for j, p := range f.Problems {
					f.Problems[j] = name + " " + p
				}
				out.Configs = append(out.Configs, Found{Where: name + " " + f.Where, Config: f.Config, Problems: f.Problems})
			}
			for _, o := range w.others {
				others = append(others, name+" "+o)
			}
			for _, e := range w.errs {
				errs = append(errs, fmt.Errorf("%s %w", name, e))
			}
		case o.Kind == "EnvoyExtensionPolicy" && strings.HasPrefix(o.APIVersion, "gateway.envoyproxy.io/"):
			var spec struct {
				Wasm []struct {
					Config   json.RawMessage `json:"config"`
					FailOpen bool            `json:"failOpen"`
				} `json:"wasm"`
			}
			if err := json.Unmarshal(o.Spec, &spec); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for j, w := range spec.Wasm {
				found := Found{Where: fmt.Sprintf("%s spec.wasm[%d].config", name, j), Config: w.Config}
				if w.FailOpen {
					found.Problems = append(found.Problems, fmt.Sprintf("%s spec.wasm[%d].failOpen: must be false for Exeunt: %s; leave it out or set it to false", name, j, failOpenRisk))
				}
				out.Configs = append(out.Configs, found)
			}
		default:
			// A wasm filter in an object of another kind (an EnvoyPatchPolicy adding
			// one) is not "no plugin configuration": it may be Exeunt's, unchecked.
			w, err := findWasmFilters(o.Spec, "spec")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, where := range w.places {
				errs = append(errs, fmt.Errorf("%s %s: a wasm filter in a %s, which exeunt-check does not read: it may be Exeunt's, left unchecked; install Exeunt's filter with an Istio WasmPlugin or EnvoyFilter, an Envoy Gateway EnvoyExtensionPolicy or an Envoy bootstrap, and check that file", name, where, o.Kind))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out.Configs) == 0 && len(others) > 0 {
		// Fail closed, as for a bootstrap: a filter under a wrong root_id would leave
		// Exeunt's configuration unchecked.
		return nil, fmt.Errorf("no wasm filter with root_id %q (found %s): exeunt-check checks the wasm filter whose root_id is %q, so give Exeunt's filter that root_id", RootID, strings.Join(others, "; "), RootID)
	}
	if len(out.Configs) == 0 {
		held := ""
		if len(seen) > 0 {
			held = " (the file holds " + strings.Join(seen, ", ") + ")"
		}
		return nil, fmt.Errorf("%w%s: expected a JSON configuration, an Envoy bootstrap with a wasm filter whose root_id is \"exeunt\", an Istio WasmPlugin or EnvoyFilter, or an Envoy Gateway EnvoyExtensionPolicy", ErrNoPluginConfig, held)
	}
	return out, nil
}
