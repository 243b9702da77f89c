// Package etcd runs a local etcd server as a child process: Debian's etcd-server (3.4; any
// etcd 3.4 or later works) on free 127.0.0.1 ports with a data directory of the caller's,
// for the demo's fleet (`make run DEMO_FLAGS=-replicas 2`) and, through e2e/etcdpeer, for the
// tests.
//
//	srv, err := etcd.Start(etcd.Config{DataDir: dir})
//	defer srv.Kill()
//	srv.Stop()        // the store is down: requests fail to connect
//	err = srv.Restart() // back on the same ports, with everything it had acknowledged
//	<-srv.Exited()      // closed when the process exits, however it ends (the demo watches it)
//
// [Start] returns once etcd answers /health with "true". On Linux the kernel kills etcd if
// the process that started it dies first. A missing binary is an error that says how to
// install one ([Binary]).
//
// The package uses the standard library only.
package etcd
