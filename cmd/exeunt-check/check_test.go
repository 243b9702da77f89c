package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/demo"
)

func runCheck(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String() + errOut.String()
}

// writeTemp writes a variant of a repository file.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTheShippedFilesPass(t *testing.T) {
	files := []string{"../../envoy.yaml"}
	for _, dir := range []string{"../../examples/istio", "../../examples/envoy-gateway"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range m {
			if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("kind: WasmPlugin")) || bytes.Contains(b, []byte("kind: EnvoyExtensionPolicy")) ||
				bytes.Contains(b, []byte("kind: EnvoyFilter")) {
				files = append(files, f)
			}
		}
	}
	if len(files) < 4 {
		t.Fatalf("found %v; want envoy.yaml and the Istio (WasmPlugin, EnvoyFilter) and Envoy Gateway examples", files)
	}
	for _, f := range files {
		if code, out := runCheck(t, "", f); code != 0 || !strings.Contains(out, ": ok (") {
			t.Errorf("%s: exit %d, %s", f, code, out)
		}
	}
}

func TestAMistakeInEnvoyYAMLIsNamedByField(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), `"client_id": "app2",`, `"client_id": "app2", "nme": "x",`, 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, `field "clients[1].nme": unknown field`) || !strings.Contains(out, "http_filters[0](envoy.filters.http.wasm)") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestAClusterEnvoyDoesNotHaveIsAProblem(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), `"backchannel_cluster": "app1"`, `"backchannel_cluster": "app1_backchannel"`, 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, `field "clients[0].backchannel_cluster": no cluster named "app1_backchannel"`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestEnvoyYAMLIsReadAsEnvoyReadsIt(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), "connect_timeout: 2s", "connect_timeout: 2s\n    conect_timeout: 2s", 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, "conect_timeout") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestBareJSONFromStdinAndFiles(t *testing.T) {
	if code, out := runCheck(t, `{"health_path": "/healthz"}`, "-"); code != 0 || out != "-: ok (1 plugin configuration, in pass-through mode: it signs nobody in)\n" {
		t.Errorf("good JSON: exit %d, %q", code, out)
	}
	code, out := runCheck(t, `{"issuer": "https://auth.example.test", "cookie": {"same_site": "sometimes"}}`, "-")
	if code != 1 || !strings.Contains(out, `field "cookie.same_site"`) {
		t.Errorf("bad JSON: exit %d, %q", code, out)
	}
	good := writeTemp(t, "good.json", `{}`)
	bad := writeTemp(t, "bad.json", `{"health_path": "healthz"}`)
	code, out = runCheck(t, "", good, bad)
	if code != 1 || !strings.Contains(out, "good.json: ok") || !strings.Contains(out, `bad.json: exeunt configuration: field "health_path"`) {
		t.Errorf("two files: exit %d, %q", code, out)
	}
}

// A JSON document that is not an object (a list, a string, null) is a configuration the
// filter refuses with its own message ("must be a JSON object"), not YAML that found
// nothing, nor a Go type name (it said "cannot unmarshal array into Go value of type
// configschema.kubeObject" and "no plugin configuration found").
func TestJSONThatIsNotAnObjectGetsTheFiltersMessage(t *testing.T) {
	for _, doc := range []string{`[1, 2]`, `"exeunt"`, `null`, ` 12 `} {
		code, out := runCheck(t, doc, "-")
		if code != 1 || !strings.Contains(out, "-: exeunt configuration: must be a JSON object") {
			t.Errorf("%s: exit %d, %q", doc, code, out)
		}
	}
}

// A configuration saved with a UTF-8 byte order mark gets the filter's own message, which
// names it (it was "no plugin configuration found"; the filter said "invalid character
// 'ï'"); a bootstrap's plugin configuration that starts with one is refused the same way.
func TestAByteOrderMarkIsNamed(t *testing.T) {
	for _, doc := range []string{"\xef\xbb\xbf{\"health_path\": \"/h\"}\n", "\xef\xbb\xbf\n[1]"} {
		code, out := runCheck(t, doc, "-")
		if code != 1 || !strings.Contains(out, "-: exeunt configuration: starts with a UTF-8 byte order mark") {
			t.Errorf("%q: exit %d, %q", doc, code, out)
		}
	}
	yaml := repoFile(t, "envoy.yaml")
	i := strings.Index(yaml, `"issuer": "http://localhost:10000"`)
	j := strings.LastIndex(yaml[:i], "{")
	if i < 0 || j < 0 {
		t.Fatal("envoy.yaml's plugin configuration not found: update the test")
	}
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml[:j]+"\ufeff"+yaml[j:]))
	if code != 1 || !strings.Contains(out, "exeunt configuration: starts with a UTF-8 byte order mark") {
		t.Errorf("a BOM at the start of envoy.yaml's plugin configuration: exit %d, %q", code, out)
	}
}

