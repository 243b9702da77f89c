package etcdv3

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/exeunt/exeunt/core/jsonx"
)

// Every request is written byte for byte as encoding/json writes it from the fields' tags,
// and every answer is read as encoding/json reads it (the fuzz target runs its seeds in
// each `go test`; longer: go test ./core/etcdv3/ -fuzz FuzzAnswersAsEncodingJSON).

// wireCompare is Compare's wire form, as it was written with encoding/json.
type wireCompare struct {
	Key            []byte        `json:"key"`
	RangeEnd       []byte        `json:"range_end,omitempty"`
	Target         CompareTarget `json:"target"`
	Result         CompareResult `json:"result"`
	Version        *string       `json:"version,omitempty"`
	CreateRevision *string       `json:"create_revision,omitempty"`
	ModRevision    *string       `json:"mod_revision,omitempty"`
	Value          *string       `json:"value,omitempty"`
	Lease          *string       `json:"lease,omitempty"`
}

func TestRequestsAsEncodingJSON(t *testing.T) {
	key, end, val := []byte("/exeunt/s/<&>"), []byte("/exeunt/t"), []byte{0, 1, 2, 0xff}
	full := RangeRequest{Key: key, RangeEnd: end, Limit: 5, Revision: -3, SortOrder: SortDescend, SortTarget: SortByMod,
		Serializable: true, KeysOnly: true, CountOnly: true, MinModRevision: 1, MaxModRevision: 2, MinCreateRevision: 3, MaxCreateRevision: 4}
	ops := []Op{
		&RangeRequest{}, &RangeRequest{Key: key}, &RangeRequest{Key: []byte{}}, &full,
		&PutRequest{Key: key}, &PutRequest{Key: key, Value: val, Lease: 7, PrevKv: true},
		&DeleteRangeRequest{Key: key}, &DeleteRangeRequest{Key: key, RangeEnd: end, PrevKv: true},
		&TxnRequest{}, ptr(CreateIfAbsent(key, val, 9)), ptr(CompareAndSwap(key, 12, val, 0)), ptr(CompareAndDelete(key, 3)),
		&TxnRequest{
			Compare: []Compare{
				{Key: key, Target: TargetVersion, Result: Greater, Number: 1}, {Key: key, RangeEnd: end, Target: TargetLease, Result: NotEqual},
				{Key: key, Target: TargetValue, Result: Less, Value: val}, {Key: key, Target: TargetValue, Result: Equal},
			},
			Success: []TxnOp{{Range: &full}, {DeleteRange: &DeleteRangeRequest{Key: key}}, {}},
			Failure: []TxnOp{{Put: &PutRequest{Key: key}}},
		},
		&LeaseGrantRequest{TTL: 10}, &LeaseGrantRequest{TTL: 10, ID: 99}, &LeaseRevokeRequest{ID: 5}, &LeaseRevokeRequest{},
		&LeaseKeepAliveRequest{ID: -1}, &LeaseTimeToLiveRequest{ID: 1}, &LeaseTimeToLiveRequest{ID: 1, Keys: true},
		&AuthenticateRequest{Name: "root", Password: "p\"<\u2028\xff"}, &AuthenticateRequest{},
		&CompactionRequest{Revision: 100}, &CompactionRequest{Revision: 100, Physical: true},
	}
	for _, op := range ops {
		want, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonx.Marshal(op)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%T %+v:\n got %s (%v)\nwant %s", op, op, got, err, want)
		}
	}
	// Compare as encoding/json wrote its wire struct before EncodeJSON.
	for _, c := range []Compare{{Key: key, Target: TargetCreate, Result: Equal}, {Key: key, Target: TargetMod, Result: Equal, Number: 4}} {
		n := "0"
		if c.Number == 4 {
			n = "4"
		}
		w := wireCompare{Key: c.Key, Target: c.Target, Result: c.Result}
		if c.Target == TargetCreate {
			w.CreateRevision = &n
		} else {
			w.ModRevision = &n
		}
		want, _ := json.Marshal(w)
		if got, _ := jsonx.Marshal(c); !bytes.Equal(got, want) {
			t.Errorf("%+v: got %s, want %s", c, got, want)
		}
	}
}

