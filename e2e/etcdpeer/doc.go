// Package etcdpeer runs a real etcd for tests: Debian's etcd-server (3.4; any etcd 3.4 or
// later works), started as a child process on free 127.0.0.1 ports with a temporary data
// directory, and stopped when the test ends.
//
//	etcd := etcdpeer.Start(t, etcdpeer.Config{})
//	status, body, err := etcd.Post("/v3/kv/range", []byte(`{"key":"Zm9v"}`), "")
//	etcd.Stop()    // the store is down: requests fail to connect
//	etcd.Restart() // back on the same ports, with everything it had acknowledged
//
// [Start] returns once etcd answers /health with "true" (well under a second on an idle
// machine). [Peer.Stop] (SIGTERM) and [Peer.Kill] (SIGKILL, a crash) end the process but keep
// its data directory, and [Peer.Restart] brings it back, so a test can play an outage in the
// middle of a scenario. [Peer.EnableAuth] turns on user and password authentication through
// the gateway, with a user per key prefix. On Linux the kernel kills etcd if the test process
// dies first.
//
// etcd must be installed first (testpeers/install-etcd.sh; `make test` runs it through
// `make deps`). A missing binary, or an etcd that does not come up, fails the test: it is
// never skipped.
//
// The process itself is run by package demo/etcd, which the demo's fleet (`make run
// DEMO_FLAGS=-replicas 2`) uses too; this package binds it to a test. Both use the standard
// library only.
package etcdpeer
