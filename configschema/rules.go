package configschema

import "strings"

// What the parser checks that neither its field table nor docs/configuration.md states
// in a form a schema can use. Each rule says what the parser does, in schema terms; the
// tests hold every rule to the parser: each field rule's samples, and a bad
// configuration for each object rule (schema_test.go, badConfigs), are accepted or
// refused alike by both. A rule the schema cannot express (lengths of time compared,
// distinct paths, a frontchannel_logout_uri on the client's own origin) is left to the
// parser and to exeunt-check, and said in the field's description.

// rule is merged into the schema of a field (fieldRules) or of an object (objectRules).
type rule struct {
	schema map[string]any
	// good and bad are values for the field that both the parser and the schema accept
	// (good) or refuse (bad), put in docs/configuration.md's complete example.
	good, bad []any
}

// Patterns, in ECMA-262 syntax as JSON Schema wants.
const (
	// A path Envoy can match: "/" then visible ASCII but "?" and "#" (core.checkPath).
	pathPattern = `^/[!-"$->@-~]*$`
	// A cookie path: a path without ";" either.
	cookiePathPattern = `^/[!-"$-:<->@-~]*$`
	// An HTTP token (RFC 9110 section 5.6.2): cookie names, header names.
	tokenPattern = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
	// A Go duration as time.ParseDuration reads it, positive (no sign but "+").
	durationPattern = `^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`
	// Visible ASCII without spaces (key ids).
	visiblePattern = `^[!-~]+$`
	// 32 bytes in base64url or standard base64, padded or not; the last character
	// carries 2 unused bits, which strict decoding wants zero.
	secretPattern = `^([A-Za-z0-9_-]{42}|[A-Za-z0-9+/]{42})[AEIMQUYcgkosw048]=?$`
)

func pattern(p string) map[string]any { return map[string]any{"pattern": p} }

func described(s map[string]any, d string) map[string]any {
	s["description"] = d
	return s
}

const kidDescription = "the key's id, named in the tokens it signs or seals: visible ASCII without spaces, unique in its list; never reuse one for different key material"

var pathRule = rule{schema: pattern(pathPattern), bad: []any{"no-slash", "/a?b", "/a#b", "/a b", "/é"}}

var pathListRule = rule{
	schema: map[string]any{"minItems": 1, "uniqueItems": true, "items": pattern(pathPattern)},
	bad:    []any{[]any{}, []any{"nope"}, []any{"/a", "/a"}},
}

