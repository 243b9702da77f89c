package main

import (
	"strings"
	"testing"
)

// Exeunt's wasm filter failing open lets every request through when its VM fails, and
// without allow_on_headers_stop_iteration the flows that read a body hang (docs/install.md):
// exeunt-check passed both ("ok").
func TestAWasmFilterThatFailsOpenOrCannotReadBodiesIsAProblem(t *testing.T) {
	const where = "http_filters[0](envoy.filters.http.wasm).typed_config.config."
	yaml := repoFile(t, "envoy.yaml")
	if !strings.Contains(yaml, "fail_open: false") || !strings.Contains(yaml, "allow_on_headers_stop_iteration: true") {
		t.Fatal("envoy.yaml no longer sets fail_open: false and allow_on_headers_stop_iteration: true: update the test")
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"fail_open", "fail_open: false", "fail_open: true", where + "fail_open: must be false for Exeunt"},
		{"failure_policy", "fail_open: false", "failure_policy: FAIL_OPEN", where + "fail_open: must be false for Exeunt"},
		{"no allow_on_headers_stop_iteration", "allow_on_headers_stop_iteration: true", "", where + "allow_on_headers_stop_iteration: must be true for Exeunt"},
		{"allow_on_headers_stop_iteration false", "allow_on_headers_stop_iteration: true", "allow_on_headers_stop_iteration: false", where + "allow_on_headers_stop_iteration: must be true for Exeunt"},
	} {
		code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", strings.Replace(yaml, c.from, c.to, 1)))
		if code != 1 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
		}
	}
	// failure_policy wins over fail_open, as in Envoy.
	closed := strings.Replace(yaml, "fail_open: false", "fail_open: true\n                failure_policy: FAIL_CLOSED", 1)
	if code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", closed)); code != 0 {
		t.Errorf("fail_open with failure_policy FAIL_CLOSED: exit %d, output:\n%s", code, out)
	}
}

func TestKubernetesFilterSettingsThatFailOpenOrCannotReadBodiesAreProblems(t *testing.T) {
	ef := repoFile(t, "examples/istio/envoyfilter.yaml")
	wp := repoFile(t, "examples/istio/wasmplugin.yaml")
	eep := repoFile(t, "examples/envoy-gateway/envoyextensionpolicy.yaml")
	for _, c := range []struct{ name, doc, from, to, want string }{
		{"EnvoyFilter fail_open", ef, "fail_open: false", "fail_open: true",
			"EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config.fail_open: must be false"},
		{"EnvoyFilter failurePolicy", ef, "fail_open: false", "failurePolicy: FAIL_OPEN",
			"EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config.fail_open: must be false"},
		{"EnvoyFilter without allow_on_headers_stop_iteration", ef, "allow_on_headers_stop_iteration: true", "",
			"EnvoyFilter istio-ingress/exeunt spec.configPatches[1].patch.value.typed_config.config.allow_on_headers_stop_iteration: must be true"},
		{"WasmPlugin FAIL_OPEN", wp, "failStrategy: FAIL_CLOSE", "failStrategy: FAIL_OPEN",
			"WasmPlugin istio-ingress/exeunt spec.failStrategy: must not be FAIL_OPEN"},
		{"EnvoyExtensionPolicy failOpen", eep, "failOpen: false", "failOpen: true",
			"EnvoyExtensionPolicy default/exeunt spec.wasm[0].failOpen: must be false"},
	} {
		if !strings.Contains(c.doc, c.from) {
			t.Fatalf("%s: the example no longer has %q: update the test", c.name, c.from)
		}
		code, out := runCheck(t, "", writeTemp(t, "k.yaml", strings.Replace(c.doc, c.from, c.to, 1)))
		if code != 1 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
		}
	}
}

