package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The differential tests: every input is given to encoding/json and to this package, and
// the answers must be the same (accept/reject, syntax error text and offset, decoded
// values, written bytes). The fuzz targets run their seeds in every `go test`; run them
// longer with `go test ./core/jsonx/ -fuzz FuzzParse -fuzztime 1m` (and FuzzString,
// FuzzFloat).

// seeds are real documents of the kinds Exeunt reads and writes, and edge cases.
func seeds(t testing.TB) [][]byte {
	out := [][]byte{}
	for _, f := range []string{"../testdata/example-config.json", "../../docs/exeunt-config.schema.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		// An ID token's claims, a discovery document, a JWK set, etcd's answers.
		`{"iss":"https://op.test","sub":"u1","aud":["c1","c2"],"exp":1764770000,"iat":1764760000,"nonce":"n","sid":"s","email_verified":true,"auth_time":1.76476e9}`,
		`{"issuer":"https://op.test","jwks_uri":"https://op.test/jwks","end_session_endpoint":"https://op.test/end","backchannel_logout_supported":true,"id_token_signing_alg_values_supported":["RS256","ES256"]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1","use":"sig","alg":"ES256"}]}`,
		`{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"42","raft_term":"2"},"kvs":[{"key":"YQ==","create_revision":"5","mod_revision":"7","version":"2","value":"eyJhIjoxfQ=="}],"count":"1"}`,
		`{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}`,
		`{"events":{"http://schemas.openid.net/event/backchannel-logout":{}},"nonce":null}`,
		// Strings: escapes, surrogates, invalid UTF-8, HTML characters, U+2028.
		`"\ud83d\ude00 \ud83d x \ude00 \u00e9 \" \\ \/ \b \f \n \r \t <>& \u2028 \u2029"`,
		"\"\xff\xfe caf\xc3\xa9 \xe2\x80\xa8 \xed\xa0\x80\"",
		`"\uD800\u0041"`, `"\uDBFF\uDFFF"`, `"\u0000"`,
		// Numbers.
		`[0, -0, 1.5e300, 1e400, -1e-400, 123456789012345678901234567890, 0.000001, 1e-7, 1e21, 9007199254740993]`,
		`-`, `01`, `1.`, `1.e3`, `1e`, `1e+`, `.5`, `+1`, `-01`, `1E+2`,
		// Literals and structure.
		`true`, `tru`, `trux`, `nul`, `null `, ` [1,2 , {"a" : [ ] } ] `, `{"a":1,}`, `[1,]`, `{,}`, `{"a" 1}`,
		`{"a":1 "b":2}`, `[1 2]`, `{"a"}`, `{1:2}`, ``, ` `, `{} {}`, `"abc`, "\"a\x01\"", `"\x"`, `"\u12g4"`,
		"\xef\xbb\xbf{}", `{"a":{"b":{"c":[[[]]]}}}`, `{"a":1,"a":2}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		// A number out of range inside objects read into an interface: no field is named.
		strings.Repeat(`{"a":`, 3) + "1e400" + strings.Repeat("}", 3), `[{"a":[{"b":-1e999}]}]`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

func TestParseAsEncodingJSON(t *testing.T) {
	for _, data := range seeds(t) {
		checkParse(t, data)
	}
}

func FuzzParse(f *testing.F) {
	for _, data := range seeds(f) {
		// Not the 10000-deep documents (TestParseAsEncodingJSON has them): minimizing
		// what the fuzzer derives from them would keep its workers busy for minutes.
		if !bytes.Contains(data, []byte("[[[[[[[[[[[[[[[[")) {
			f.Add(data)
		}
	}
	f.Fuzz(checkParse)
}

// checkParse holds Valid, Unmarshal's syntax errors, Decoder.Any, Raw, the writer and
// Indent to encoding/json for one input.
func checkParse(t *testing.T, data []byte) {
	want := json.Valid(data)
	if got := Valid(data); got != want {
		t.Fatalf("Valid(%q) = %v, json.Valid %v", data, got, want)
	}
	var wantV any
	wantErr := json.Unmarshal(data, &wantV)
	var gotV any
	gotErr := Decode(data, func(d *Decoder) error {
		var err error
		gotV, err = d.Any()
		return err
	})
	var jse *json.SyntaxError
	if errors.As(wantErr, &jse) {
		var se *SyntaxError
		if !errors.As(gotErr, &se) || se.Error() != jse.Error() || se.Offset != jse.Offset {
			t.Fatalf("%q: error %v (%T), encoding/json %q at %d", data, gotErr, gotErr, jse, jse.Offset)
		}
		return
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, encoding/json %v", data, gotErr, wantErr)
	}
	if wantErr != nil {
		var te *TypeError
		if !errors.As(gotErr, &te) || gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: error %q, encoding/json %q", data, gotErr, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Fatalf("%q: decoded %#v, encoding/json %#v", data, gotV, wantV)
	}
	// Written back: the same bytes as json.Marshal of the same value.
	wantB, err := json.Marshal(wantV)
	if err != nil {
		t.Fatal(err)
	}
	var w Writer
	writeAny(&w, gotV)
	if gotB, err := w.Bytes(); err != nil || !bytes.Equal(gotB, wantB) {
		t.Fatalf("%q: written %q (%v), json.Marshal %q", data, gotB, err, wantB)
	}
	w = Writer{}
	w.Any(gotV)
	if gotB, err := w.Bytes(); err != nil || !bytes.Equal(gotB, wantB) {
		t.Fatalf("%q: Any wrote %q (%v), json.Marshal %q", data, gotB, err, wantB)
	}
	// Indented (not when deeply nested: the 10000-deep seed would be 100 MB so, and a
	// fuzzer's mutations of it would stall every worker).
	if nesting(wantB) <= 64 {
		if got, want := Indent(wantB, "", "  "), mustIndent(t, wantV); !bytes.Equal(got, want) {
			t.Fatalf("%q: Indent %q, json.MarshalIndent %q", data, got, want)
		}
	}
	// As a raw value: compacted and escaped as json.Marshal(json.RawMessage).
	wantRaw, _ := json.Marshal(json.RawMessage(data))
	w = Writer{}
	w.Raw(data)
	if gotRaw, err := w.Bytes(); err != nil || !bytes.Equal(gotRaw, wantRaw) {
		t.Fatalf("%q: Raw wrote %q (%v), json.Marshal(RawMessage) %q", data, gotRaw, err, wantRaw)
	}
	// Raw reads the value's own bytes, as json.RawMessage does.
	var wantRM json.RawMessage
	if err := json.Unmarshal(data, &wantRM); err != nil {
		t.Fatal(err)
	}
	var gotRM []byte
	_ = Decode(data, func(d *Decoder) error { gotRM = d.Raw(); return nil })
	if !bytes.Equal(gotRM, wantRM) {
		t.Fatalf("%q: Raw %q, json.RawMessage %q", data, gotRM, wantRM)
	}
}

// nesting is how deeply the compact JSON b nests arrays and objects.
func nesting(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			depth++
			deepest = max(deepest, depth)
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
	return deepest
}

func mustIndent(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeAny writes what Decoder.Any reads, as json.Marshal writes it (map keys sorted).
func writeAny(w *Writer, v any) {
	switch v := v.(type) {
	case nil:
		w.Null()
	case bool:
		w.Bool(v)
	case float64:
		w.Float(v)
	case string:
		w.String(v)
	case []any:
		w.ArrayStart()
		for _, e := range v {
			writeAny(w, e)
		}
		w.ArrayEnd()
	case map[string]any:
		w.ObjectStart()
		for _, k := range slices.Sorted(mapsKeys(v)) {
			w.Key(k)
			writeAny(w, v[k])
		}
		w.ObjectEnd()
	}
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "<script>&amp;</script>", "\u2028\u2029", "\xff\xc3", "caf\xc3\xa9",
		"\x00\x01\x1f\x7f\b\f\n\r\t\"\\", "\xed\xa0\x80", "😀", "\xe2\x80", "\xe2\x80\xa8x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		var w Writer
		w.String(s)
		got, _ := w.Bytes()
		if !bytes.Equal(got, want) {
			t.Fatalf("String(%q) wrote %q, json.Marshal %q", s, got, want)
		}
		w = Writer{}
		w.Bytes64([]byte(s))
		got, _ = w.Bytes()
		if want, _ := json.Marshal([]byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("Bytes64(%q) wrote %q, json.Marshal %q", s, got, want)
		}
		// Read back: the string json.Unmarshal reads from the same bytes.
		var wantS, gotS string
		if err := json.Unmarshal(want, &wantS); err != nil {
			t.Fatal(err)
		}
		if err := Decode(want, func(d *Decoder) error { return d.String(&gotS) }); err != nil || gotS != wantS {
			t.Fatalf("String read %q (%v), json.Unmarshal %q", gotS, err, wantS)
		}
	})
}

func FuzzFloat(f *testing.F) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1.5, 1e-6, 9.99999e-7, 1e20, 1e21, 1e-7, 123456789.125,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1.7e308, 5e-324, 1764760000, 0.1} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, wantErr := json.Marshal(x)
		var w Writer
		w.Float(x)
		got, err := w.Bytes()
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("Float(%v) wrote %q (%v), json.Marshal %q (%v)", x, got, err, want, wantErr)
		}
	})
}

// The typed readers: what encoding/json stores in a field of that type, or whether it
// refuses the value.
func TestReadersAsEncodingJSON(t *testing.T) {
	type target struct {
		S  string   `json:"s"`
		I  int64    `json:"i"`
		N  int      `json:"n"`
		U  uint64   `json:"u,string"`
		Q  int64    `json:"q,string"`
		F  float64  `json:"f"`
		B  bool     `json:"b"`
		L  []string `json:"l"`
		By []byte   `json:"by"`
		Nu json.Number
	}
	read := func(d *Decoder, v *target) error {
		return d.Object(func(name string) error {
			switch name {
			case "s":
				return d.String(&v.S)
			case "i":
				return d.Int64(&v.I)
			case "n":
				return d.Int(&v.N)
			case "u":
				return d.Uint64String(&v.U)
			case "q":
				return d.Int64String(&v.Q)
			case "f":
				return d.Float64(&v.F)
			case "b":
				return d.Bool(&v.B)
			case "l":
				return d.Strings(&v.L)
			case "by":
				return d.Bytes(&v.By)
			case "Nu":
				var s string
				err := d.Number(&s)
				v.Nu = json.Number(s)
				return err
			}
			d.Skip()
			return nil
		})
	}
	for _, doc := range []string{
		`{"s":"a","i":-5,"n":7,"u":"18446744073709551615","q":"-9223372036854775808","f":1.5,"b":true,"l":["x","y"],"by":"AAE=","Nu":12.50}`,
		`{"s":null,"i":null,"n":null,"u":null,"q":null,"f":null,"b":null,"l":null,"by":null,"Nu":null}`,
		`{"l":[]}`, `{"l":["a",null]}`, `{"q":"null"}`, `{"Nu":"1e5"}`, `{"x":{"deep":[1,{"s":1}]},"s":"kept"}`,
		`null`, `{"s":"a","s":"b"}`, `{"by":"AA\nE="}`, `{"by":""}`,
	} {
		var want target
		wantErr := json.Unmarshal([]byte(doc), &want)
		var got target
		gotErr := Decode([]byte(doc), func(d *Decoder) error { return read(d, &got) })
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %+v (%v), encoding/json %+v (%v)", doc, got, gotErr, want, wantErr)
		}
	}
	for _, doc := range []string{
		`{"s":1}`, `{"s":true}`, `{"s":[]}`, `{"s":{}}`, `{"i":"1"}`, `{"i":1.5}`, `{"i":1e3}`, `{"i":9223372036854775808}`,
		`{"n":-9223372036854775809}`, `{"u":1}`, `{"u":"-1"}`, `{"u":"x"}`, `{"q":"1.5"}`, `{"q":" 1"}`, `{"q":true}`,
		`{"f":"1"}`, `{"f":1e400}`, `{"b":"true"}`, `{"b":0}`, `{"l":"a"}`, `{"l":[1]}`, `{"by":"!!"}`, `{"by":1}`,
		`{"Nu":"x"}`, `{"Nu":true}`, `[]`, `"x"`, `{"x":{"i":"nested ok"},"i":"1"}`,
	} {
		var want target
		wantErr := json.Unmarshal([]byte(doc), &want)
		var got target
		gotErr := Decode([]byte(doc), func(d *Decoder) error { return read(d, &got) })
		if wantErr == nil || gotErr == nil {
			t.Errorf("%s: error %v, encoding/json %v: both must refuse", doc, gotErr, wantErr)
			continue
		}
		var wte *json.UnmarshalTypeError
		if errors.As(wantErr, &wte) && wte.Field != "" {
			var te *TypeError
			if !errors.As(gotErr, &te) || te.Field != wte.Field || te.Value != wte.Value {
				t.Errorf("%s: error %#v, encoding/json %#v: the same field and value must be named", doc, gotErr, wte)
			}
		}
	}
}
