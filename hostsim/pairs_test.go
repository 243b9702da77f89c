package hostsim

import (
	"bytes"
	"reflect"
	"testing"
)

func TestPairsRoundTripKeepsOrderAndRepeats(t *testing.T) {
	in := []Pair{
		{":status", "200"},
		{"set-cookie", "a=1"},
		{"content-type", "text/html"},
		{"set-cookie", "b=2"},
		{"x-empty", ""},
	}
	out, err := DecodePairs(EncodePairs(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the pairs:\n in: %q\nout: %q", in, out)
	}
}

func TestPairsLayoutMatchesTheABI(t *testing.T) {
	got := EncodePairs([]Pair{{"ab", "c"}})
	want := []byte{1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 'a', 'b', 0, 'c', 0}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding = %v, want %v", got, want)
	}
}

func TestDecodePairsRejectsMalformedInput(t *testing.T) {
	valid := EncodePairs([]Pair{{"ab", "c"}})
	cases := map[string][]byte{
		"short count":         {1, 0},
		"count past the end":  {9, 0, 0, 0, 0, 0, 0, 0},
		"missing terminator":  append(append([]byte{}, valid[:len(valid)-1]...), 'x'),
		"trailing bytes":      append(append([]byte{}, valid...), 0),
		"name longer than in": {1, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 'a', 0},
	}
	for name, b := range cases {
		if _, err := DecodePairs(b); err == nil {
			t.Errorf("%s: decoded %v without error", name, b)
		}
	}
}

func FuzzPairs(f *testing.F) {
	f.Add(EncodePairs([]Pair{{"a", "b"}, {"set-cookie", "x=y"}}))
	f.Add([]byte{})
	f.Add([]byte{255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, err := DecodePairs(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes (the format has
		// exactly one encoding), except the empty input, which is "no map".
		if len(b) == 0 {
			return
		}
		if re := EncodePairs(pairs); !bytes.Equal(re, b) {
			t.Fatalf("decode/encode not canonical: %v -> %q -> %v", b, pairs, re)
		}
	})
}
