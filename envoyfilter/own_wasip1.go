//go:build wasip1

package envoyfilter

// own returns bytes the host returned as the glue's own, to keep and to change.
//
// In a module, data a host function returns is written by the host into a buffer the
// guest allocated for that call alone (proxy_on_memory_allocate; with our bridge, a Go
// slice, see _bridge/README.md). Once the call has returned, nothing but the returned
// slice refers to that buffer and the host never writes into it again, so it is the
// guest's own already: copying would only double the allocation. The same holds for
// the strings of header maps, which point into such a buffer.
func own(b []byte) []byte { return b }
