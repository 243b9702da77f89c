package configschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// configuration of an Istio EnvoyFilter patch whose root_id is "exeunt"; other kinds are
// skipped). Istio hands pluginConfig to the filter as JSON, and Envoy
// Gateway its config as the JSON given, so both are checked as JSON.
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
	for _, l := range cfg.Listeners {
		for _, f := range l.HTTPFilters {
			if f.Wasm != nil && f.Wasm.RootID == RootID {
				out.Configs = append(out.Configs, Found{Where: f.Path, Config: f.Wasm.Configuration})
			}
		}
	}
	if len(out.Configs) == 0 {
		return nil, fmt.Errorf("no wasm filter with root_id %q in this Envoy configuration", RootID)
	}
	return out, nil
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

func kubernetes(data []byte) (*Extracted, error) {
	out := &Extracted{}
	for i, doc := range documents(data) {
		var o kubeObject
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i+1, err)
		}
		name := o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
		switch {
		case o.Kind == "WasmPlugin" && strings.HasPrefix(o.APIVersion, "extensions.istio.io/"):
			var spec struct {
				PluginConfig json.RawMessage `json:"pluginConfig"`
			}
			if err := json.Unmarshal(o.Spec, &spec); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out.Configs = append(out.Configs, Found{Where: name + " spec.pluginConfig", Config: spec.PluginConfig})
		case o.Kind == "EnvoyFilter" && strings.HasPrefix(o.APIVersion, "networking.istio.io/"):
			found, err := envoyFilterConfigs(o.Spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, f := range found {
				out.Configs = append(out.Configs, Found{Where: name + " " + f.Where, Config: f.Config})
			}
		case o.Kind == "EnvoyExtensionPolicy" && strings.HasPrefix(o.APIVersion, "gateway.envoyproxy.io/"):
			var spec struct {
				Wasm []struct {
					Config json.RawMessage `json:"config"`
				} `json:"wasm"`
			}
			if err := json.Unmarshal(o.Spec, &spec); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for j, w := range spec.Wasm {
				out.Configs = append(out.Configs, Found{Where: fmt.Sprintf("%s spec.wasm[%d].config", name, j), Config: w.Config})
			}
		}
	}
	if len(out.Configs) == 0 {
		return nil, errors.New("no plugin configuration found: expected a JSON configuration, an Envoy bootstrap with a wasm filter whose root_id is \"exeunt\", an Istio WasmPlugin or EnvoyFilter, or an Envoy Gateway EnvoyExtensionPolicy")
	}
	return out, nil
}

// envoyFilterConfigs finds, in an Istio EnvoyFilter's patches, the wasm filter
// configurations with root_id "exeunt" and their plugin configuration (a StringValue).
func envoyFilterConfigs(spec json.RawMessage) ([]Found, error) {
	var s struct {
		ConfigPatches []struct {
			Patch struct {
				Value struct {
					TypedConfig struct {
						Type   string `json:"@type"`
						Config struct {
							RootID        string `json:"root_id"`
							Configuration *struct {
								Type  string `json:"@type"`
								Value string `json:"value"`
							} `json:"configuration"`
						} `json:"config"`
					} `json:"typed_config"`
				} `json:"value"`
			} `json:"patch"`
		} `json:"configPatches"`
	}
	if err := json.Unmarshal(spec, &s); err != nil {
		return nil, err
	}
	var out []Found
	for i, p := range s.ConfigPatches {
		tc := p.Patch.Value.TypedConfig
		if tc.Type != envoyconfig.TypeURLWasm || tc.Config.RootID != RootID {
			continue
		}
		where := fmt.Sprintf("spec.configPatches[%d].patch.value.typed_config.config.configuration", i)
		var cfg []byte
		if c := tc.Config.Configuration; c != nil {
			if c.Type != "type.googleapis.com/google.protobuf.StringValue" {
				return nil, fmt.Errorf("%s: Exeunt reads its configuration from a google.protobuf.StringValue, not %s", where, c.Type)
			}
			cfg = []byte(c.Value)
		}
		out = append(out, Found{Where: where, Config: cfg})
	}
	return out, nil
}
