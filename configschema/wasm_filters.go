package configschema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// Type URLs of the TypedStruct that can wrap a filter's configuration (Envoy accepts both).
var typedStructTypes = map[string]bool{
	"type.googleapis.com/udpa.type.v1.TypedStruct": true,
	"type.googleapis.com/xds.type.v3.TypedStruct":  true,
}

// wasmFilters is what the wasm filters of one Kubernetes object's spec hold.
type wasmFilters struct {
	configs []Found  // those with root_id "exeunt"
	others  []string // those with another root_id, each "<where> with root_id <id>"
	errs    []error  // those that cannot be read as Exeunt's (a TypedStruct, a field given twice)
	places  []string // where each wasm filter's typed config is
}

// findWasmFilters finds every wasm filter configuration (a typed config whose @type is
// envoy.extensions.filters.http.wasm.v3.Wasm) anywhere in spec, at any depth: a patch
// can add a filter alone, a listener or a whole connection manager. Envoy reads a patch
// value as protobuf JSON, which takes each field under its proto name (root_id) and its
// lowerCamelCase JSON name (rootId) alike, so both are read; both at once is refused.
// Each place is named from prefix (e.g. "spec"), with the field names as written.
func findWasmFilters(spec json.RawMessage, prefix string) (*wasmFilters, error) {
	var v any
	if len(spec) == 0 {
		return &wasmFilters{}, nil
	}
	if err := json.Unmarshal(spec, &v); err != nil {
		return nil, err
	}
	out := &wasmFilters{}
	out.walk(v, prefix)
	return out, nil
}

func (w *wasmFilters) walk(v any, where string) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			w.walk(e, fmt.Sprintf("%s[%d]", where, i))
		}
	case map[string]any:
		t, _ := v["@type"].(string)
		if t == envoyconfig.TypeURLWasm {
			w.places = append(w.places, where)
			w.wasm(v, where)
			return
		}
		if typedStructTypes[t] {
			u, _ := v["type_url"].(string)
			if u == "" {
				u, _ = v["typeUrl"].(string)
			}
			if strings.HasSuffix(u, "/envoy.extensions.filters.http.wasm.v3.Wasm") || u == "envoy.extensions.filters.http.wasm.v3.Wasm" {
				w.places = append(w.places, where)
				w.errs = append(w.errs, fmt.Errorf("%s: a wasm filter in a TypedStruct, which exeunt-check does not read: write it as a typed config whose \"@type\" is %s", where, envoyconfig.TypeURLWasm))
				return
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.walk(v[k], where+"."+k)
		}
	}
}

// field reads the field of m named snake or camel (protobuf JSON's two names of it).
func (w *wasmFilters) field(m map[string]any, where, snake, camel string) any {
	a, okA := m[snake]
	b, okB := m[camel]
	if okA && okB {
		w.errs = append(w.errs, fmt.Errorf("%s: both %s and %s are given, the same field twice: keep one", where, snake, camel))
	}
	if okA {
		return a
	}
	return b
}

// wasm reads one wasm filter's configuration (envoy.extensions.filters.http.wasm.v3.Wasm
// at where): its PluginConfig and Exeunt's configuration in it (a StringValue).
func (w *wasmFilters) wasm(m map[string]any, where string) {
	c, _ := m["config"].(map[string]any)
	cw := where + ".config"
	rootID, _ := w.field(c, cw, "root_id", "rootId").(string)
	if rootID != RootID {
		w.others = append(w.others, fmt.Sprintf("%s with root_id %q", cw, rootID))
		return
	}
	failOpen, _ := w.field(c, cw, "fail_open", "failOpen").(bool)
	switch p, _ := w.field(c, cw, "failure_policy", "failurePolicy").(string); p {
	case "FAIL_OPEN":
		failOpen = true
	case "FAIL_CLOSED":
		failOpen = false
	}
	allow, _ := w.field(c, cw, "allow_on_headers_stop_iteration", "allowOnHeadersStopIteration").(bool)
	found := Found{Where: cw + ".configuration", Problems: pluginProblems(cw, failOpen, allow)}
	if cfg, ok := c["configuration"].(map[string]any); ok {
		if t, _ := cfg["@type"].(string); t != "type.googleapis.com/google.protobuf.StringValue" {
			w.errs = append(w.errs, fmt.Errorf("%s: Exeunt reads its configuration from a google.protobuf.StringValue, not %s", found.Where, t))
			return
		}
		s, _ := cfg["value"].(string)
		found.Config = []byte(s)
	}
	w.configs = append(w.configs, found)
}
