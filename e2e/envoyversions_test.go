package e2e

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/exeunt/exeunt/hostsim"
)

// The real module in the Wasm host of each Envoy release hostsim models
// (hostsim.Profiles): where that Envoy provides every function the module
// imports, it loads and a user signs in and out; where it does not, hostsim
// refuses it as that Envoy would, naming what is missing. The import check
// only compares the module's imports with the profile's list, so a build
// that drops imports (issue 15) is tested further on the older profile at
// once.
func TestTheFilterInEachEnvoyProfile(t *testing.T) {
	bin := wasmFile(t, "exeunt.wasm")
	m, err := hostsim.Inspect(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range hostsim.Profiles() {
		t.Run("Envoy "+p.Envoy, func(t *testing.T) {
			missing := p.MissingImports(m.ABI, m.Imports)
			if p.Envoy == hostsim.DefaultEnvoy && len(missing) > 0 {
				t.Fatalf("build/exeunt.wasm does not load in Envoy %s, the minimum the README names: it imports %v", p.Envoy, missing)
			}
			if len(missing) > 0 {
				_, err := hostsim.New(context.Background(), bin, hostsim.Options{Envoy: p.Envoy, PluginConfig: envoyPluginConfig(t)})
				var ie *hostsim.ImportError
				if !errors.As(err, &ie) || !reflect.DeepEqual(ie.Missing, missing) {
					t.Fatalf("Envoy %s: err = %v, want the module refused for %v", p.Envoy, err, missing)
				}
				t.Logf("Envoy %s refuses build/exeunt.wasm: %s", p.Envoy, err)
				return
			}
			e := newEnv(t, envOptions{host: func(o *hostsim.Options) { o.Envoy = p.Envoy }})
			hint, sid := e.signedInApps() // signs in against the real provider
			if hint == "" || sid == "" || !e.signedIn() {
				t.Fatalf("Envoy %s: not signed in", p.Envoy)
			}
			resp := e.get("https://exeunt.test/connect/endsession?" + url.Values{"id_token_hint": {hint}, "client_id": {"app1"}}.Encode())
			if resp.Status >= 400 || e.signedIn() {
				t.Fatalf("Envoy %s: sign-out answered %d, signed in %v", p.Envoy, resp.Status, e.signedIn())
			}
		})
	}
}

// Without allow_on_headers_stop_iteration on the wasm filter, Envoy never
// hands the filter the POST bodies it pauses for (cpp-host turns its
// StopIteration into StopAllIterationAndWatermark): the end session POST,
// the prompt's confirmation and the back-channel endpoint hang until the
// stream times out. The shipped envoy.yaml sets it; every other e2e test
// runs with it, from that file.
func TestPOSTBodiesHangWithoutAllowOnHeadersStopIteration(t *testing.T) {
	if !shippedWasmFilter(t).AllowOnHeadersStopIteration {
		t.Fatal("envoy.yaml must set allow_on_headers_stop_iteration: true on the wasm filter")
	}
	e := newEnv(t, envOptions{host: func(o *hostsim.Options) {
		o.AllowOnHeadersStopIteration = false
		o.StreamTimeout = 300 * time.Millisecond
	}})
	form := []hostsim.Pair{{Name: "content-type", Value: "application/x-www-form-urlencoded"}}
	for _, path := range []string{"/connect/endsession", "/backchannel-oidc"} {
		_, err := e.host.Do(context.Background(), &hostsim.Request{Method: "POST", Scheme: "https", Authority: "exeunt.test",
			Path: path, Header: form, Body: []byte("client_id=app1")}, e.apps)
		if !errors.Is(err, hostsim.ErrStreamTimeout) || !strings.Contains(err.Error(), "allow_on_headers_stop_iteration") {
			t.Errorf("POST %s without the setting: %v, want the stream to hang until its timeout", path, err)
		}
	}
}
