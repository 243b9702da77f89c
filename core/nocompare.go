package core

// noCompare, as a struct's first field (`_ noCompare`), makes the struct not comparable
// with ==, at no size. Go's compiler writes an equality function for every comparable
// struct type whose type descriptor the program needs (to allocate one on the heap, or
// to put one in an interface), whether or not anything compares two of them; in Go's
// wasm a struct of a few strings gets 300 to 1,400 bytes of it. The structs marked
// are never compared (the compiler says so: comparing one does not build), and the
// marks took 29 KB of code out of the module (BENCHMARKS.md, "Issue 15: Exeunt's own
// code, cut by function"). core/etcdv3, core/jose, core/jsonx and core/oidc spell the
// same field `_ [0]func()`. Structs compared in tests or elsewhere (exchange.Header,
// route) stay comparable.
type noCompare [0]func()
