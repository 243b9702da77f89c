package e2e

import (
	"strings"
	"testing"

	"github.com/exeunt/exeunt/hostsim"
)

// keys.dev_generate makes each Envoy generate its own keys at start: a restart signs
// everyone out, and two Envoys behind one load balancer refuse each other's cookies. It is
// for development only (docs/configuration.md), and the shipped envoy.yaml uses it; a
// production configuration that kept it must be visible in the log at start, as
// pass-through mode is, and a configuration with its own keys must not be told so.
func TestGeneratedKeysAreAWarningAtStart(t *testing.T) {
	warned := func(h *hostsim.Host) bool {
		for _, e := range h.Logs() {
			if e.Level == hostsim.LogWarn && strings.Contains(e.Message, "keys.dev_generate") &&
				strings.Contains(e.Message, "keys.sealing") && strings.Contains(e.Message, "keys.signing") {
				return true
			}
		}
		return false
	}
	cfg := string(envoyPluginConfig(t))
	if !strings.Contains(cfg, `"dev_generate": true`) {
		t.Fatal(`envoy.yaml's configuration no longer sets "keys": {"dev_generate": true}: update the test`)
	}
	h := startHost(t, "exeunt.wasm", hostsim.Options{PluginConfig: []byte(cfg)})
	if !warned(h) {
		t.Fatalf("generated keys without a warning at start: %+v", h.Logs())
	}
	h.Close()

	// The complete example of docs/configuration.md has keys of its own.
	h = startHost(t, "exeunt.wasm", hostsim.Options{PluginConfig: []byte(`{
		"issuer": "https://auth.example.test",
		"providers": [{"scheme": "oidc", "issuer": "https://idp.example.test", "client_id": "exeunt", "cluster": "idp"}],
		"clients": [{"client_id": "app1", "hosts": ["auth.example.test"], "path_prefixes": ["/app1/"]}],
		"keys": {"sealing": [{"kid": "s1", "secret": "YJewThrSgKEWzRFkYuaoSyDrdILSPCJNlPtjupUFO9Y"}],
		         "signing": [{"kid": "k1", "private_key_pem": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEII/Y/JN+O87x2b2iauHt+mHQvA+c4mC/akRswZ1YhbbioAoGCCqGSM49\nAwEHoUQDQgAEOo7Y+hxXPCNdUXZrfVhKr79LAaI3DlgFxhSiCsMLVnWZL7viaUQ4\n0IqDz2rkTFtOVwmRSLbXUuzU73gktzmRFw==\n-----END EC PRIVATE KEY-----\n"}]}
	}`)})
	if warned(h) {
		t.Fatalf("configured keys were warned about: %+v", h.Logs())
	}
}
