//go:build !linux

package etcd

import (
	"os"
	"os/exec"
)

// dieWithParent: only Linux can tie a child's life to its parent's; elsewhere
// [Server.Kill] (a test's cleanup, the demo's Close) is what stops etcd.
func dieWithParent(*exec.Cmd) {}

// terminate asks etcd to stop (an interrupt where the platform has one).
func terminate(cmd *exec.Cmd) {
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		_ = cmd.Process.Kill()
	}
}
