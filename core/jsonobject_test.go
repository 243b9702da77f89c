package core

import (
	"strings"
	"testing"
)

// TestNestedJSON checks that the strict reader is as strict inside objects and lists as
// at the top, and names the field by its full path.
func TestNestedJSON(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "repeated nested field", raw: `{"cookie": {"name": "a", "name": "b"}}`,
			err: `exeunt configuration: field "cookie.name": appears more than once; keep only one`},
		{name: "repeated field in a list element", raw: `{"issuer": "https://a.test", "providers": [{"scheme": "a", "issuer": "https://i.test", "client_id": "c", "cluster": "c"}, {"scheme": "b", "scheme": "b"}]}`,
			err: `exeunt configuration: field "providers[1].scheme": appears more than once; keep only one`},
		{name: "null object", raw: `{"session": null}`,
			err: `exeunt configuration: field "session": must be a JSON object ({...}), not null`},
		{name: "null list", raw: `{"providers": null}`,
			err: `exeunt configuration: field "providers": must be a list ([...]), not null`},
		{name: "null element", raw: `{"providers": [null]}`,
			err: `exeunt configuration: field "providers[0]": must be a JSON object ({...}), not null`},
		{name: "required fields come first", raw: `{"clients": [{"hosts": ["a.test", 1]}]}`,
			err: `exeunt configuration: field "clients[0].client_id": is required; set the id apps use for themselves, such as "app1"`},
		{name: "string list element of the wrong type", raw: `{"clients": [{"client_id": "a", "hosts": ["a.test", {}]}]}`,
			err: `exeunt configuration: field "clients[0].hosts[1]": must be a string, not an object`},
		{name: "boolean as string", raw: `{"api": {"accept_json": "false"}}`,
			err: `exeunt configuration: field "api.accept_json": must be true or false, not a string`},
		{name: "boolean as null", raw: `{"cookie": {"secure": null}}`,
			err: `exeunt configuration: field "cookie.secure": must be true or false, not null`},
		{name: "invalid UTF-16 escape kept", raw: `{"health_path": "/\ud800"}`,
			err: `exeunt configuration: field "health_path": must contain only visible ASCII characters; percent-encode anything else (byte 0xef at offset 1)`},
	})
}

// A configuration saved as "UTF-8 with BOM" is refused with a message that names the
// byte order mark (encoding/json said only "invalid character 'ï' looking for beginning
// of value"); so is one whose BOM follows blank lines, or that is nothing but one.
func TestByteOrderMarkIsNamed(t *testing.T) {
	want := "exeunt configuration: " + bomProblem
	for _, raw := range []string{"\xef\xbb\xbf{\"health_path\": \"/h\"}", "\n \xef\xbb\xbf{}", "\xef\xbb\xbf", "\xef\xbb\xbf[1]"} {
		_, err := ParseConfig([]byte(raw))
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", raw, err, want)
		}
	}
	if !strings.Contains(bomProblem, "byte order mark") {
		t.Fatal("the message does not name the byte order mark")
	}
	// A BOM inside a string value is the value's business (here: not visible ASCII).
	if _, err := ParseConfig([]byte("{\"health_path\": \"/\xef\xbb\xbf\"}")); err == nil || strings.Contains(err.Error(), "byte order mark") {
		t.Errorf("a BOM inside a value: %v", err)
	}
}