// fieldRules are keyed by field path; "x.*" applies to every field of object x that has
// no rule of its own.
var fieldRules = map[string]rule{
	"health_path": pathRule,
	"ready_path":  pathRule,
	"paths.*":     pathRule,
	"providers":   {schema: map[string]any{"minItems": 1}, bad: []any{[]any{}}},
	"providers[].scheme": {
		schema: pattern(`^[a-z][a-z0-9-]{0,31}$`),
		bad:    []any{"Oidc", "1idp", "a_b", "", "abcdefghijklmnopqrstuvwxyz0123456"},
	},
	"providers[].display_name": {schema: map[string]any{"minLength": 1, "pattern": `^[^\x00-\x1f\x7f]*$`}, good: []any{"Ünïcode IdP"}, bad: []any{"", "a\nb"}},
	// At most 512 bytes (core.maxProviderClientID).
	"providers[].client_id": {schema: map[string]any{"minLength": 1, "maxLength": 512, "pattern": `^[^\x00-\x1f\x7f]*$`}, good: []any{strings.Repeat("c", 512)}, bad: []any{"", "a\tb", strings.Repeat("c", 513)}},
	// RFC 6749 Appendix A.2: client-secret = *VSCHAR (core.checkClientSecret).
	// At most 1024 bytes (core.maxClientSecret).
	"providers[].client_secret": {schema: map[string]any{"maxLength": 1024, "pattern": `^[ -~]*$`}, good: []any{"", "a b~", strings.Repeat("s", 1024)}, bad: []any{"s3cret\n", "sécret", strings.Repeat("s", 1025)}},
	"providers[].cluster":       {schema: map[string]any{"minLength": 1, "pattern": visiblePattern}, good: []any{"outbound|443||idp.example.test"}, bad: []any{"", "two words"}},
	"providers[].scopes": {
		schema: map[string]any{
			"uniqueItems": true,
			"contains":    map[string]any{"const": "openid"},
			"items":       pattern(`^[!#-\[\]-~]+$`),
		},
		good: []any{[]any{"openid"}, []any{"profile", "openid"}},
		bad:  []any{[]any{}, []any{"profile"}, []any{"openid", "openid"}, []any{"openid", "two words"}, []any{"openid", `a"b`}},
	},
	"providers[].id_token_algorithms": {
		schema: map[string]any{"minItems": 1, "uniqueItems": true},
		good:   []any{[]any{"EdDSA"}, []any{"PS256", "ES512"}},
		bad:    []any{[]any{}, []any{"none"}, []any{"HS256"}, []any{"RS256", "RS256"}, []any{"rs256"}},
	},
	"providers[].callback_path":            pathRule,
	"providers[].signout_callback_path":    pathRule,
	"providers[].frontchannel_logout_path": pathRule,
	"providers[].backchannel_logout_path":  pathRule,
	"clients":                              {schema: map[string]any{"minItems": 1}, bad: []any{[]any{}}},
	"clients[].client_id":                  {schema: map[string]any{"minLength": 1, "maxLength": 256, "pattern": `^[^\x00-\x1f\x7f]*$`}, good: []any{strings.Repeat("c", 256)}, bad: []any{"", "a\x7fb", strings.Repeat("c", 257)}},
	"clients[].name":                       {schema: map[string]any{"minLength": 1, "pattern": `^[^\x00-\x1f\x7f]*$`}, good: []any{"Åpp Øne"}, bad: []any{""}},
	"clients[].hosts": {
		schema: map[string]any{"minItems": 1, "items": pattern(`^[^/*]+$`)},
		bad:    []any{[]any{}, []any{"https://app1.example.test"}, []any{"app1.example.test/x"}, []any{"*.example.test"}},
	},
	"clients[].path_prefixes": pathListRule,
	"cookie.name": {
		schema: map[string]any{"maxLength": 64, "pattern": tokenPattern},
		good:   []any{"__Secure-" + strings.Repeat("n", 55)},
		bad:    []any{"", "a b", "a;b", "a=b", strings.Repeat("n", 65)},
	},
	"cookie.path": {schema: pattern(cookiePathPattern), bad: []any{"x", "/a;b", "/a?b"}},
	"cookie.same_site": {
		// Any case, as the parser reads it; the schema has no case-insensitive enum.
		schema: map[string]any{
			"pattern":  "^([Ss][Tt][Rr][Ii][Cc][Tt]|[Ll][Aa][Xx]|[Nn][Oo][Nn][Ee])$",
			"examples": []any{"Strict", "Lax", "None"},
		},
		good: []any{"Lax", "lax", "STRICT"},
		bad:  []any{"", "relaxed", "None "},
	},
	// The keys' own fields have no row in docs/configuration.md (the sealing and signing rows
	// describe them), so their descriptions are here.
	"keys.sealing[].kid": {schema: described(pattern(visiblePattern), kidDescription), bad: []any{"", "a b"}},
	"keys.signing[].kid": {schema: described(pattern(visiblePattern), kidDescription), bad: []any{"", "a b"}},
	// 32 zero bytes (a placeholder) are refused too (core.checkKeyMaterial): "A" 43 times.
	"keys.sealing[].secret":          {schema: described(map[string]any{"pattern": secretPattern, "not": pattern(`^A{43}=?$`)}, "exactly 32 random bytes in base64url or standard base64, with or without padding (openssl rand -base64 32)"), good: []any{"YJewThrSgKEWzRFkYuaoSyDrdILSPCJNlPtjupUFO9Y="}, bad: []any{"", "c2hvcnQ", "YJewThrSgKEWzRFkYuaoSyDrdILSPCJNlPtjupUFO9Z", "YJewThrSgKEWzRFkYuaoSyDrdILSPCJNlPtjupUFO9Y==", strings.Repeat("A", 43), strings.Repeat("A", 43) + "="}},
	"keys.signing[].private_key_pem": {schema: described(pattern(`-----BEGIN (EC )?PRIVATE KEY-----`), "an unencrypted EC P-256 private key in PEM, SEC 1 or PKCS #8 (openssl ecparam -name prime256v1 -genkey -noout); in JSON, line breaks as \\n"), bad: []any{"", "not a key"}},
	"identity_headers.*":             {schema: pattern(tokenPattern), bad: []any{"", "x y", "x:y"}},
	"api.path_prefixes": {
		schema: map[string]any{"uniqueItems": true, "items": pattern(pathPattern)},
		good:   []any{[]any{}, []any{"/api/", "/v1"}},
		bad:    []any{[]any{"api"}, []any{"/a", "/a"}},
	},
	"ui.title": {
		schema: map[string]any{"minLength": 1, "maxLength": 100, "pattern": `^[^\x00-\x1f\x7f]*$`},
		good:   []any{"Connexion à l’intranet", string(make100("é"))},
		bad:    []any{"", "a\nb", string(make100("é")) + "x"},
	},
	"store.etcd.cluster": {
		schema: map[string]any{"minLength": 1, "maxLength": 255, "pattern": visiblePattern},
		good:   []any{"outbound|2379||etcd.example.test"},
		bad:    []any{"", "two words", strings.Repeat("e", 256)},
	},
	"store.etcd.authority": {
		schema: map[string]any{"minLength": 1, "maxLength": 255, "pattern": visiblePattern},
		good:   []any{"etcd.example.test:2379"},
		bad:    []any{"", "a b", strings.Repeat("e", 256)},
	},
	"store.etcd.key_prefix": {
		// core/etcdv3.NewLayout: "/" ... "/", of letters, digits, ".", "_", "-", no "//".
		schema: map[string]any{"maxLength": 128, "pattern": `^/([A-Za-z0-9._-]+/)+$`},
		good:   []any{"/fleet-1/", "/a/b.c_d/"},
		bad:    []any{"", "/", "exeunt", "/exeunt", "/a//b/", "/a b/", "/" + strings.Repeat("a", 127) + "/"},
	},
	"store.etcd.username": {
		schema: map[string]any{"minLength": 1, "maxLength": 128, "pattern": `^[^\x00-\x1f\x7f]*$`},
		good:   []any{"exeunt-fleet"},
		bad:    []any{"", "a\nb", strings.Repeat("u", 129)},
	},
	"store.etcd.password": {
		schema: map[string]any{"minLength": 1, "maxLength": 256, "pattern": `^[^\x00-\x1f\x7f]*$`},
		good:   []any{"any printable text: p@ss wörd €"},
		bad:    []any{"", strings.Repeat("p", 257), "secret\n", "a\tb", "p\x7fq"},
	},
}

