package jose

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"testing"
)

// referenceObject is parseObject as first written, on json.Decoder's tokens: slower,
// and obviously right.
func referenceObject(data []byte) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return nil, false
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, false
		}
		if _, dup := members[name]; dup {
			return nil, false
		}
		members[name] = value
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return members, true
}

var objectSeeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a\"b":[1,{"c":"]}"}],"d":null}`,
	`{"alg":"ES256","kid":"k","typ":"JWT"}`, `{"a":"x\\"}`, `{"a":-1.5e3 ,"b" : true}`,
	`[]`, `{"a":1}x`, `{"a":1} {}`, `{"a":}`, `{"a":1,}`, `"a"`, ``, `{"a":{"a":1,"a":2}}`,
	"{\"\xff\":1,\"\xfe\":2}", "{\"\xff\":1,\"\\ufffd\":2}", `{"é":1,"\u00e9":2}`,
}

func FuzzParseObject(f *testing.F) {
	for _, s := range objectSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseObject(data)
		want, ok := referenceObject(data)
		if (err == nil) != ok {
			t.Fatalf("parseObject(%q): err %v, reference ok %v", data, err, ok)
		}
		if ok && !maps.EqualFunc(got, want, func(a []byte, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
			t.Fatalf("parseObject(%q) = %q, reference %q", data, got, want)
		}
	})
}
