package configschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/exeunt/exeunt/core"
)

func readRepoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publishedSchema compiles docs/exeunt-config.schema.json with a real validator.
func publishedSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readRepoFile(t, SchemaFile)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	// Editors evaluate patterns as ECMA-262 regular expressions (JSON Schema says so), not
	// as Go's: so do these tests.
	c.UseRegexpEngine(ecmaRegexp)
	if err := c.AddResource("exeunt-config.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("exeunt-config.schema.json")
	if err != nil {
		t.Fatalf("the published schema does not compile: %v", err)
	}
	return s
}

type ecma struct{ re *regexp2.Regexp }

func (e ecma) MatchString(s string) bool {
	ok, err := e.re.MatchString(s)
	return ok && err == nil
}

func (e ecma) String() string { return e.re.String() }

func ecmaRegexp(p string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(p, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return ecma{re}, nil
}

func schemaErr(s *jsonschema.Schema, cfg []byte) error {
	if len(bytes.TrimSpace(cfg)) == 0 {
		cfg = []byte("{}") // the filter reads no configuration as {}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(cfg))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func TestPublishedSchemaIsGenerated(t *testing.T) {
	want, err := Generate(readRepoFile(t, DocsFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := readRepoFile(t, SchemaFile); !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the parser's field table and %s make now: run make schema and commit it", SchemaFile, DocsFile)
	}
}

// mutation is one change to the complete example: the value at path (nil with remove).
type mutation struct {
	path   string // "cookie.same_site", "providers[0].scheme"
	value  any
	remove bool
	why    string
}

func (m mutation) String() string {
	if m.remove {
		return "without " + m.path + " (" + m.why + ")"
	}
	v, _ := json.Marshal(m.value)
	if len(v) > 60 {
		v = append(v[:57], "..."...)
	}
	return fmt.Sprintf("%s = %s (%s)", m.path, v, m.why)
}

var pathStep = regexp.MustCompile(`^([^\[]+)(?:\[([0-9]+)\])?$`)

// apply returns the complete example with m applied.
func (m mutation) apply(t *testing.T, base []byte) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(base, &doc); err != nil {
		t.Fatal(err)
	}
	steps := strings.Split(m.path, ".")
	cur := doc
	for i, step := range steps {
		g := pathStep.FindStringSubmatch(step)
		obj, ok := cur.(map[string]any)
		if g == nil || !ok {
			t.Fatalf("%s: cannot follow %q", m.path, step)
		}
		last := i == len(steps)-1
		if g[2] == "" {
			if last {
				if m.remove {
					delete(obj, g[1])
				} else {
					obj[g[1]] = m.value
				}
				break
			}
			cur = obj[g[1]]
			continue
		}
		list, _ := obj[g[1]].([]any)
		n, _ := strconv.Atoi(g[2])
		if n >= len(list) {
			t.Fatalf("%s: the complete example has no %s", m.path, step)
		}
		if last {
			list[n] = m.value
			break
		}
		cur = list[n]
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wrongType is a value of another JSON type than typ.
func wrongType(typ string) any {
	switch typ {
	case "string":
		return 12
	case "boolean":
		return "true"
	case "integer":
		return "2000"
	case "array":
		return "x"
	}
	return []any{}
}

// TestParserAndSchemaAgree changes docs/configuration.md's complete example one field at
// a time, in every way the field table and rules.go describe, and requires the parser
// (core.ParseConfig, what the filter runs at start) and the published schema to accept
// or refuse each change alike. A default must also parse exactly as the field's absence.
func TestParserAndSchemaAgree(t *testing.T) {
	md := readRepoFile(t, DocsFile)
	tab, err := readTable(md)
	if err != nil {
		t.Fatal(err)
	}
	sch := publishedSchema(t)
	base := tab.docs.complete
	if _, err := core.ParseConfig(base); err != nil {
		t.Fatalf("the complete example: %v", err)
	}
	if err := schemaErr(sch, base); err != nil {
		t.Fatalf("the complete example against the schema: %v", err)
	}
	checked := 0
	for _, f := range tab.fields {
		path := strings.ReplaceAll(f.Path, "[]", "[0]")
		muts := []mutation{
			{path: path, remove: true, why: "absent"},
			{path: path, value: wrongType(f.Type), why: "wrong type"},
		}
		def, hasDefault := tab.fieldDefault(f)
		if hasDefault {
			muts = append(muts, mutation{path: path, value: def, why: "its default"})
		}
		for _, v := range f.Enum {
			muts = append(muts, mutation{path: path, value: v, why: "enum value"})
		}
		if len(f.Enum) > 0 {
			muts = append(muts, mutation{path: path, value: "not-" + f.Enum[0], why: "outside the enum"})
		}
		for _, v := range f.ItemEnum {
			muts = append(muts, mutation{path: path, value: []any{v}, why: "enum item"})
		}
		if len(f.ItemEnum) > 0 {
			muts = append(muts, mutation{path: path, value: []any{"not-" + f.ItemEnum[0]}, why: "item outside the enum"})
		}
		if f.Minimum != nil {
			muts = append(muts, mutation{path: path, value: *f.Minimum, why: "minimum"}, mutation{path: path, value: *f.Minimum - 1, why: "below the minimum"})
		}
		if f.Maximum != nil {
			muts = append(muts, mutation{path: path, value: *f.Maximum, why: "maximum"}, mutation{path: path, value: *f.Maximum + 1, why: "above the maximum"})
		}
		if f.Type == "integer" {
			muts = append(muts, mutation{path: path, value: 1000.5, why: "not whole"})
		}
		if f.Duration {
			for _, v := range []string{"1d", "-5m", "0", "5", "", "1 h"} {
				muts = append(muts, mutation{path: path, value: v, why: "not a positive duration"})
			}
		}
		// What docs/configuration.md's type column makes a pattern (see build).
		switch tab.docs.rows[f.Path].typ {
		case "path":
			muts = append(muts, mutation{path: path, value: "no-slash", why: "not a path"}, mutation{path: path, value: "/a?b", why: "not a path"})
		case "list of paths":
			muts = append(muts, mutation{path: path, value: []any{"no-slash"}, why: "not a path"})
		}
		if r, ok := fieldRule(f.Path); ok {
			for _, v := range r.good {
				muts = append(muts, mutation{path: path, value: v, why: "rules.go good sample"})
			}
			for _, v := range r.bad {
				muts = append(muts, mutation{path: path, value: v, why: "rules.go bad sample"})
			}
		}
		for _, m := range muts {
			cfg := m.apply(t, base)
			pcfg, perr := core.ParseConfig(cfg)
			serr := schemaErr(sch, cfg)
			checked++
			if perr != nil && serr == nil && leftToTheParser(perr) {
				continue
			}
			if (perr == nil) != (serr == nil) {
				t.Errorf("%s: the parser says %v, the schema says %v", m, perr, firstLine(serr))
				continue
			}
			switch m.why {
			case "wrong type":
				var ce *core.ConfigError
				if !errors.As(perr, &ce) || ce.Field != path {
					t.Errorf("%s: the parser's error %v does not name %s", m, perr, path)
				}
			case "enum value", "its default":
				// Accepted, unless a rule between fields refuses the value with what else
				// the example sets (store.backend "local" with the store.etcd it shows): the
				// parser then names the other field, and the schema refused it too.
				var ce *core.ConfigError
				if perr != nil && (!errors.As(perr, &ce) || ce.Field == path) {
					t.Errorf("%s: refused by both, want accepted: %v", m, perr)
				}
			case "rules.go good sample", "enum item", "minimum", "maximum":
				if perr != nil {
					t.Errorf("%s: refused by both, want accepted: %v", m, perr)
				}
			case "rules.go bad sample", "not a path", "outside the enum", "item outside the enum", "below the minimum", "above the maximum", "not whole", "not a positive duration":
				if perr == nil {
					t.Errorf("%s: accepted by both, want refused", m)
				}
			}
			if m.why == "its default" && perr == nil {
				absent, err := core.ParseConfig(mutation{path: path, remove: true}.apply(t, base))
				if err != nil || !sameValue(reflect.ValueOf(absent), reflect.ValueOf(pcfg)) {
					t.Errorf("%s: the schema's default does not parse as the field's absence (%v)", m, err)
				}
			}
		}
	}
	t.Logf("%d fields, %d changes, parser and schema agree on each", len(tab.fields), checked)
}

// leftToTheParser reports a rule between values that a JSON Schema cannot state, which
// only the parser applies: that the session cookie reaches the issuer's callbacks and
// every client (core/config_cookie_reach.go). The complete example shares a cookie.domain
// between auth.example.test and app1.example.test, so removing it (or the cookie object)
// is refused by the parser alone.
func leftToTheParser(err error) bool {
	return strings.Contains(err.Error(), "no sign-in could complete")
}

func firstLine(err error) string {
	if err == nil {
		return "<nil>"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// sameValue is reflect.DeepEqual that takes an empty slice or map for a nil one: a
// default of [] means the same as no list.
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !sameValue(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Func, reflect.UnsafePointer, reflect.Chan:
		return a.Pointer() == b.Pointer()
	}
	if a.CanInterface() && b.CanInterface() {
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	// unexported basic values
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	}
	return false
}

// The comparison itself must be able to fail.
func TestSameValueSeesADifference(t *testing.T) {
	a, err := core.ParseConfig([]byte(`{"health_path": "/a"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := core.ParseConfig([]byte(`{"health_path": "/b"}`))
	if err != nil {
		t.Fatal(err)
	}
	if sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) {
		t.Fatal("two configurations with different health paths compare the same")
	}
	if !sameValue(reflect.ValueOf([]string{}), reflect.ValueOf([]string(nil))) {
		t.Fatal("an empty and a nil list differ")
	}
}

// badConfigs break the rules between fields (objectRules and the modes), one each, as
// changes to the complete example; field is what the parser's error must name.
var badConfigs = []struct {
	name    string
	changes []mutation
	field   string
}{
	{"sign-in field without sign-in", []mutation{{path: "issuer", remove: true}, {path: "providers", remove: true}, {path: "clients", remove: true}}, "paths"},
	{"issuer without providers", []mutation{{path: "providers", remove: true}, {path: "clients[0].default_provider", value: ""}}, "providers"},
	{"providers without clients", []mutation{{path: "clients", remove: true}}, "clients"},
	{"sign-in without keys", []mutation{{path: "keys", remove: true}}, "keys"},
	{"keys without signing keys", []mutation{{path: "keys.signing", value: []any{}}}, "keys.signing"},
	{"generated and configured keys", []mutation{{path: "keys.dev_generate", value: true}}, "keys.dev_generate"},
	{"token endpoint without the other explicit endpoints", []mutation{{path: "providers[0].discovery_url", value: ""}, {path: "providers[0].token_endpoint", value: "https://idp.example.test/token"}}, "providers[0].authorization_endpoint"},
	{"end session endpoint alone", []mutation{{path: "providers[0].end_session_endpoint", value: "https://idp.example.test/logout"}}, "providers[0].authorization_endpoint"},
	{"discovery_url with explicit endpoints", []mutation{
		{path: "providers[0].authorization_endpoint", value: "https://idp.example.test/authorize"},
		{path: "providers[0].token_endpoint", value: "https://idp.example.test/token"},
		{path: "providers[0].jwks_uri", value: "https://idp.example.test/jwks"},
	}, "providers[0].discovery_url"},
	{"back-channel URI without its cluster", []mutation{{path: "clients[0].backchannel_cluster", value: ""}}, "clients[0].backchannel_cluster"},
	{"back-channel cluster without its URI", []mutation{{path: "clients[0].backchannel_logout_uri", value: ""}, {path: "clients[0].backchannel_logout_session_required", remove: true}}, "clients[0].backchannel_cluster"},
	{"back-channel sid flag without its URI", []mutation{{path: "clients[0].backchannel_logout_uri", remove: true}, {path: "clients[0].backchannel_cluster", remove: true}}, "clients[0].backchannel_logout_session_required"},
	{"front-channel sid flag without its URI", []mutation{{path: "clients[0].frontchannel_logout_uri", value: ""}}, "clients[0].frontchannel_logout_session_required"},
	{"client without hosts", []mutation{{path: "clients[0].hosts", remove: true}}, "clients[0].hosts"},
	{"sealing key without secret", []mutation{{path: "keys.sealing[0].secret", remove: true}}, "keys.sealing[0].secret"},
	{"signing key without key", []mutation{{path: "keys.signing[0].private_key_pem", remove: true}}, "keys.signing[0].private_key_pem"},
	{"SameSite=None without Secure", []mutation{{path: "cookie.name", value: "exeunt"}, {path: "cookie.same_site", value: "none"}, {path: "cookie.secure", value: false}}, "cookie.secure"},
	{"__Host- cookie not Secure", []mutation{{path: "cookie.secure", value: false}}, "cookie.secure"},
	{"default (__Host-) cookie not Secure", []mutation{{path: "cookie.name", remove: true}, {path: "cookie.secure", value: false}}, "cookie.secure"},
	{"__Host- cookie on a path", []mutation{{path: "cookie.name", value: "__host-x"}, {path: "cookie.path", value: "/app"}}, "cookie.path"},
	{"__Host- cookie with a domain", []mutation{{path: "cookie.name", value: "__Host-exeunt"}, {path: "cookie.domain", value: "example.test"}}, "cookie.domain"},
	{"__Secure- cookie not Secure", []mutation{{path: "cookie.name", value: "__Secure-x"}, {path: "cookie.secure", value: false}}, "cookie.secure"},
	{"etcd backend without its settings", []mutation{{path: "store.etcd", remove: true}}, "store.etcd"},
	{"etcd settings with the local backend", []mutation{{path: "store.backend", value: "local"}}, "store.etcd"},
	{"etcd settings with the default backend", []mutation{{path: "store.backend", remove: true}}, "store.etcd"},
	{"etcd username without password", []mutation{{path: "store.etcd.password", remove: true}}, "store.etcd.password"},
	{"etcd password without username", []mutation{{path: "store.etcd.username", remove: true}}, "store.etcd.username"},
	{"etcd without a cluster", []mutation{{path: "store.etcd.cluster", remove: true}}, "store.etcd.cluster"},
	{"unknown top-level field", []mutation{{path: "isuer", value: "https://auth.example.test"}}, "isuer"},
	{"unknown nested field", []mutation{{path: "providers[0].client_secrets", value: "x"}}, "providers[0].client_secrets"},
	{"unknown deeply nested field", []mutation{{path: "keys.sealing[0].key", value: "x"}}, "keys.sealing[0].key"},
}

func TestBadConfigsAreRefusedByBoth(t *testing.T) {
	sch := publishedSchema(t)
	base, err := jsonBlockAfter(readRepoFile(t, DocsFile), "## Complete example")
	if err != nil {
		t.Fatal(err)
	}
	for _, bc := range badConfigs {
		cfg := base
		for _, m := range bc.changes {
			cfg = m.apply(t, cfg)
		}
		_, perr := core.ParseConfig(cfg)
		var ce *core.ConfigError
		if !errors.As(perr, &ce) || ce.Field != bc.field {
			t.Errorf("%s: the parser says %v, want an error naming %s", bc.name, perr, bc.field)
		}
		if serr := schemaErr(sch, cfg); serr == nil {
			t.Errorf("%s: the schema accepts it", bc.name)
		}
	}
}

// Pass-through mode: no configuration, {} and the fields allowed without sign-in pass
// both; a sign-in field alone passes neither.
func TestPassThroughConfigs(t *testing.T) {
	sch := publishedSchema(t)
	for _, c := range []struct {
		cfg string
		ok  bool
	}{
		{"", true},
		{"{}", true},
		{`{"health_path": "/healthz"}`, true},
		{`{"identity_headers": {"sub": "x-user"}}`, true},
		{`{"cookie": {}}`, false},
		{`{"logout": {"prompt": "always"}}`, false},
		{`{"issuer": "https://auth.example.test"}`, false},
		{`[]`, false},
	} {
		_, perr := core.ParseConfig([]byte(c.cfg))
		serr := schemaErr(sch, []byte(c.cfg))
		if (perr == nil) != c.ok || (serr == nil) != c.ok {
			t.Errorf("%q: parser %v, schema %v; want accepted=%v by both", c.cfg, perr, firstLine(serr), c.ok)
		}
	}
}

// Every plugin configuration the repository ships passes the filter's parser and the
// published schema: envoy.yaml's, docs/configuration.md's examples, and the examples/
// for Istio and Envoy Gateway.
func TestEveryExampleConfigPassesBoth(t *testing.T) {
	sch := publishedSchema(t)
	md := readRepoFile(t, DocsFile)
	var found []Found
	for _, h := range []string{"## Complete example", "## Minimal example"} {
		b, err := jsonBlockAfter(md, h)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, Found{Where: DocsFile + " " + h, Config: b})
	}
	files := []string{"envoy.yaml", "examples/istio/wasmplugin.yaml", "examples/istio/envoyfilter.yaml", "examples/envoy-gateway/envoyextensionpolicy.yaml"}
	for _, f := range files {
		ex, err := Extract(readRepoFile(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range ex.Configs {
			found = append(found, Found{Where: f + " " + c.Where, Config: c.Config})
		}
	}
	if len(found) != 2+len(files) {
		t.Fatalf("found %d configurations, want %d", len(found), 2+len(files))
	}
	for _, f := range found {
		if _, err := core.ParseConfig(f.Config); err != nil {
			t.Errorf("%s: the parser refuses it: %v", f.Where, err)
		}
		if err := schemaErr(sch, f.Config); err != nil {
			t.Errorf("%s: the schema refuses it: %v", f.Where, err)
		}
	}
}