func TestKubernetesYAML(t *testing.T) {
	doc := `apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: exeunt, namespace: istio-system}
spec:
  pluginConfig:
    health_path: /healthz
    identity_headers: {sub: "x user"}
`
	code, out := runCheck(t, "", writeTemp(t, "wasmplugin.yaml", doc))
	if code != 1 || !strings.Contains(out, `WasmPlugin istio-system/exeunt spec.pluginConfig: exeunt configuration: field "identity_headers.sub"`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	doc = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: {name: exeunt, namespace: default}
spec:
  wasm:
  - config: {health_path: /healthz}
  - config: {healthpath: /healthz}
`
	code, out = runCheck(t, "", writeTemp(t, "eep.yaml", doc))
	if code != 1 || !strings.Contains(out, `spec.wasm[1].config: exeunt configuration: field "healthpath": unknown field`) || strings.Contains(out, "wasm[0]") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestNothingToCheckIsAProblem(t *testing.T) {
	code, out := runCheck(t, "", writeTemp(t, "other.yaml", "apiVersion: v1\nkind: ConfigMap\n"))
	if code != 1 || !strings.Contains(out, "no plugin configuration found") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if code, _ := runCheck(t, ""); code != 2 {
		t.Fatalf("no arguments: exit %d, want 2", code)
	}
	if code, out := runCheck(t, "", "/nonexistent/envoy.yaml"); code != 1 || !strings.Contains(out, "no such file") {
		t.Fatalf("missing file: exit %d, %s", code, out)
	}
}

func TestAnEtcdClusterEnvoyDoesNotHaveIsAProblem(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), `"issuer": "http://localhost:10000",`,
		`"issuer": "http://localhost:10000", "store": {"backend": "etcd", "etcd": {"cluster": "etcd_gateway"}},`, 1)
	// A fleet's replicas share configured keys (generated ones are refused with etcd).
	keys, err := demo.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keysJSON, _ := json.Marshal(keys.Object())
	yaml = strings.Replace(yaml, `"keys": { "dev_generate": true }`, `"keys": `+string(keysJSON), 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, `field "store.etcd.cluster": no cluster named "etcd_gateway"`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// A logout landing page that is the app's entry page would serve that page to anyone
// signed out (core/config_landing.go): exeunt-check says so before Envoy is started.
func TestALandingPageOnTheEntryPageIsNamed(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), `"post_logout_redirect_uris": ["http://localhost:10000/public/app1/signed-out"]`,
		`"post_logout_redirect_uris": ["http://localhost:10000/public/app1/signed-out", "http://localhost:10000/app1/"]`, 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, `field "clients[0].post_logout_redirect_uris[1]": "http://localhost:10000/app1/" is the entry page of client "app1"`) ||
		!strings.Contains(out, `such as "http://localhost:10000/app1/signed-out"`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// A CI job runs exeunt-check over every manifest: among several files, one that holds no
// plugin configuration (Envoy Gateway's EnvoyPatchPolicy patches the filter's Envoy
// settings, a ConfigMap is someone else's) is reported as skipped and fails nothing, as
// long as a configuration was checked; it exited 1 ("no plugin configuration found").
// Alone, such a file is still a problem, named precisely; and so is a set of files none
// of which holds a configuration: a job pointed at the wrong files must not pass.
func TestAFileWithoutConfigurationIsSkippedAmongOthers(t *testing.T) {
	patch, policy := "../../examples/envoy-gateway/envoypatchpolicy.yaml", "../../examples/envoy-gateway/envoyextensionpolicy.yaml"
	other := writeTemp(t, "configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated, namespace: default}\n")
	code, out := runCheck(t, "", patch, policy, other)
	if code != 0 || !strings.Contains(out, patch+": skipped: no plugin configuration found (the file holds EnvoyPatchPolicy default/exeunt)") ||
		!strings.Contains(out, policy+": ok (1 plugin configuration)") || !strings.Contains(out, other+": skipped: ") {
		t.Errorf("a patch policy, a ConfigMap and an extension policy: exit %d, output:\n%s", code, out)
	}
	// A skipped file does not hide a problem elsewhere.
	bad := writeTemp(t, "bad.json", `{"health_path": "healthz"}`)
	if code, out := runCheck(t, "", patch, bad); code != 1 || !strings.Contains(out, patch+": skipped") || !strings.Contains(out, `bad.json: exeunt configuration: field "health_path"`) {
		t.Errorf("a patch policy and a bad configuration: exit %d, output:\n%s", code, out)
	}
	if code, out := runCheck(t, "", patch, other); code != 1 || !strings.Contains(out, "no plugin configuration in any of the 2 files given") {
		t.Errorf("no configuration in any file: exit %d, output:\n%s", code, out)
	}
	if code, out := runCheck(t, "", patch); code != 1 || !strings.Contains(out, patch+": no plugin configuration found (the file holds EnvoyPatchPolicy default/exeunt): expected") {
		t.Errorf("the patch policy alone: exit %d, output:\n%s", code, out)
	}
}
