//go:build unix

package idp

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup keeps the provider out of the terminal's process group, so that Ctrl-C
// reaches the launcher only, which then stops the provider itself, in order.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// terminate asks the provider to stop (it closes its server and exits on SIGTERM).
func terminate(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
}
