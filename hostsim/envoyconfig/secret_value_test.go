package envoyconfig

import (
	"errors"
	"strings"
	"testing"
)

// A plugin configuration typed google.protobuf.BytesValue but written as text (a bytes
// field is base64 in JSON and YAML) failed with protojson's message, which quoted the whole
// value: every secret in the configuration ended up in the error, and so in CI logs
// (exeunt-check prints it). A short value is still quoted, as it helps and holds little.
func TestAValueThatDoesNotParseIsNotQuotedWhenLong(t *testing.T) {
	const secret = "client-secret-that-must-not-be-logged"
	yaml := edit(t, "google.protobuf.StringValue", "google.protobuf.BytesValue")
	yaml = editIn(t, yaml, `value: '{"health_path": "/healthz"}'`,
		`value: '{"health_path": "/healthz", "providers": [{"client_secret": "`+secret+`"}]}'`)
	_, err := Load([]byte(yaml))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Load: %v, want an *Error", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error quotes the configuration's secret: %v", err)
	}
	if e.Path != pWasm+".config.configuration" || !strings.Contains(e.Msg, "invalid value for bytes field value") ||
		!strings.Contains(e.Msg, "base64") {
		t.Errorf("error %q: %q; want the field, what is wrong, and that a bytes field takes base64", e.Path, e.Msg)
	}

	_, err = Load([]byte(edit(t, "port_value: 10000", "port_value: eighty")))
	if err == nil || !strings.Contains(err.Error(), `invalid value for uint32 field portValue: "eighty"`) {
		t.Errorf("a short value is no longer quoted: %v", err)
	}
}