// answerSeeds are answers of etcd 3.4's gateway and variations on them.
var answerSeeds = []string{
	`{"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"42","raft_term":"2"},"kvs":[{"key":"YQ==","create_revision":"5","mod_revision":"7","version":"2","value":"eyJhIjoxfQ==","lease":"694d7a4fdd0e9a04"}],"count":"1"}`,
	`{"header":{"cluster_id":"1","member_id":"2","revision":"42","raft_term":"2"},"kvs":[{"key":"YQ==","create_revision":"5","mod_revision":"7","version":"2","value":"eyJhIjoxfQ==","lease":"7587875690392345092"}],"more":true,"count":"3"}`,
	`{"header":{"revision":"9"}}`, `{"header":{"revision":"9"},"kvs":[]}`, `{"header":{"revision":"9"},"kvs":null,"count":null}`,
	`{"header":{"revision":"9"},"prev_kv":{"key":"YQ==","value":""}}`, `{"header":{"revision":"9"},"prev_kv":null}`,
	`{"header":{"revision":"9"},"deleted":"2","prev_kvs":[{"key":"YQ=="},{"key":"Yg=="}]}`,
	`{"header":{"revision":"9"},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"9"}}},{"response_range":{"header":{},"kvs":[{"key":"YQ=="}],"count":"1"}},{"response_delete_range":{"header":{},"deleted":"1"}}]}`,
	`{"header":{"revision":"9"},"responses":[]}`, `{"header":{"revision":"9"},"ID":"7587875690392345092","TTL":"10"}`,
	`{"header":{"revision":"9"},"ID":"5","TTL":"-1","grantedTTL":"0","keys":["YQ==",null]}`, `{"header":{"revision":"9"},"token":"abc.123"}`,
	`{"header":{"revision":"9"},"ID":"5","error":"lease exists"}`,
	`{"header":{"revision":"x"}}`, `{"header":{"revision":9}}`, `{"header":"x"}`, `{"header":{"revision":"9"},"kvs":[{"value":"!!"}]}`,
	`{"header":{"revision":"9","revision":"10"},"header":{"raft_term":"3"}}`, `[]`, `null`, `{"kvs":{}}`, `{"header":{"revision":"1.5"}}`,
	`{"header":{"revision":"99999999999999999999"}}`, `{"header":{"cluster_id":"-1"}}`, `{"count":"null"}`,
}

// The answer types, each read both ways.
func answerTypes() []func() any {
	return []func() any{
		func() any { return new(RangeResponse) }, func() any { return new(PutResponse) },
		func() any { return new(DeleteRangeResponse) }, func() any { return new(TxnResponse) },
		func() any { return new(LeaseGrantResponse) }, func() any { return new(LeaseRevokeResponse) },
		func() any { return new(LeaseKeepAliveResponse) }, func() any { return new(LeaseTimeToLiveResponse) },
		func() any { return new(AuthenticateResponse) }, func() any { return new(CompactionResponse) },
		func() any { return new(keepAliveMessage) }, func() any { return new(gatewayError) },
	}
}

func FuzzAnswersAsEncodingJSON(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"result":{"header":{"revision":"3"},"ID":"5","TTL":"9"}}`))
	f.Add([]byte(`{"error":{"grpc_code":5,"http_code":404,"message":"etcdserver: requested lease not found","http_status":"Not Found"}}`))
	f.Add([]byte(`{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}`))
	f.Add([]byte(`{"error":null,"message":"m","code":"11"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if hasCaseVariant(body) {
			t.Skip("member names are matched exactly here, ignoring case in encoding/json")
		}
		for _, mk := range answerTypes() {
			want, got := mk(), mk()
			wantErr := json.Unmarshal(body, want)
			gotErr := jsonx.Unmarshal(body, got.(jsonx.Unmarshaler))
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%T from %s: error %v, encoding/json %v", got, body, gotErr, wantErr)
			}
			if wantErr == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%T from %s:\n got %+v\nwant %+v", got, body, got, want)
			}
		}
	})
}

// gatewayNames are the member names the answers are read by.
var gatewayNames = []string{"header", "cluster_id", "member_id", "revision", "raft_term", "kvs", "more", "count",
	"key", "create_revision", "mod_revision", "version", "value", "lease", "prev_kv", "deleted", "prev_kvs",
	"succeeded", "responses", "response_range", "response_put", "response_delete_range", "ID", "TTL",
	"grantedTTL", "keys", "error", "token", "result", "grpc_code", "message", "code"}

// hasCaseVariant reports a member name that is not, but folds to, one the answers are read
// by: encoding/json matches it ignoring case, this package exactly (RATIONALE.md, "Issue
// 15: JSON without encoding/json").
func hasCaseVariant(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, n := range gatewayNames {
					if k != n && strings.EqualFold(k, n) {
						return true
					}
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
