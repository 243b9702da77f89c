//go:build !wasip1

package envoyfilter

import "bytes"

// own returns bytes the host returned as the glue's own, to keep and to change.
//
// Natively the host is the SDK's emulator (proxytest), which hands out slices of its
// own state (shared data, the request body) rather than copies, so they are copied.
// In a module they are not: see own_wasip1.go.
func own(b []byte) []byte { return bytes.Clone(b) }
