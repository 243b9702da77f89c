//go:build !linux

package e2e

import "os/exec"

// fleetDieWithParent: only Linux ties a child's life to its parent's; elsewhere the test's
// cleanup stops the replicas.
func fleetDieWithParent(*exec.Cmd) {}