// The filter answers under any root_id; exeunt-check looks for "exeunt". A bootstrap whose
// filter has another one was told only that none has "exeunt", not which it found.
func TestAWasmFilterWithAnotherRootIDIsNamed(t *testing.T) {
	yaml := strings.Replace(repoFile(t, "envoy.yaml"), "root_id: exeunt", "root_id: auth", 1)
	code, out := runCheck(t, "", writeTemp(t, "envoy.yaml", yaml))
	if code != 1 || !strings.Contains(out, `http_filters[0](envoy.filters.http.wasm) with root_id "auth"`) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// Exeunt's configuration one level too deep (vm_config.configuration) leaves the plugin's
// empty: the filter refuses to start so (it passed everything through before), and
// exeunt-check said "ok".
func TestAConfigurationInTheVMConfigurationIsAProblem(t *testing.T) {
	yaml := repoFile(t, "envoy.yaml")
	const open = "                configuration:\n                  \"@type\": type.googleapis.com/google.protobuf.StringValue\n"
	i, j := strings.Index(yaml, open), strings.Index(yaml, "                # Fail closed")
	k := strings.Index(yaml, "                vm_config:\n")
	if i < 0 || j < i || k < 0 || k > i {
		t.Fatal("envoy.yaml's plugin configuration not found: update the test")
	}
	var moved strings.Builder
	for _, line := range strings.SplitAfter(yaml[i:j], "\n") {
		if strings.TrimSpace(line) != "" {
			moved.WriteString("  " + line)
		}
	}
	at := k + len("                vm_config:\n")
	out := yaml[:at] + moved.String() + yaml[at:i] + yaml[j:]
	code, got := runCheck(t, "", writeTemp(t, "envoy.yaml", out))
	if code != 1 || !strings.Contains(got, "typed_config.config.vm_config.configuration: Exeunt does not read the VM's configuration") {
		t.Fatalf("exit %d, output:\n%s", code, got)
	}
}

// A configuration without issuer, providers and clients is valid and lets every request
// through; exeunt-check's "ok" did not say so, so an Istio WasmPlugin that lost its
// pluginConfig passed CI as if it signed users in.
func TestPassThroughModeIsNamedInTheVerdict(t *testing.T) {
	doc := "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: exeunt, namespace: istio-system}\nspec:\n  url: oci://registry.example.test/exeunt:v1\n"
	code, out := runCheck(t, "", writeTemp(t, "wasmplugin.yaml", doc))
	if code != 0 || !strings.Contains(out, "ok (1 plugin configuration, in pass-through mode: it signs nobody in)") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if code, out := runCheck(t, "", "../../envoy.yaml"); code != 0 || strings.Contains(out, "pass-through") {
		t.Fatalf("envoy.yaml signs users in: exit %d, output:\n%s", code, out)
	}
}

// A placeholder plugin configuration ({}) with Exeunt's under vm_config.configuration is
// pass-through mode beside a VM configuration too: the filter refuses to start, and
// exeunt-check says why.
func TestAPlaceholderBesideTheVMConfigurationIsAProblem(t *testing.T) {
	yaml := repoFile(t, "envoy.yaml")
	const open = "                configuration:\n                  \"@type\": type.googleapis.com/google.protobuf.StringValue\n"
	i, j := strings.Index(yaml, open), strings.Index(yaml, "                # Fail closed")
	k := strings.Index(yaml, "                vm_config:\n")
	if i < 0 || j < i || k < 0 || k > i {
		t.Fatal("envoy.yaml's plugin configuration not found: update the test")
	}
	var moved strings.Builder
	for _, line := range strings.SplitAfter(yaml[i:j], "\n") {
		if strings.TrimSpace(line) != "" {
			moved.WriteString("  " + line)
		}
	}
	at := k + len("                vm_config:\n")
	out := yaml[:at] + moved.String() + yaml[at:i] + open + "                  value: \"{}\"\n" + yaml[j:]
	code, got := runCheck(t, "", writeTemp(t, "envoy.yaml", out))
	if code != 1 || !strings.Contains(got, "vm_config.configuration: Exeunt does not read the VM's configuration") {
		t.Fatalf("exit %d, output:\n%s", code, got)
	}
}
