//go:build !unix

package idp

import "os/exec"

func ownProcessGroup(*exec.Cmd) {}

// terminate: without signals, the end of standard input (closed before this) stops the
// provider; Close kills it if it lingers.
func terminate(*exec.Cmd) {}
