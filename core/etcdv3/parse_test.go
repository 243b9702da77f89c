package etcdv3

import (
	"errors"
	"strings"
	"testing"
)

// The bodies below were answered by etcd 3.4.23 (Debian's etcd-server) to the requests the
// tests name; the integration test (e2e/etcdv3_test.go) asks the real server again.
const hdr = `"header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709","revision":"3","raft_term":"2"}`

func TestParseAnswers(t *testing.T) {
	g := Gateway{}
	t.Run("range", func(t *testing.T) {
		r, err := g.ParseRange(200, []byte(`{`+hdr+`,"kvs":[{"key":"YS8x","create_revision":"2","mod_revision":"3","version":"2","value":"djI=","lease":"7587884171185338635"}],"more":true,"count":"2"}`))
		if err != nil {
			t.Fatal(err)
		}
		if r.Header.Revision != 3 || r.Header.ClusterID != 15118495548433857066 || r.Count != 2 || !r.More || len(r.Kvs) != 1 {
			t.Fatalf("got %+v", r)
		}
		kv := r.Kvs[0]
		if string(kv.Key) != "a/1" || string(kv.Value) != "v2" || kv.CreateRevision != 2 || kv.ModRevision != 3 || kv.Version != 2 || kv.Lease != 7587884171185338635 {
			t.Errorf("kv = %+v", kv)
		}
	})
	t.Run("empty range omits kvs and count", func(t *testing.T) {
		r, err := g.ParseRange(200, []byte(`{`+hdr+`}`))
		if err != nil || len(r.Kvs) != 0 || r.Count != 0 || r.More {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("put with prev_kv", func(t *testing.T) {
		r, err := g.ParsePut(200, []byte(`{`+hdr+`,"prev_kv":{"key":"YS8x","create_revision":"2","mod_revision":"2","version":"1","value":"djE="}}`))
		if err != nil || r.PrevKv == nil || string(r.PrevKv.Value) != "v1" {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("deleterange", func(t *testing.T) {
		r, err := g.ParseDeleteRange(200, []byte(`{`+hdr+`,"deleted":"1","prev_kvs":[{"key":"YS8x","create_revision":"2","mod_revision":"3","version":"2","value":"djI="}]}`))
		if err != nil || r.Deleted != 1 || len(r.PrevKvs) != 1 {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("txn that succeeded", func(t *testing.T) {
		r, err := g.ParseTxn(200, []byte(`{`+hdr+`,"succeeded":true,"responses":[{"response_put":{"header":{"revision":"4"}}}]}`))
		if err != nil || !r.Succeeded || len(r.Responses) != 1 || r.Responses[0].Put == nil || r.Current() != nil {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("txn that failed omits succeeded and shows the key", func(t *testing.T) {
		r, err := g.ParseTxn(200, []byte(`{`+hdr+`,"responses":[{"response_range":{"header":{"revision":"4"},"kvs":[{"key":"YS8y","create_revision":"4","mod_revision":"4","version":"1","value":"eA=="}],"count":"1"}}]}`))
		if err != nil || r.Succeeded {
			t.Fatalf("got %+v, %v", r, err)
		}
		if cur := r.Current(); cur == nil || string(cur.Value) != "x" || cur.ModRevision != 4 {
			t.Fatalf("Current() = %+v", cur)
		}
	})
	t.Run("lease grant", func(t *testing.T) {
		r, err := g.ParseLeaseGrant(200, []byte(`{`+hdr+`,"ID":"4111120407920710417","TTL":"2"}`))
		if err != nil || r.ID != 4111120407920710417 || r.TTL != 2 {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("lease keepalive", func(t *testing.T) {
		r, err := g.ParseLeaseKeepAlive(200, []byte(`{"result":{`+hdr+`,"ID":"77","TTL":"2"}}`))
		if err != nil || r.ID != 77 || r.TTL != 2 {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("lease time to live", func(t *testing.T) {
		r, err := g.ParseLeaseTimeToLive(200, []byte(`{`+hdr+`,"ID":"77","TTL":"1","grantedTTL":"2","keys":["YS8z"]}`))
		if err != nil || r.TTL != 1 || r.GrantedTTL != 2 || len(r.Keys) != 1 || string(r.Keys[0]) != "a/3" {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("authenticate", func(t *testing.T) {
		r, err := g.ParseAuthenticate(200, []byte(`{`+hdr+`,"token":"UvLNitkINrMLsnHC.30"}`))
		if err != nil || r.Token != "UvLNitkINrMLsnHC.30" {
			t.Fatalf("got %+v, %v", r, err)
		}
	})
	t.Run("revoke and compaction", func(t *testing.T) {
		if _, err := g.ParseLeaseRevoke(200, []byte(`{`+hdr+`}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := g.ParseCompaction(200, []byte(`{`+hdr+`}`)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseErrors(t *testing.T) {
	g := Gateway{}
	errBody := func(msg string, code int) []byte {
		return []byte(`{"error":"` + msg + `","message":"` + msg + `","code":` + itoa(code) + `}`)
	}
	tests := []struct {
		name   string
		parse  func(int, []byte) error
		status int
		body   []byte
		is     error
		code   Code
		say    string
	}{
		{"compacted", rangeP(g), 400, errBody("etcdserver: mvcc: required revision has been compacted", 11), ErrCompacted, CodeOutOfRange, "read again from the current revision"},
		{"future revision", rangeP(g), 400, errBody("etcdserver: mvcc: required revision is a future revision", 11), ErrFutureRevision, CodeOutOfRange, "future"},
		{"lease not found on revoke", func(s int, b []byte) error { _, err := g.ParseLeaseRevoke(s, b); return err }, 404, errBody("etcdserver: requested lease not found", 5), ErrLeaseNotFound, CodeNotFound, "grant a new one"},
		{"wrong password", func(s int, b []byte) error { _, err := g.ParseAuthenticate(s, b); return err }, 400, errBody("etcdserver: authentication failed, invalid user ID or password", 3), ErrAuthFailed, CodeInvalidArgument, "check the etcd user name and password"},
		{"expired token", rangeP(g), 401, errBody("etcdserver: invalid auth token", 16), ErrInvalidAuthToken, CodeUnauthenticated, "authenticate again"},
		{"no token", rangeP(g), 400, errBody("etcdserver: user name is empty", 3), ErrTokenRequired, CodeInvalidArgument, "authentication is on"},
		{"permission denied", rangeP(g), 403, errBody("etcdserver: permission denied", 7), ErrPermissionDenied, CodePermissionDenied, "key prefix"},
		{"no space", rangeP(g), 429, errBody("etcdserver: mvcc: database space exceeded", 8), ErrNoSpace, CodeResourceExhausted, "NOSPACE"},
		{"no leader", rangeP(g), 503, errBody("etcdserver: no leader", 14), ErrUnavailable, CodeUnavailable, "repeat later"},
		{"request timed out", rangeP(g), 503, errBody("etcdserver: request timed out", 14), ErrUnavailable, CodeUnavailable, "repeat later"},
		{"too many requests", rangeP(g), 429, errBody("etcdserver: too many requests", 8), ErrUnavailable, CodeResourceExhausted, "repeat later"},
		{"a long message is cut", rangeP(g), 400, errBody(strings.Repeat("x", 5000), 3), nil, CodeInvalidArgument, "xxx..."},
		{"bad base64 from the gateway itself", rangeP(g), 400, errBody("illegal base64 data at input byte 0", 3), nil, CodeInvalidArgument, "illegal base64"},
		{"Envoy's 503 when the cluster is down", rangeP(g), 503, []byte("upstream connect error or disconnect/reset before headers. reset reason: connection failure"), ErrUnavailable, CodeUnknown, "not an answer from etcd's gateway"},
		{"Envoy's 503 when etcd's TLS fails (v1.39: no reason in the body)", rangeP(g), 503, []byte("upstream connect error or disconnect/reset before headers. reset reason: remote connection failure"),
			ErrUnavailable, CodeUnknown, "reset reason: remote connection failure (Envoy got no answer from etcd through store.etcd.cluster: etcd down, or TLS to etcd failing"},
		{"Envoy's 504 on a timeout", rangeP(g), 504, []byte("upstream request timeout"), ErrUnavailable, CodeUnknown, "upstream request timeout"},
		{"a 404 from something else", rangeP(g), 404, []byte("404 page not found\n"), nil, CodeUnknown, "404 page not found"},
		{"a 200 that is not JSON", rangeP(g), 200, []byte("<html>hello</html>"), nil, CodeUnknown, "not JSON: <html>hello</html>"},
		{"a 200 of other JSON", rangeP(g), 200, []byte(`{"header":"x","kvs":[{"value":"c2VjcmV0"}]}`), nil, CodeUnknown, "not the gateway's answer"},
		{"a 200 without a header", rangeP(g), 200, []byte(`{"kvs":[]}`), nil, CodeUnknown, "without a header revision"},
		{"an empty 200", rangeP(g), 200, nil, nil, CodeUnknown, "(empty body)"},
		{"an empty non-200", rangeP(g), 502, nil, ErrUnavailable, CodeUnknown, "(empty body)"},
		{"an answer over the limit", rangeP(g), 200, []byte(`{"x":"` + strings.Repeat("a", MaxResponseBytes) + `"}`), nil, CodeUnknown, "page the range"},
		{"keepalive of a lease that is gone: TTL 0, no error from etcd", func(s int, b []byte) error { _, err := g.ParseLeaseKeepAlive(s, b); return err }, 200, []byte(`{"result":{` + hdr + `,"ID":"78"}}`), ErrLeaseNotFound, CodeNotFound, "grant a new one"},
		{"keepalive stream error", func(s int, b []byte) error { _, err := g.ParseLeaseKeepAlive(s, b); return err }, 200, []byte(`{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}}`), ErrUnavailable, CodeUnavailable, "no leader"},
		{"keepalive without a result", func(s int, b []byte) error { _, err := g.ParseLeaseKeepAlive(s, b); return err }, 200, []byte(`{}`), nil, CodeUnknown, "without a result"},
		{"time to live of a lease that is gone: TTL -1", func(s int, b []byte) error { _, err := g.ParseLeaseTimeToLive(s, b); return err }, 200, []byte(`{` + hdr + `,"ID":"78","TTL":"-1"}`), ErrLeaseNotFound, CodeNotFound, "lease not found"},
		{"a grant without an id", func(s int, b []byte) error { _, err := g.ParseLeaseGrant(s, b); return err }, 200, []byte(`{` + hdr + `,"TTL":"2","error":"lessor: no leader"}`), nil, CodeUnknown, "without a lease"},
		{"an authentication answer without a token", func(s int, b []byte) error { _, err := g.ParseAuthenticate(s, b); return err }, 200, []byte(`{` + hdr + `}`), nil, CodeUnknown, "without a usable token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.status, tt.body)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want an *Error", err, err)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status {
				t.Errorf("code %s, status %d; want %s, %d", e.Code, e.HTTPStatus, tt.code, tt.status)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, other := range []error{ErrCompacted, ErrLeaseNotFound, ErrInvalidAuthToken, ErrPermissionDenied, ErrUnavailable, ErrAuthFailed} {
				if other != tt.is && errors.Is(err, other) {
					t.Errorf("errors.Is(%v, %v) = true", err, other)
				}
			}
			if !strings.Contains(err.Error(), tt.say) || !strings.HasPrefix(err.Error(), "etcdv3: /v3/") {
				t.Errorf("err = %q, want it to name the path and say %q", err, tt.say)
			}
			if len(err.Error()) > 600 {
				t.Errorf("the message is %d bytes long", len(err.Error()))
			}
		})
	}
}

// An authentication answer is never quoted in an error: it may carry a token.
func TestParseAuthenticateNeverQuotesTheToken(t *testing.T) {
	_, err := Gateway{}.ParseAuthenticate(200, []byte(`{"token":"SECRET.1"}`))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("err = %v", err)
	}
	_, err = Gateway{}.ParseAuthenticate(200, []byte(`{`+hdr+`,"token":7,"x":"SECRET.1"}`))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("err = %v", err)
	}
}

// Nor is a 200 answer that is JSON: it may hold records.
func TestParseNeverQuotesJSONAnswers(t *testing.T) {
	for _, body := range []string{`{"header":"x","kvs":[{"value":"SECRET"}]}`, `{"kvs":[{"value":"SECRET"}]}`, `{"result":{"ID":"SECRET"}}`} {
		_, err1 := Gateway{}.ParseRange(200, []byte(body))
		_, err2 := Gateway{}.ParseLeaseKeepAlive(200, []byte(body))
		for _, err := range []error{err1, err2} {
			if err == nil || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("%s: err = %v", body, err)
			}
		}
	}
}

func rangeP(g Gateway) func(int, []byte) error {
	return func(s int, b []byte) error { _, err := g.ParseRange(s, b); return err }
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
