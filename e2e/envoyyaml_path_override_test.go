package e2e

import (
	"testing"

	"github.com/exeunt/exeunt/core"
	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TestEnvoyYAMLFilterFreeRoutesDropPathOverrides: a route of the shipped envoy.yaml that
// switches the filter off and reaches an app (/favicon.ico, to App One) must remove
// X-Original-URL and X-Rewrite-URL itself, as it removes the identity headers: the
// filter strips them from every request it sees because some app frameworks read them as
// the request's path (core.PathOverrideHeaderNames), and on such a route nothing calls
// the filter. Without it, "GET /favicon.ico" with "X-Original-URL: /app1/admin" reaches
// App One signed out and names its admin page.
func TestEnvoyYAMLFilterFreeRoutesDropPathOverrides(t *testing.T) {
	cfg, err := envoyconfig.LoadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	override := core.PathOverrideHeaderNames()
	if len(override) == 0 {
		t.Fatal("core names no path override headers")
	}
	checked := 0
	for _, l := range cfg.Listeners {
		var wasmName string
		for _, f := range l.HTTPFilters {
			if f.Wasm != nil {
				wasmName = f.Name
			}
		}
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				if !r.FilterDisabled[wasmName] || r.Redirect != nil || r.DirectResponse != nil {
					continue // the filter runs, or no app sees the request
				}
				checked++
				removed := append(append(append([]string{}, l.RouteHeadersToRemove...), vh.RequestHeadersToRemove...), r.RequestHeadersToRemove...)
				if !containsAll(removed, override...) {
					t.Errorf("route %+v skips the filter and reaches an app, but keeps %q (removes %q)", r.Match, override, removed)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no route of envoy.yaml switches the filter off and reaches an app: the test checks nothing")
	}
}
