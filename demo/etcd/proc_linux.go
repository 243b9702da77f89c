//go:build linux

package etcd

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill etcd when the process that started it dies, however it
// dies, so no etcd outlives its test or demo (etcd does not watch its stdin, as the provider
// peers do).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// terminate asks etcd to stop: on SIGTERM it closes its listeners and exits.
func terminate(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
}
