package core

import (
	"encoding/json"
	"strings"
	"testing"
)

// A client secret is printable ASCII (RFC 6749 Appendix A.2: client-secret = *VSCHAR,
// %x20-7E). One with a line break (read from a file with its trailing newline, as
// `jq -Rs .` does) or any other byte outside that range is a copying mistake that would
// only show at the first sign-in, as the provider's invalid_client: it is refused at
// start, naming the field and the byte, never quoting the secret.
func TestAClientSecretOutsidePrintableASCIIIsRefusedAtStart(t *testing.T) {
	parse := func(secret string) error {
		m := signinConfigMap()
		m["providers"].([]any)[0].(map[string]any)["client_secret"] = secret
		b, _ := json.Marshal(m)
		_, err := ParseConfig(b)
		return err
	}
	for _, ok := range []string{"s3cret", "", " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", "Abc~123.x_Y-z"} {
		if err := parse(ok); err != nil {
			t.Errorf("client_secret %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"hunter2secret\n", "hunter2\tsecret", "hunter2secret\x7f", "hunter2sécret", "\r\nhunter2secret"} {
		err := parse(bad)
		if err == nil {
			t.Errorf("client_secret %q accepted", bad)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `field "providers[0].client_secret"`) || !strings.Contains(msg, "0x") || strings.Contains(msg, "hunter2") {
			t.Errorf("client_secret %q: the message must name the field and the byte, never quote the secret: %s", bad, msg)
		}
	}
}
