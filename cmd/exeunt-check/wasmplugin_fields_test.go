package main

import (
	"strings"
	"testing"
)

// An Istio WasmPlugin's fields under their protobuf names (plugin_config, fail_strategy):
// Istio's CRD knows only pluginConfig and failStrategy, so Kubernetes refuses or drops
// them. exeunt-check read only pluginConfig, so a plugin_config was not checked at all and
// the file passed "in pass-through mode", the mode the filter would then start in.
func TestAWasmPluginFieldUnderItsProtobufNameIsReadAndRefused(t *testing.T) {
	wp := repoFile(t, "examples/istio/wasmplugin.yaml")
	const where = "WasmPlugin istio-ingress/exeunt spec."
	for _, c := range []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"plugin_config", func(s string) string { return edit(t, s, "  pluginConfig:\n", "  plugin_config:\n") }, []string{
			where + "plugin_config: Istio's WasmPlugin CRD has no field plugin_config, only pluginConfig",
			"in pass-through mode", "rename it pluginConfig"}},
		{"plugin_config is checked as the configuration", func(s string) string {
			return edit(t, edit(t, s, "  pluginConfig:\n", "  plugin_config:\n"), "    issuer: https://auth.example.test\n", "    issuer: https://auth.example.test\n    healthpath: /h\n")
		}, []string{where + `plugin_config: exeunt configuration: field "healthpath": unknown field`, "rename it pluginConfig"}},
		{"both spellings", func(s string) string {
			return edit(t, s, "  pluginConfig:\n", "  plugin_config: {}\n  pluginConfig:\n")
		}, []string{where[:len(where)-1] + ": both pluginConfig and plugin_config are given"}},
		{"fail_strategy: FAIL_OPEN", func(s string) string { return edit(t, s, "failStrategy: FAIL_CLOSE", "fail_strategy: FAIL_OPEN") }, []string{
			where + "fail_strategy: Istio's WasmPlugin CRD has no field fail_strategy, only failStrategy",
			where + "fail_strategy: must not be FAIL_OPEN for Exeunt"}},
	} {
		code, out := runCheck(t, "", writeTemp(t, "wasmplugin.yaml", c.edit(wp)))
		if code != 1 || strings.Contains(out, ": ok (") {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
	}
}