func make100(s string) []rune {
	r := make([]rune, 0, 100)
	for len(r) < 100 {
		r = append(r, []rune(s)...)
	}
	return r
}

// nonEmpty: the field is present and not "" (the parser reads "" as absent for the
// optional strings that mean "none").
func nonEmpty(name string) map[string]any {
	return map[string]any{"required": []any{name}, "properties": map[string]any{name: map[string]any{"minLength": 1}}}
}

func not(s map[string]any) map[string]any { return map[string]any{"not": s} }

// hostPrefixed: the cookie's name starts with prefix in any case (absent: the default
// name, "__Host-exeunt").
func hostPrefixed(prefix string, absentToo bool) map[string]any {
	p := "^"
	for _, c := range prefix {
		if 'a' <= c && c <= 'z' {
			p += "[" + string(c-'a'+'A') + string(c) + "]"
		} else {
			p += string(c)
		}
	}
	named := map[string]any{"required": []any{"name"}, "properties": map[string]any{"name": pattern(p)}}
	if !absentToo {
		return named
	}
	return map[string]any{"anyOf": []any{named, not(map[string]any{"required": []any{"name"}})}}
}

var forbidden = false // a property schema that refuses the property

// objectRules are keyed by object path ("" is the top level).
var objectRules = map[string]map[string]any{
	// Present but "" is refused as absent is (readSealingKey, readSigningKey, readHosts).
	"keys.sealing[]": {"required": []any{"secret"}},
	"keys.signing[]": {"required": []any{"private_key_pem"}},
	"keys": {
		"anyOf": []any{
			map[string]any{
				"required": []any{"dev_generate"},
				"properties": map[string]any{
					"dev_generate": map[string]any{"const": true},
					"sealing":      map[string]any{"maxItems": 0},
					"signing":      map[string]any{"maxItems": 0},
				},
			},
			map[string]any{
				"required": []any{"sealing", "signing"},
				"properties": map[string]any{
					"dev_generate": map[string]any{"const": false},
					"sealing":      map[string]any{"minItems": 1},
					"signing":      map[string]any{"minItems": 1},
				},
			},
		},
	},
	"providers[]": {
		"allOf": []any{
			// Explicit endpoints: authorization, token and JWKS together, end session only
			// with them, and never with discovery_url.
			map[string]any{
				"if": map[string]any{"anyOf": []any{
					nonEmpty("authorization_endpoint"), nonEmpty("token_endpoint"),
					nonEmpty("jwks_uri"), nonEmpty("end_session_endpoint"),
				}},
				"then": map[string]any{"allOf": []any{
					nonEmpty("authorization_endpoint"), nonEmpty("token_endpoint"), nonEmpty("jwks_uri"),
					not(nonEmpty("discovery_url")),
				}},
			},
		},
	},
	"clients[]": {
		"required": []any{"hosts"},
		"allOf": []any{
			map[string]any{
				"if":   not(nonEmpty("frontchannel_logout_uri")),
				"then": map[string]any{"properties": map[string]any{"frontchannel_logout_session_required": forbidden}},
			},
			map[string]any{
				"if": not(nonEmpty("backchannel_logout_uri")),
				"then": map[string]any{"properties": map[string]any{
					"backchannel_logout_session_required": forbidden,
					"backchannel_cluster":                 map[string]any{"maxLength": 0},
				}},
				"else": nonEmpty("backchannel_cluster"),
			},
		},
	},
	// The etcd settings exactly with the etcd backend (config_store.go, readStore).
	"store": {
		"if":   map[string]any{"required": []any{"backend"}, "properties": map[string]any{"backend": map[string]any{"const": "etcd"}}},
		"then": map[string]any{"required": []any{"etcd"}},
		"else": map[string]any{"properties": map[string]any{"etcd": forbidden}},
	},
	// etcd's user and password authentication takes both.
	"store.etcd": {
		"dependentRequired": map[string]any{"username": []any{"password"}, "password": []any{"username"}},
	},
	"cookie": {
		"allOf": []any{
			map[string]any{
				"if":   map[string]any{"required": []any{"same_site"}, "properties": map[string]any{"same_site": pattern("^[Nn][Oo][Nn][Ee]$")}},
				"then": map[string]any{"properties": map[string]any{"secure": map[string]any{"const": true}}},
			},
			map[string]any{
				"if": hostPrefixed("__host-", true),
				"then": map[string]any{"properties": map[string]any{
					"secure": map[string]any{"const": true},
					"path":   map[string]any{"const": "/"},
					"domain": map[string]any{"maxLength": 0},
				}},
			},
			map[string]any{
				"if":   hostPrefixed("__secure-", false),
				"then": map[string]any{"properties": map[string]any{"secure": map[string]any{"const": true}}},
			},
		},
	},
}
