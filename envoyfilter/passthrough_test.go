package envoyfilter

import (
	"os"
	"testing"
)

// A plugin configuration that turns no sign-in on is pass-through mode whether it is
// empty or an object without issuer, providers and clients: beside a VM configuration
// both refuse plugin start (the e2e TestAConfigurationInTheVMConfigurationFailsPluginStart
// runs it through the built module). A configuration with sign-in, or one that does not
// parse (its own error is reported), is not.
func TestPassThroughIsAnyConfigurationWithoutSignIn(t *testing.T) {
	full, err := os.ReadFile("../core/testdata/example-config.json")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]bool{
		"": true, " \n": true, "{}": true, `{"health_path": "/healthz"}`: true,
		string(full): false, `{"issuer": 1}`: false, "{": false,
	} {
		if got := passThrough([]byte(in)); got != want {
			t.Errorf("passThrough(%.60q) = %v, want %v", in, got, want)
		}
	}
}
