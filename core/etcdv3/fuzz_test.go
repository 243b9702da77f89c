package etcdv3

import (
	"errors"
	"testing"
)

// Whatever comes back from the network, every Parse method returns an answer or an *Error,
// never panics, and never quotes more than a short excerpt of the body.
func FuzzParse(f *testing.F) {
	f.Add(200, []byte(`{`+hdr+`,"kvs":[{"key":"YS8x","mod_revision":"3","value":"djI="}],"more":true,"count":"2"}`))
	f.Add(200, []byte(`{"result":{`+hdr+`,"ID":"77","TTL":"2"}}`))
	f.Add(200, []byte(`{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}}`))
	f.Add(400, []byte(`{"error":"etcdserver: mvcc: required revision has been compacted","message":"etcdserver: mvcc: required revision has been compacted","code":11}`))
	f.Add(503, []byte("upstream connect error or disconnect/reset before headers"))
	f.Add(200, []byte(`{`+hdr+`,"succeeded":true,"responses":[{"response_put":{"header":{"revision":"4"}}}]}`))
	g := Gateway{}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		errs := []error{
			etcdErr(g.ParseRange(status, body)),
			etcdErr(g.ParsePut(status, body)),
			etcdErr(g.ParseDeleteRange(status, body)),
			etcdErr(g.ParseTxn(status, body)),
			etcdErr(g.ParseLeaseGrant(status, body)),
			etcdErr(g.ParseLeaseRevoke(status, body)),
			etcdErr(g.ParseLeaseKeepAlive(status, body)),
			etcdErr(g.ParseLeaseTimeToLive(status, body)),
			etcdErr(g.ParseAuthenticate(status, body)),
			etcdErr(g.ParseCompaction(status, body)),
		}
		for _, err := range errs {
			if err == nil {
				if status != 200 {
					t.Fatalf("status %d accepted", status)
				}
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%v is a %T, not an *Error", err, err)
			}
			if len(err.Error()) > 800 {
				t.Fatalf("an error message of %d bytes", len(err.Error()))
			}
		}
		if resp, err := g.ParseRange(status, body); err == nil {
			_, _ = ReadChanges(resp, 0)
		}
	})
}

func etcdErr[T any](_ T, err error) error { return err }
