package examples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"github.com/ohler55/ojg/jp"
	"github.com/ohler55/ojg/oj"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istioext "istio.io/api/extensions/v1alpha1"
	istionet "istio.io/api/networking/v1"
	istionet3 "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"

	"github.com/exeunt/exeunt/core"
)

// object is one Kubernetes object of an example file.
type object struct {
	file, apiVersion, kind, name, namespace string
	json                                    []byte // the whole object
	spec                                    []byte
}

func (o object) String() string {
	return fmt.Sprintf("%s (%s %s/%s)", o.file, o.kind, o.namespace, o.name)
}

func readObjects(t *testing.T, dir string) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s (%v)", dir, err)
	}
	var out []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct{ Name, Namespace string }
				Spec       json.RawMessage `json:"spec"`
			}
			if err := json.Unmarshal(j, &o); err != nil || o.Kind == "" {
				t.Fatalf("%s: not a Kubernetes object (%v)", f, err)
			}
			out = append(out, object{f, o.APIVersion, o.Kind, o.Metadata.Name, o.Metadata.Namespace, j, o.Spec})
		}
	}
	return out
}

func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go list -m %s: %v", module, err)
	}
	return string(bytes.TrimSpace(out))
}

// crdSchemas compiles the openAPIV3Schema of every CRD version in the files, by
// "group/version kind".
func crdSchemas(t *testing.T, files ...string) map[string]*jsonschema.Schema {
	t.Helper()
	out := map[string]*jsonschema.Schema{}
	c := jsonschema.NewCompiler()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---\n") {
			var crd struct {
				Spec struct {
					Group    string
					Names    struct{ Kind string }
					Versions []struct {
						Name   string
						Schema struct {
							OpenAPIV3Schema json.RawMessage `json:"openAPIV3Schema"`
						}
					}
				}
			}
			if err := yaml.Unmarshal([]byte(doc), &crd); err != nil || crd.Spec.Names.Kind == "" {
				continue
			}
			for _, v := range crd.Spec.Versions {
				key := crd.Spec.Group + "/" + v.Name + " " + crd.Spec.Names.Kind
				s, err := jsonschema.UnmarshalJSON(bytes.NewReader(v.Schema.OpenAPIV3Schema))
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				url := fmt.Sprintf("crd/%s/%d/%s.json", filepath.Base(f), i, v.Name)
				if err := c.AddResource(url, s); err != nil {
					t.Fatal(err)
				}
				if out[key], err = c.Compile(url); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
			}
		}
	}
	return out
}

// checkCRD validates an object against its CRD's schema: what the API server checks
// (x-kubernetes-validations, CEL rules, are not evaluated here; unknown fields, which the
// API server prunes, are caught by the strict decoding into the API types).
func checkCRD(t *testing.T, schemas map[string]*jsonschema.Schema, o object) {
	t.Helper()
	s, ok := schemas[o.apiVersion+" "+o.kind]
	if !ok {
		t.Errorf("%s: no CRD for %s %s", o, o.apiVersion, o.kind)
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(o.json))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s: refused by its CRD's schema: %v", o, err)
	}
}

