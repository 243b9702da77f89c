// Package jsonx reads and writes JSON without reflection, for the Proxy-Wasm module:
// encoding/json links its whole reflection-driven encoder and decoder (with most of
// reflect, time's JSON parser and the type data of every type it reflects on) as soon as one
// Marshal or Unmarshal call remains, about 0.86 MB of the module (BENCHMARKS.md, "Issue 15:
// encoding/json out of the module").
//
// It keeps encoding/json's observable behaviour where Exeunt depends on it:
//
//   - [Valid] accepts exactly what json.Valid accepts (RFC 8259, nesting at most 10000
//     deep), and [Unmarshal] refuses the same documents with the same *SyntaxError text;
//   - strings are unescaped as json.Unmarshal does: \u escapes with surrogate pairs, a lone
//     surrogate or a byte that is not UTF-8 read as U+FFFD;
//   - numbers are kept as their literal text until a reader asks for int64, uint64 or
//     float64, with strconv's range checks, as encoding/json does;
//   - [Writer] writes the bytes json.Marshal writes for the same values: HTML-safe escaping
//     ("<", ">" and "&" as \u003c, \u003e, \u0026), U+2028 and U+2029 escaped, bytes that
//     are not UTF-8 as \ufffd, floats in encoding/json's 'f'/'e' format, []byte as standard
//     base64, raw values compacted; [Indent] is json.MarshalIndent's layout.
//
// What it does not do: reflection. Each type reads itself with a DecodeJSON method that
// takes its members by name (a table, [Decoder.Fields], or [Decoder.Object] with a reader
// per member) and writes itself with an EncodeJSON method ([Writer.Fields], or one call per
// member), in the order encoding/json would (declared field order, omitempty, sorted map
// keys).
// Member names are matched exactly (encoding/json folds case); RATIONALE.md, "Issue 15:
// JSON without encoding/json", says why that is safe for our own records and wanted for
// a provider's. The differential tests and fuzz targets in this package hold it to
// encoding/json, which stays a test-only dependency.
package jsonx
