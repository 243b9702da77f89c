//go:build linux

package e2e

import (
	"os/exec"
	"syscall"
)

// fleetDieWithParent has the kernel kill a replica when the test process dies, however it
// dies (the replica's goroutine keeps its thread: see startReplica).
func fleetDieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