// strictProto decodes JSON into m as Istio's API does: unknown fields are errors.
func strictProto(t *testing.T, what string, j []byte, m proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal(j, m); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// envoyResource decodes JSON into an Envoy message and validates it with Envoy's own
// rules (protoc-gen-validate), unpacking each typed_config it holds as Envoy would.
func envoyResource(t *testing.T, what string, j []byte, m proto.Message) {
	t.Helper()
	strictProto(t, what, j, m)
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

func pluginConfigParses(t *testing.T, what string, cfg []byte) *core.Config {
	t.Helper()
	c, err := core.ParseConfig(cfg)
	if err != nil {
		t.Fatalf("%s: the filter refuses its configuration: %v", what, err)
	}
	if !c.SignInEnabled() {
		t.Fatalf("%s: the configuration is in pass-through mode", what)
	}
	return c
}

func TestIstioExamples(t *testing.T) {
	objs := readObjects(t, "istio")
	schemas := crdSchemas(t, filepath.Join(moduleDir(t, "istio.io/api"), "kubernetes", "customresourcedefinitions.gen.yaml"))
	entries := map[string]*istionet.ServiceEntry{}
	rules := map[string]*istionet.DestinationRule{}
	var plugin *istioext.WasmPlugin
	var filter *istionet3.EnvoyFilter
	for _, o := range objs {
		checkCRD(t, schemas, o)
		switch o.kind {
		case "WasmPlugin":
			plugin = &istioext.WasmPlugin{}
			strictProto(t, o.String(), o.spec, plugin)
		case "EnvoyFilter":
			filter = &istionet3.EnvoyFilter{}
			strictProto(t, o.String(), o.spec, filter)
		case "ServiceEntry":
			se := &istionet.ServiceEntry{}
			strictProto(t, o.String(), o.spec, se)
			for _, h := range se.Hosts {
				entries[h] = se
			}
		case "DestinationRule":
			dr := &istionet.DestinationRule{}
			strictProto(t, o.String(), o.spec, dr)
			rules[dr.Host] = dr
		default:
			t.Errorf("%s: unexpected kind", o)
		}
	}
	if plugin == nil || filter == nil {
		t.Fatal("istio/ must hold a WasmPlugin and an EnvoyFilter")
	}

	// The WasmPlugin: what the issue and docs/install.md promise.
	if plugin.Phase != istioext.PluginPhase_AUTHN || plugin.FailStrategy != istioext.FailStrategy_FAIL_CLOSE ||
		len(plugin.GetSelector().GetMatchLabels()) == 0 || plugin.Type != istioext.PluginType_HTTP ||
		!strings.HasPrefix(plugin.Url, "oci://") || plugin.PluginName != "exeunt" {
		t.Errorf("WasmPlugin: phase %v, failStrategy %v, selector %v, type %v, url %q, pluginName %q",
			plugin.Phase, plugin.FailStrategy, plugin.GetSelector(), plugin.Type, plugin.Url, plugin.PluginName)
	}
	// Istio hands pluginConfig to the filter as its JSON (protojson of the Struct).
	pcJSON, err := protojson.Marshal(plugin.PluginConfig)
	if err != nil {
		t.Fatal(err)
	}
	fromPlugin := pluginConfigParses(t, "WasmPlugin", pcJSON)

	// The EnvoyFilter: the filter first in the gateway's chain, its configuration over
	// ECDS, both valid Envoy configuration, and the same plugin configuration.
	var fromFilter *core.Config
	var discovered, served string
	for i, p := range filter.ConfigPatches {
		what := fmt.Sprintf("EnvoyFilter configPatches[%d]", i)
		value, err := protojson.Marshal(p.Patch.Value)
		if err != nil {
			t.Fatal(err)
		}
		switch p.ApplyTo {
		case istionet3.EnvoyFilter_HTTP_FILTER:
			var f hcmv3.HttpFilter
			envoyResource(t, what, value, &f)
			if p.Patch.Operation != istionet3.EnvoyFilter_Patch_INSERT_FIRST || f.GetConfigDiscovery() == nil {
				t.Errorf("%s: want the filter inserted first, its configuration discovered (ECDS)", what)
			}
			discovered = f.Name
		case istionet3.EnvoyFilter_EXTENSION_CONFIG:
			var ec corev3.TypedExtensionConfig
			envoyResource(t, what, value, &ec)
			var w wasmfilterv3.Wasm
			if err := ec.TypedConfig.UnmarshalTo(&w); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if err := w.ValidateAll(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			pc := w.GetConfig()
			if !pc.GetAllowOnHeadersStopIteration().GetValue() || pc.GetFailOpen() || pc.GetRootId() != "exeunt" ||
				!strings.HasPrefix(pc.GetVmConfig().GetCode().GetRemote().GetHttpUri().GetUri(), "oci://") {
				t.Errorf("%s: allow_on_headers_stop_iteration %v, fail_open %v, root_id %q, code %v", what,
					pc.GetAllowOnHeadersStopIteration().GetValue(), pc.GetFailOpen(), pc.GetRootId(), pc.GetVmConfig().GetCode())
			}
			sv := &wrapperspb.StringValue{}
			if err := pc.GetConfiguration().UnmarshalTo(sv); err != nil {
				t.Fatalf("%s: the plugin configuration must be a StringValue: %v", what, err)
			}
			fromFilter = pluginConfigParses(t, what, []byte(sv.GetValue()))
			served = ec.Name
		default:
			t.Errorf("%s: unexpected applyTo %v", what, p.ApplyTo)
		}
	}
	if discovered == "" || discovered != served {
		t.Errorf("the HTTP filter discovers %q, the extension config is served as %q", discovered, served)
	}
	if fromFilter == nil || fromFilter.Issuer != fromPlugin.Issuer || len(fromFilter.Providers) != len(fromPlugin.Providers) ||
		fromFilter.Providers[0].Cluster != fromPlugin.Providers[0].Cluster {
		t.Errorf("wasmplugin.yaml and envoyfilter.yaml configure the filter differently")
	}

	// Every cluster the filter calls through exists in the mesh: a provider's through a
	// ServiceEntry (with TLS from a DestinationRule), a client's through its Service.
	for _, cfg := range []*core.Config{fromPlugin, fromFilter} {
		for _, p := range cfg.Providers {
			port, host := istioCluster(t, p.Cluster)
			se := entries[host]
			if se == nil || !hasPort(se, port) {
				t.Errorf("provider cluster %q: no ServiceEntry for %s port %d", p.Cluster, host, port)
				continue
			}
			dr := rules[host]
			if dr == nil || !originatesTLS(dr, port) {
				t.Errorf("provider cluster %q: no DestinationRule originating TLS on port %d", p.Cluster, port)
			}
		}
		for _, c := range cfg.Clients {
			if c.BackchannelCluster == "" {
				continue
			}
			port, host := istioCluster(t, c.BackchannelCluster)
			if !strings.HasSuffix(host, ".svc.cluster.local") || !strings.Contains(c.BackchannelLogoutURI, fmt.Sprintf("//%s:%d/", host, port)) {
				t.Errorf("client %s: backchannel_cluster %q does not reach %s", c.ClientID, c.BackchannelCluster, c.BackchannelLogoutURI)
			}
		}
	}
}

// istioCluster splits Istio's outbound cluster name "outbound|PORT||HOST".
func istioCluster(t *testing.T, name string) (uint32, string) {
	t.Helper()
	var port uint32
	parts := strings.Split(name, "|")
	if len(parts) != 4 || parts[0] != "outbound" || parts[2] != "" {
		t.Fatalf("cluster %q is not an Istio outbound cluster name (outbound|PORT||HOST)", name)
	}
	if _, err := fmt.Sscanf(parts[1], "%d", &port); err != nil {
		t.Fatalf("cluster %q: %v", name, err)
	}
	return port, parts[3]
}

func hasPort(se *istionet.ServiceEntry, port uint32) bool {
	for _, p := range se.Ports {
		if p.Number == port {
			return true
		}
	}
	return false
}

func originatesTLS(dr *istionet.DestinationRule, port uint32) bool {
	for _, s := range dr.GetTrafficPolicy().GetPortLevelSettings() {
		if s.GetPort().GetNumber() == port && s.GetTls().GetMode() == istionet3.ClientTLSSettings_SIMPLE && s.GetTls().GetSni() != "" {
			return true
		}
	}
	return false
}

func TestEnvoyGatewayExamples(t *testing.T) {
	objs := readObjects(t, "envoy-gateway")
	dir := filepath.Join(moduleDir(t, "github.com/envoyproxy/gateway"), "charts", "gateway-helm", "charts", "crds", "crds", "generated")
	schemas := crdSchemas(t, filepath.Join(dir, "gateway.envoyproxy.io_envoyextensionpolicies.yaml"), filepath.Join(dir, "gateway.envoyproxy.io_envoypatchpolicies.yaml"))
	var ext *egv1a1.EnvoyExtensionPolicy
	var patch *egv1a1.EnvoyPatchPolicy
	for _, o := range objs {
		checkCRD(t, schemas, o)
		switch o.kind {
		case "EnvoyExtensionPolicy":
			ext = &egv1a1.EnvoyExtensionPolicy{}
			if err := yaml.UnmarshalStrict(o.json, ext); err != nil {
				t.Fatalf("%s: %v", o, err)
			}
		case "EnvoyPatchPolicy":
			patch = &egv1a1.EnvoyPatchPolicy{}
			if err := yaml.UnmarshalStrict(o.json, patch); err != nil {
				t.Fatalf("%s: %v", o, err)
			}
		default:
			t.Errorf("%s: unexpected kind", o)
		}
	}
	if ext == nil || patch == nil {
		t.Fatal("envoy-gateway/ must hold an EnvoyExtensionPolicy and an EnvoyPatchPolicy")
	}
	if len(ext.Spec.Wasm) != 1 {
		t.Fatalf("EnvoyExtensionPolicy: %d wasm extensions, want 1", len(ext.Spec.Wasm))
	}
	w := ext.Spec.Wasm[0]
	if w.Code.Type != egv1a1.ImageWasmCodeSourceType || w.Code.Image == nil || w.FailOpen == nil || *w.FailOpen ||
		w.RootID == nil || *w.RootID != "exeunt" || w.Config == nil {
		t.Fatalf("EnvoyExtensionPolicy wasm[0]: code %+v, failOpen %v, rootID %v", w.Code, w.FailOpen, w.RootID)
	}
	cfg := pluginConfigParses(t, "EnvoyExtensionPolicy wasm[0].config", w.Config.Raw)

	// The patch on the listener names Envoy Gateway's filter for this policy's wasm[0]
	// (internal/xds/translator/wasm.go: "envoy.filters.http.wasm/" + the IR name,
	// "envoyextensionpolicy/<namespace>/<name>/wasm/<index>", at d32f2829) and sets a field
	// Envoy's wasm PluginConfig has.
	filterName := fmt.Sprintf("envoy.filters.http.wasm/envoyextensionpolicy/%s/%s/wasm/0", ext.Namespace, ext.Name)
	clusters := map[string]bool{}
	var allowPatched bool
	for i, p := range patch.Spec.JSONPatches {
		what := fmt.Sprintf("EnvoyPatchPolicy jsonPatches[%d]", i)
		switch p.Type {
		case egv1a1.ListenerEnvoyResourceType:
			field := wasmv3.File_envoy_extensions_wasm_v3_wasm_proto.Messages().ByName("PluginConfig").Fields().ByName("allow_on_headers_stop_iteration")
			if p.Operation.JSONPath == nil || !strings.Contains(*p.Operation.JSONPath, "'"+filterName+"'") ||
				!strings.HasSuffix(*p.Operation.JSONPath, ".typed_config.config") || p.Operation.Path == nil ||
				field == nil || *p.Operation.Path != string(field.Name()) || string(p.Operation.Value.Raw) != "true" {
				t.Errorf("%s: want allow_on_headers_stop_iteration set to true in the config of %s", what, filterName)
			}
			allowPatched = true
			applyToEnvoyGatewaysListener(t, what, filterName, *p.Operation.JSONPath, *p.Operation.Path, p.Operation.Value.Raw)
		case egv1a1.ClusterEnvoyResourceType:
			// A whole resource, which Envoy Gateway decodes with protojson and validates
			// (internal/xds/translator/jsonpatch.go at d32f2829): so does this test.
			var c clusterv3.Cluster
			envoyResource(t, what, p.Operation.Value.Raw, &c)
			if p.Operation.Op != egv1a1.JSONPatchOperationType("add") || p.Name != c.Name {
				t.Errorf("%s: op %s on %q adding cluster %q", what, p.Operation.Op, p.Name, c.Name)
			}
			clusters[c.Name] = true
		default:
			t.Errorf("%s: unexpected type %s", what, p.Type)
		}
	}
	if !allowPatched {
		t.Error("no patch sets allow_on_headers_stop_iteration")
	}
	for _, p := range cfg.Providers {
		if !clusters[p.Cluster] {
			t.Errorf("provider %s: cluster %q is not added by the EnvoyPatchPolicy", p.Scheme, p.Cluster)
		}
	}
	for _, c := range cfg.Clients {
		if c.BackchannelCluster != "" && !clusters[c.BackchannelCluster] {
			t.Errorf("client %s: backchannel_cluster %q is not added by the EnvoyPatchPolicy", c.ClientID, c.BackchannelCluster)
		}
	}
}

// applyToEnvoyGatewaysListener applies the listener patch to a listener Envoy Gateway
// generated for a wasm policy (its own test output, internal/xds/translator/testdata/out/
// xds-ir/wasm.listeners.yaml at v1.9.1, its first filter renamed as Envoy Gateway names
// ours), the way Envoy Gateway does (internal/utils/jsonpatch/jsonpathtopointer.go and
// internal/xds/translator/jsonpatch.go): the resource as protojson with proto names, the
// jsonPath located with ohler55/ojg, the member added there, the result decoded and
// validated as a Listener. The filter must then allow StopIteration, and no other change.
func applyToEnvoyGatewaysListener(t *testing.T, what, filterName, jsonPath, member string, value []byte) {
	t.Helper()
	src := filepath.Join(moduleDir(t, "github.com/envoyproxy/gateway"), "internal", "xds", "translator", "testdata", "out", "xds-ir", "wasm.listeners.yaml")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	generated := "envoy.filters.http.wasm/envoyextensionpolicy/default/policy-for-http-route/wasm/0"
	if !bytes.Contains(data, []byte(generated)) {
		t.Fatalf("%s no longer has the filter %s", src, generated)
	}
	data = bytes.Replace(data, []byte(generated), []byte(filterName), 1)
	var listeners []json.RawMessage
	if err := yaml.Unmarshal(data, &listeners); err != nil || len(listeners) == 0 {
		t.Fatalf("%s: %v", src, err)
	}
	var l listenerv3.Listener
	if err := protojson.Unmarshal(listeners[0], &l); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	doc, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(&l)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := oj.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	path, err := jp.ParseString(jsonPath)
	if err != nil {
		t.Fatalf("%s: Envoy Gateway's JSONPath library refuses %q: %v", what, jsonPath, err)
	}
	nodes := path.Get(tree)
	if len(nodes) != 1 {
		t.Fatalf("%s: %q selects %d nodes of Envoy Gateway's listener, want 1", what, jsonPath, len(nodes))
	}
	node, ok := nodes[0].(map[string]any)
	if !ok {
		t.Fatalf("%s: %q selects a %T, want an object", what, jsonPath, nodes[0])
	}
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		t.Fatal(err)
	}
	node[member] = v
	patched, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	var out listenerv3.Listener
	envoyResource(t, what+" applied", patched, &out)
	allowed := 0
	for _, fc := range append([]*listenerv3.FilterChain{out.DefaultFilterChain}, out.FilterChains...) {
		for _, nf := range fc.GetFilters() {
			var hcm hcmv3.HttpConnectionManager
			if nf.GetTypedConfig().UnmarshalTo(&hcm) != nil {
				continue
			}
			for _, hf := range hcm.HttpFilters {
				var w wasmfilterv3.Wasm
				if hf.GetTypedConfig().UnmarshalTo(&w) != nil {
					continue
				}
				if w.GetConfig().GetAllowOnHeadersStopIteration().GetValue() {
					allowed++
					if hf.Name != filterName {
						t.Errorf("%s: set on %s too", what, hf.Name)
					}
				}
			}
		}
	}
	if allowed != 1 {
		t.Errorf("%s: allow_on_headers_stop_iteration is true on %d filters, want 1 (%s)", what, allowed, filterName)
	}
}
