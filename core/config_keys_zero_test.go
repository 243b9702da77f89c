package core

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// A sealing secret of 32 zero bytes (a placeholder left in, "AAAA...") passed ParseConfig,
// so exeunt-check said "ok", and then failed the filter's start in NewEngine with a line
// that named no field ("exeunt keys: ... is all zeros"). ParseConfig refuses it, naming the
// field, as it does every other key mistake.
func TestAnAllZeroSealingSecretIsRefusedByTheParser(t *testing.T) {
	m := signinConfigMap()
	m["keys"].(map[string]any)["sealing"] = []any{map[string]any{"kid": "s1", "secret": base64.StdEncoding.EncodeToString(make([]byte, 32))}}
	b, _ := json.Marshal(m)
	_, err := ParseConfig(b)
	if err == nil || !strings.HasPrefix(err.Error(), `exeunt configuration: field "keys.sealing[0].secret": `) || !strings.Contains(err.Error(), "openssl rand") {
		t.Fatalf("an all-zero sealing secret: %v", err)
	}
}
