package e2e

import (
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim/envoyconfig"
)

// TestEnvoyYAMLIsProductionShaped: the shipped envoy.yaml turns on what issues 11 and 12 ask
// for, every setting of it is simulated by hostsim serve (no start-up warning), and its access
// log leaves query strings out.
func TestEnvoyYAMLIsProductionShaped(t *testing.T) {
	cfg, err := envoyconfig.LoadFile("../envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cfg.NotSimulated() {
		t.Errorf("not simulated by hostsim serve: %v", e)
	}
	l := cfg.Listeners[0]
	h := l.HCM
	if !h.NormalizePath || !h.MergeSlashes || h.EscapedSlashes != envoyconfig.EscapedSlashesReject {
		t.Errorf("path options %+v, want normalize_path, merge_slashes, REJECT_REQUEST", h)
	}
	if !h.UseRemoteAddress || h.HeadersWithUnderscores != "REJECT_REQUEST" || h.RequestTimeout == 0 || h.StreamIdleTimeout == 0 {
		t.Errorf("edge options %+v", h)
	}
	if !strings.Contains(l.AccessLogFormat, "%REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH)%") || strings.Contains(l.AccessLogFormat, "%REQ(:PATH)%") {
		t.Errorf("access log format %q prints queries", l.AccessLogFormat)
	}
	// One public route switches the wasm filter off, by the filter's name in the chain.
	var wasmName string
	for _, f := range l.HTTPFilters {
		if f.Wasm != nil {
			wasmName = f.Name
		}
	}
	disabled := 0
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.FilterDisabled[wasmName] {
				disabled++
				if !containsAll(r.RequestHeadersToRemove, "cookie", "x-exeunt-sub", "x-exeunt-assertion") {
					t.Errorf("route %+v skips the filter but keeps cookies or identity headers", r.Match)
				}
			}
		}
	}
	if disabled != 1 {
		t.Errorf("%d routes switch the wasm filter %q off, want 1", disabled, wasmName)
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, v := range list {
			found = found || strings.EqualFold(v, w)
		}
		if !found {
			return false
		}
	}
	return true
}
