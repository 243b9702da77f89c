// Package configschema generates the JSON Schema of Exeunt's plugin configuration
// (docs/exeunt-config.schema.json) and holds what the check command needs to read a
// configuration where it is written (envoy.yaml, Istio's WasmPlugin, Envoy Gateway's
// EnvoyExtensionPolicy).
//
// The schema is generated, never written by hand, from three sources, in this order of
// authority:
//
//  1. The parser's own field table, core.ConfigFields: every field ParseConfig reads, its
//     JSON type, whether it is required, its enum, integer bounds and default where the
//     getter knows them. A field added to the parser appears in the schema by itself.
//  2. docs/configuration.md: each field's description (the last column of its table row),
//     its default when the default column holds a JSON value, and the complete example,
//     which is the probe ConfigFields runs over.
//  3. rules.go: what neither says and a schema can express (patterns, list sizes, the
//     rules between fields), each rule with samples.
//
// The tests prove that the parser and the schema agree: the generated file is what the
// generator makes now; for every field, removing it, giving it the wrong type, its
// default, each enum value and a value outside, each bound and its neighbour, and each
// rule's samples are accepted or refused alike by core.ParseConfig and by a real JSON
// Schema validator (santhosh-tekuri/jsonschema); and every example configuration in the
// repository passes both.
package configschema
