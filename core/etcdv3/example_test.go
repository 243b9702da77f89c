package etcdv3_test

import (
	"fmt"

	"github.com/exeunt/exeunt/core/etcdv3"
)

// A replica claims a single-use value: the request to send, and the answer read back (here
// the one etcd 3.4 gives to a claim that someone else made first).
func ExampleCreateIfAbsent() {
	layout, _ := etcdv3.NewLayout("/exeunt/")
	key, _ := layout.Key("claims", "jti", "b2a7")
	claim := etcdv3.CreateIfAbsent(key, []byte("used"), 7587884171185338635)
	req, _ := etcdv3.Gateway{}.Request(&claim, "")
	fmt.Println(req.Method, req.Path)
	fmt.Println(string(req.Body))

	answer := []byte(`{"header":{"revision":"9"},"responses":[{"response_range":{"header":{"revision":"9"},"kvs":[{"key":"L2V4ZXVudC9jbGFpbXMvanRpL2IyYTc=","create_revision":"8","mod_revision":"8","version":"1","value":"dXNlZA=="}],"count":"1"}}]}`)
	resp, err := etcdv3.Gateway{}.ParseTxn(200, answer)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("claimed:", resp.Succeeded, "already claimed at revision", resp.Current().CreateRevision)
	// Output:
	// POST /v3/kv/txn
	// {"compare":[{"key":"L2V4ZXVudC9jbGFpbXMvanRpL2IyYTc=","target":"CREATE","result":"EQUAL","create_revision":"0"}],"success":[{"request_put":{"key":"L2V4ZXVudC9jbGFpbXMvanRpL2IyYTc=","value":"dXNlZA==","lease":"7587884171185338635"}}],"failure":[{"request_range":{"key":"L2V4ZXVudC9jbGFpbXMvanRpL2IyYTc="}}]}
	// claimed: false already claimed at revision 8
}

// A replica's poll: the changes since the revision it has, and where it is after them.
func ExampleReadChanges() {
	layout, _ := etcdv3.NewLayout("/exeunt/")
	start, end, _ := layout.Space("revoked")
	poll := etcdv3.ChangesSince(start, end, 41, 100)
	req, _ := etcdv3.Gateway{}.Request(&poll, "")
	fmt.Println(string(req.Body))

	answer := []byte(`{"header":{"revision":"44"},"kvs":[{"key":"L2V4ZXVudC9yZXZva2VkL3NpZC9h","mod_revision":"43","value":"eyJleHAiOjE3fQ=="}],"count":"12"}`)
	resp, _ := etcdv3.Gateway{}.ParseRange(200, answer)
	changes, _ := etcdv3.ReadChanges(resp, 41)
	for _, kv := range changes.KVs {
		fmt.Printf("%s = %s\n", kv.Key, kv.Value)
	}
	fmt.Println("now at revision", changes.Revision, "more:", changes.More)
	// Output:
	// {"key":"L2V4ZXVudC9yZXZva2VkLw==","range_end":"L2V4ZXVudC9yZXZva2VkMA==","limit":"100","sort_order":"ASCEND","sort_target":"MOD","min_mod_revision":"42"}
	// /exeunt/revoked/sid/a = {"exp":17}
	// now at revision 44 more: false
}
