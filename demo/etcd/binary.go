package etcd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Binary finds the etcd server binary the way testpeers/install-etcd.sh does (keep the two
// lists equal): $EXEUNT_ETCD, then etcd on PATH, then Debian's /usr/bin/etcd (package
// etcd-server). A missing etcd is an error that says how to install it.
func Binary() (string, error) {
	if path := os.Getenv("EXEUNT_ETCD"); path != "" {
		if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return "", fmt.Errorf("EXEUNT_ETCD=%s is not an executable file", path)
		}
		return path, nil
	}
	if path, err := exec.LookPath("etcd"); err == nil {
		return path, nil
	}
	if info, err := os.Stat("/usr/bin/etcd"); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return "/usr/bin/etcd", nil
	}
	return "", errors.New("no etcd binary: run `make deps` (testpeers/install-etcd.sh installs Debian's etcd-server), or point EXEUNT_ETCD at an etcd 3.4 or later binary")
}

// binaryVersion is the "etcd Version: X" line of `etcd --version`, or "unknown".
func binaryVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "etcd Version: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
