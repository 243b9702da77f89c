package core

import (
	"math/rand"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"testing/quick"
)

// ConfigFields sees every field the parser reads, present in the probe or not (an absent
// object is read as {}), with what its getter knows.
func TestConfigFieldsRecordsTheParsersReads(t *testing.T) {
	probe := `{
		"issuer": "https://app1.example.test",
		"providers": [{"scheme": "oidc", "issuer": "https://idp.example.test", "client_id": "exeunt", "cluster": "idp"}],
		"clients": [{"client_id": "app1", "hosts": ["app1.example.test"]}],
		"keys": {"dev_generate": true}
	}`
	fields, err := ConfigFields([]byte(probe))
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]ConfigField{}
	for _, f := range fields {
		if _, dup := byPath[f.Path]; dup {
			t.Errorf("%s recorded twice", f.Path)
		}
		byPath[f.Path] = f
	}
	want := map[string]func(ConfigField) bool{
		"issuer":                          func(f ConfigField) bool { return f.Type == "string" && !f.Required },
		"providers":                       func(f ConfigField) bool { return f.Type == "array" && f.Items == "object" },
		"providers[].scheme":              func(f ConfigField) bool { return f.Type == "string" && f.Required },
		"providers[].id_token_algorithms": func(f ConfigField) bool { return f.Items == "string" && slices.Contains(f.ItemEnum, "EdDSA") },
		"clients[].hosts":                 func(f ConfigField) bool { return f.Type == "array" && f.Items == "string" },
		"cookie.same_site":                func(f ConfigField) bool { return f.Type == "string" }, // cookie is absent from the probe
		"cookie.secure":                   func(f ConfigField) bool { return f.Type == "boolean" },
		"session.idle_timeout": func(f ConfigField) bool {
			return f.Duration && f.Default == "1h" && f.DurationMax == maxAbsoluteLifetime
		},
		"logout.max_url_length": func(f ConfigField) bool {
			return f.Type == "integer" && *f.Minimum == minMaxURLLength && f.Default == DefaultMaxURLLength
		},
		"logout.prompt":     func(f ConfigField) bool { return slices.Equal(f.Enum, []string{LogoutPromptAuto, LogoutPromptAlways}) },
		"keys.dev_generate": func(f ConfigField) bool { return f.Type == "boolean" },
		// The schema's enum comes from here: without it an editor accepts "allow".
		"unowned_requests": func(f ConfigField) bool {
			return slices.Equal(f.Enum, []string{"refuse", "sign_in"}) && f.Default == "refuse"
		},
	}
	for path, ok := range want {
		f, found := byPath[path]
		if !found {
			t.Errorf("%s not recorded", path)
		} else if !ok(f) {
			t.Errorf("%s recorded as %+v", path, f)
		}
	}
	// keys.sealing is an empty list in the probe: its elements' fields are not seen.
	if _, found := byPath["keys.sealing[].kid"]; found {
		t.Error("keys.sealing[].kid recorded without a sealing key in the probe")
	}
}

func TestConfigFieldsNeedsAValidProbe(t *testing.T) {
	if _, err := ConfigFields([]byte(`{"issuer": "https://auth.example.test"}`)); err == nil {
		t.Fatal("an invalid probe gave a field table")
	}
}

// anyIndex does what the regular expression `\[[0-9]+\]` replaced by "[]" did before
// it (regexp is kept out of the module): compared with regexp itself.
func TestAnyIndexIsTheRegexpItReplaced(t *testing.T) {
	re := regexp.MustCompile(`\[[0-9]+\]`)
	check := func(path string) {
		if got, want := anyIndex(path), re.ReplaceAllString(path, "[]"); got != want {
			t.Errorf("anyIndex(%q) = %q, want %q", path, got, want)
		}
	}
	for _, p := range []string{"", "health_path", "providers[0].scheme", "clients[12].hosts[3]", "a[]", "a[x]", "a[[0]]",
		"a[0", "a[0][1]", "[7]", "a[01]b[", "]", "a[-1]", "a[٣]", "keys.sealing[0].kid"} {
		check(p)
	}
	if testing.Short() {
		return
	}
	f := func(path string) bool { return anyIndex(path) == re.ReplaceAllString(path, "[]") }
	if err := quick.Check(f, &quick.Config{MaxCount: 2000, Values: func(v []reflect.Value, r *rand.Rand) {
		const alphabet = "ab.[]0129"
		b := make([]byte, r.Intn(16))
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		v[0] = reflect.ValueOf(string(b))
	}}); err != nil {
		t.Error(err)
	}
}
