package etcdv3

import (
	"strings"
	"testing"
)

func TestRequestPathsAndBodies(t *testing.T) {
	k := []byte("/exeunt/rev/a") // L2V4ZXVudC9yZXYvYQ==
	tests := []struct {
		name string
		op   Op
		path string
		body string
	}{
		{"range one key", &RangeRequest{Key: k}, "/v3/kv/range", `{"key":"L2V4ZXVudC9yZXYvYQ=="}`},
		{"range with every option", &RangeRequest{Key: []byte("a"), RangeEnd: []byte("b"), Limit: 10, Revision: 7, SortOrder: SortAscend, SortTarget: SortByMod, Serializable: true, KeysOnly: true, CountOnly: true, MinModRevision: 3, MaxModRevision: 9, MinCreateRevision: 1, MaxCreateRevision: 8},
			"/v3/kv/range", `{"key":"YQ==","range_end":"Yg==","limit":"10","revision":"7","sort_order":"ASCEND","sort_target":"MOD","serializable":true,"keys_only":true,"count_only":true,"min_mod_revision":"3","max_mod_revision":"9","min_create_revision":"1","max_create_revision":"8"}`},
		{"changes since", ptr(ChangesSince([]byte("a/"), []byte("a0"), 41, 100)), "/v3/kv/range",
			`{"key":"YS8=","range_end":"YTA=","limit":"100","sort_order":"ASCEND","sort_target":"MOD","min_mod_revision":"42"}`},
		{"put on a lease, 64-bit id as a string", &PutRequest{Key: []byte("a"), Value: []byte("v"), Lease: 7587884171185338635, PrevKv: true}, "/v3/kv/put",
			`{"key":"YQ==","value":"dg==","lease":"7587884171185338635","prev_kv":true}`},
		{"tombstone", ptr(Tombstone([]byte("a"), 5)), "/v3/kv/put", `{"key":"YQ==","lease":"5"}`},
		{"delete a prefix", &DeleteRangeRequest{Key: []byte("a/"), RangeEnd: PrefixEnd([]byte("a/")), PrevKv: true}, "/v3/kv/deleterange",
			`{"key":"YS8=","range_end":"YTA=","prev_kv":true}`},
		{"create if absent compares create_revision with 0, said explicitly", ptr(CreateIfAbsent([]byte("j"), []byte("x"), 9)), "/v3/kv/txn",
			`{"compare":[{"key":"ag==","target":"CREATE","result":"EQUAL","create_revision":"0"}],"success":[{"request_put":{"key":"ag==","value":"eA==","lease":"9"}}],"failure":[{"request_range":{"key":"ag=="}}]}`},
		{"compare and swap", ptr(CompareAndSwap([]byte("j"), 12, []byte("y"), 0)), "/v3/kv/txn",
			`{"compare":[{"key":"ag==","target":"MOD","result":"EQUAL","mod_revision":"12"}],"success":[{"request_put":{"key":"ag==","value":"eQ=="}}],"failure":[{"request_range":{"key":"ag=="}}]}`},
		{"compare and delete", ptr(CompareAndDelete([]byte("j"), 12)), "/v3/kv/txn",
			`{"compare":[{"key":"ag==","target":"MOD","result":"EQUAL","mod_revision":"12"}],"success":[{"request_delete_range":{"key":"ag=="}}],"failure":[{"request_range":{"key":"ag=="}}]}`},
		{"compare on version, value, lease", &TxnRequest{Compare: []Compare{
			{Key: []byte("a"), Target: TargetVersion, Result: Greater, Number: 2},
			{Key: []byte("a"), Target: TargetValue, Result: NotEqual, Value: nil},
			{Key: []byte("a"), RangeEnd: []byte("b"), Target: TargetLease, Result: Less, Number: 3},
		}}, "/v3/kv/txn",
			`{"compare":[{"key":"YQ==","target":"VERSION","result":"GREATER","version":"2"},{"key":"YQ==","target":"VALUE","result":"NOT_EQUAL","value":""},{"key":"YQ==","range_end":"Yg==","target":"LEASE","result":"LESS","lease":"3"}]}`},
		{"lease grant", &LeaseGrantRequest{TTL: 30}, "/v3/lease/grant", `{"TTL":"30"}`},
		{"lease grant with an id", &LeaseGrantRequest{TTL: 30, ID: 77}, "/v3/lease/grant", `{"TTL":"30","ID":"77"}`},
		{"lease revoke", &LeaseRevokeRequest{ID: 77}, "/v3/lease/revoke", `{"ID":"77"}`},
		{"lease keepalive", &LeaseKeepAliveRequest{ID: 77}, "/v3/lease/keepalive", `{"ID":"77"}`},
		{"lease time to live", &LeaseTimeToLiveRequest{ID: 77, Keys: true}, "/v3/lease/timetolive", `{"ID":"77","keys":true}`},
		{"authenticate", &AuthenticateRequest{Name: "exeunt", Password: "pw"}, "/v3/auth/authenticate", `{"name":"exeunt","password":"pw"}`},
		{"compaction", &CompactionRequest{Revision: 5, Physical: true}, "/v3/kv/compaction", `{"revision":"5","physical":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Gateway{}.Request(tt.op, "")
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != "POST" || req.Path != tt.path || string(req.Body) != tt.body {
				t.Errorf("got %s %s %s\nwant POST %s %s", req.Method, req.Path, req.Body, tt.path, tt.body)
			}
			if len(req.Headers) != 1 || req.Headers[0] != [2]string{"content-type", "application/json"} {
				t.Errorf("headers = %q, want only the content type", req.Headers)
			}
		})
	}
}

func TestRequestPrefixAndToken(t *testing.T) {
	req, err := Gateway{APIPrefix: "/v3beta"}.Request(&RangeRequest{Key: []byte("a")}, "aZbY.42")
	if err != nil {
		t.Fatal(err)
	}
	if req.Path != "/v3beta/kv/range" {
		t.Errorf("path = %q", req.Path)
	}
	want := [][2]string{{"content-type", "application/json"}, {"authorization", "aZbY.42"}}
	if len(req.Headers) != 2 || req.Headers[0] != want[0] || req.Headers[1] != want[1] {
		t.Errorf("headers = %q, want %q (the token as is, no Bearer)", req.Headers, want)
	}
}

func TestRequestRefusals(t *testing.T) {
	big := make([]byte, MaxRequestBytes)
	tooMany := TxnRequest{}
	for i := 0; i <= MaxTxnOps; i++ {
		tooMany.Success = append(tooMany.Success, TxnOp{Put: &PutRequest{Key: []byte{byte(i)}, Value: []byte("v")}})
	}
	tests := []struct {
		name  string
		op    Op
		token string
		want  string
	}{
		{"no message", nil, "", "no request message"},
		{"range without a key", &RangeRequest{}, "", "a range needs a key"},
		{"negative limit", &RangeRequest{Key: []byte("a"), Limit: -1}, "", "never negative"},
		{"put without a key", &PutRequest{Value: []byte("v")}, "", "a put needs a key"},
		{"delete without a key", &DeleteRangeRequest{}, "", "a delete needs a key"},
		{"zero TTL", &LeaseGrantRequest{}, "", "between 1 and"},
		{"TTL over etcd's maximum", &LeaseGrantRequest{TTL: MaxLeaseTTL + 1}, "", "between 1 and"},
		{"revoke without an id", &LeaseRevokeRequest{}, "", "needs its id"},
		{"keepalive without an id", &LeaseKeepAliveRequest{}, "", "needs its id"},
		{"authenticate without a name", &AuthenticateRequest{Password: "x"}, "", "needs a user name"},
		{"a password over the limit", &AuthenticateRequest{Name: "a", Password: strings.Repeat("x", MaxCredentialBytes+1)}, "", "over 1024 bytes"},
		{"compaction without a revision", &CompactionRequest{}, "", "needs a revision"},
		{"txn op with two operations", &TxnRequest{Success: []TxnOp{{Put: &PutRequest{Key: []byte("a")}, Range: &RangeRequest{Key: []byte("a")}}}}, "", "exactly one"},
		{"txn op with none", &TxnRequest{Failure: []TxnOp{{}}}, "", "exactly one"},
		{"txn op with a bad put", &TxnRequest{Success: []TxnOp{{Put: &PutRequest{}}}}, "", "success operation 0: a put needs a key"},
		{"compare with an unknown target", &TxnRequest{Compare: []Compare{{Key: []byte("a"), Target: "AGE", Result: Equal}}}, "", "unknown compare target"},
		{"compare with an unknown result", &TxnRequest{Compare: []Compare{{Key: []byte("a"), Target: TargetMod, Result: "ABOUT"}}}, "", "unknown compare result"},
		{"compare without a key", &TxnRequest{Compare: []Compare{{Target: TargetMod, Result: Equal}}}, "", "compare 0: a compare needs a key"},
		{"too many operations", &tooMany, "", "at most 128"},
		{"a body over etcd's limit", &PutRequest{Key: []byte("a"), Value: big}, "", "over etcd's default limit"},
		{"a token with a line break", &RangeRequest{Key: []byte("a")}, "tok\r\nX-Evil: 1", "a header value cannot carry"},
		{"a token with a space", &RangeRequest{Key: []byte("a")}, "Bearer tok", "a header value cannot carry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Gateway{}.Request(tt.op, tt.token)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q (request %+v)", err, tt.want, req)
			}
		})
	}
}

// ptr is a request built by one of the package's helpers as the Op it is: requests are
// Ops through pointer receivers (gateway.go).
func ptr[T any](v T) *T { return &v }
